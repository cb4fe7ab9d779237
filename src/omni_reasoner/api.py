"""The Python API the CLI is a thin layer over.

from omni_reasoner import Reasoner
r = Reasoner.load()                       # the embedded default model
result = r.ask("Tom has twelve apples and gives five to Sam. How many does he have left?")
result.spoken_text, result.answer, result.time_to_first_spoken_s
"""

from __future__ import annotations

import json
from pathlib import Path

from omni_reasoner.format.schedule import as_schedule

DEFAULT_MODEL = Path(__file__).resolve().parent / "checkpoints" / "default"
META = "omni_reasoner.json"


def read_meta(path: str | Path | None = None) -> dict:
    """A checkpoint's `omni_reasoner.json` (schedule, trace style, audio path), without the model."""
    from omni_reasoner.model.thinker import CheckpointError

    meta_path = Path(path or DEFAULT_MODEL) / META
    try:
        return json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    except json.JSONDecodeError:
        raise CheckpointError(f"{meta_path} is not valid JSON") from None


class Reasoner:
    def __init__(self, model, tokenizer, meta: dict, path: Path, reader=None):
        from omni_reasoner.infer.engine import Engine

        self.model, self.tokenizer, self.meta, self.path = model, tokenizer, meta, path
        self.reader = reader  # the checkpoint's text reader (model/reader.py), if it has one
        self.schedule = meta.get("schedule", "interleave:2:8")
        self.trace_style = meta.get("trace_style", "calculator")
        self.engine = Engine(model, tokenizer, trace_style=self.trace_style, reader=reader)

    @classmethod
    def load(
        cls, path: str | Path | None = None, threads: int | None = None, device: str = "cpu"
    ) -> Reasoner:
        """`device`: cpu (the tiny default's fastest), cuda, or auto (the GPU if there is one)."""
        import torch

        from omni_reasoner.device import resolve_device
        from omni_reasoner.model.reader import has_reader, load_reader
        from omni_reasoner.model.thinker import CheckpointError, load_thinker

        if threads:
            torch.set_num_threads(threads)
        path = Path(path) if path else DEFAULT_MODEL
        if path == DEFAULT_MODEL and not path.is_dir():
            raise CheckpointError(
                f"the embedded default model is missing ({path}); pass --model PATH"
            )
        model, tokenizer = load_thinker(path, dtype=torch.float32)
        reader = None
        if has_reader(path):
            reader = load_reader(path)
            if reader.config.thinker_dim != model.config.hidden_size:
                raise CheckpointError(f"{path}: its reader does not fit its Thinker's width")
        target = resolve_device(device)
        model.to(target)
        if reader is not None:
            reader.to(target)
        return cls(model, tokenizer, read_meta(path), path, reader)

    def ask(self, question: str, schedule: str | None = None, **generate_kwargs):
        schedule = as_schedule(schedule or self.schedule)
        return self.engine.generate(question, schedule, **generate_kwargs)

    def ask_audio(self, audio, *, pipeline="auto", schedule=None, **generate_kwargs):
        """A spoken question (an `omni_reasoner.audio.Audio`) -> `AudioGeneration`.

        `pipeline`: "auto" (e2e where the checkpoint hears audio itself, else cascade),
        "cascade" (Whisper tiny.en -> this Thinker) or "e2e". Times count from the end of
        the question audio, so they include hearing it (`audio_encode_s`).
        """
        from omni_reasoner.infer.listening import ask_audio

        return ask_audio(self, audio, pipeline=pipeline, schedule=schedule, **generate_kwargs)
