"""`omni-reasoner`: a thin command line over the Python API."""

from __future__ import annotations

import argparse
import json
import os
import sys

from omni_reasoner import __version__


def _cmd_data_build(args: argparse.Namespace) -> int:
    from omni_reasoner.data.build import build_dataset
    from omni_reasoner.data.config import load_config

    config = load_config(args.preset, args.config)
    if args.n is not None:
        config.n_train = args.n
    if args.schedule:
        config.schedules = args.schedule
    if args.trace:
        config.trace_style = args.trace
    if args.seed is not None:
        config.seed = args.seed
    if args.wording is not None:
        config.wording = args.wording
    config.validate()
    manifest = build_dataset(config, args.out, force=args.force, progress=not args.quiet)
    counts = ", ".join(f"{split} {c['total']}" for split, c in manifest["counts"].items())
    drift = ", ".join(f"{s} {r:.4f}" for s, r in manifest["drift_rate"].items())
    print(f"dataset in {args.out}: {counts}")
    print(f"drift rate (train): {drift}")
    if args.audio:
        from omni_reasoner.data.speak import speak_dataset
        from omni_reasoner.data.speech import audio_config_from_dict

        audio = audio_config_from_dict(config.audio)
        _print_audio(speak_dataset(args.out, audio, workers=args.workers, progress=not args.quiet))
    return 0


def _cmd_data_speak(args: argparse.Namespace) -> int:
    from omni_reasoner.data.speak import audio_config_for, speak_dataset

    audio = audio_config_for(args.dir, args.preset, args.config)
    summary = speak_dataset(
        args.dir,
        audio,
        splits=args.split,
        limit_per_split=args.limit_per_split,
        workers=args.workers,
        verify=args.verify,
        force=args.force,
        progress=not args.quiet,
    )
    _print_audio(summary)
    return 0


def _print_audio(summary: dict) -> None:
    for split, s in summary["splits"].items():
        check = (
            f"checked {s['checked']}, passed {s['passed']}, re-rendered {s['rerendered']}, "
            f"dropped {s['dropped']}"
            if s["verified"]
            else "not checked"
        )
        print(f"{split} ({s['pool']} voices): {s['clips']}/{s['questions']} clips; {check}")
    run = summary["last_run"]
    if run["clips_done"]:
        rate = run["clips_done"] / max(run["seconds"], 1e-9)
        print(f"{run['clips_done']} clips in {run['seconds']:.1f} s ({rate:.2f} clips/s)")


def _cmd_data_show(args: argparse.Namespace) -> int:
    from omni_reasoner.data.inspect import show_examples

    colour = (
        sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        if args.color == "auto"
        else args.color == "always"
    )
    print(show_examples(args.dir, args.n, args.schedule, args.split, colour))
    return 0


def _cmd_data_check(args: argparse.Namespace) -> int:
    from omni_reasoner.data.inspect import check_dataset, format_check

    report = check_dataset(args.dir)
    print(json.dumps(report, indent=2) if args.json else format_check(report))
    return 0 if report["ok"] else 1


def _cmd_train(args: argparse.Namespace) -> int:
    from omni_reasoner.train.config import load_train_config
    from omni_reasoner.train.loop import train

    config = load_train_config(
        args.config,
        out=args.out,
        data=args.data,
        max_steps=args.max_steps,
        schedule=args.schedule,
        device=args.device,
        init_from=args.init_from,
        threads=args.threads,
    )
    final = train(config, progress=not args.quiet)
    print(f"trained: {final}")
    return 0


def _cmd_audio_cache(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omni_reasoner.data.speak import AUDIO_DIR
    from omni_reasoner.data.store import DatasetError
    from omni_reasoner.train.audio import fill_cache

    folder = Path(args.dir) / AUDIO_DIR
    splits = args.split or sorted(p.name for p in folder.glob("*") if p.is_dir())
    if not splits:
        raise DatasetError(f"{args.dir} has no clips: run `omni-reasoner data speak {args.dir}`")
    done = fill_cache(
        args.dir,
        splits,
        cache=args.cache,
        encoder_path=args.encoder or "",
        crop=not args.full_window,
        batch_size=args.batch_size,
        progress=not args.quiet,
        below_top=args.whisper_layers,
        device=args.device,
    )
    rate = f" ({done['encoded_per_s']} clips/s)" if done["encoded_per_s"] else ""
    print(
        f"encoder cache {done['cache']}: {done['clips']} clips, {done['encoded']} encoded now "
        f"in {done['seconds']} s{rate}, {done['cached_already']} already there"
    )
    return 0


class LiveView:
    """Prints the answer as it is decoded: spoken text plain, reasoning (if shown) set apart.

    Both callbacks run on the decoder thread in stream order, so the two texts interleave
    as the Thinker produced them. On a terminal the reasoning is dimmed; elsewhere (a pipe,
    a file, NO_COLOR) it is wrapped in `[think: ...]` so it can still be told apart.
    """

    OPEN_MARK, CLOSE_MARK = "[think: ", "]"

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.dim = _wants_color(self.out)
        self.in_reasoning = False
        self.last = ""

    def spoken(self, piece: str) -> None:
        self._close()
        self._write(piece)

    def reasoning(self, piece: str) -> None:
        if not self.in_reasoning:  # leading space goes before the mark, or one is added
            self.in_reasoning = True
            text = piece.lstrip()
            gap = piece[: len(piece) - len(text)]
            if not gap and self.last and not self.last[-1].isspace():
                gap = " "
            self._write(gap + ("\033[2m" if self.dim else self.OPEN_MARK))
            piece = text
        self._write(piece)

    def finish(self) -> None:
        self._close()
        self._write("\n")

    def _close(self) -> None:
        if self.in_reasoning:
            self.in_reasoning = False
            self._write("\033[0m" if self.dim else self.CLOSE_MARK)

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self.last = text


def _wants_color(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _question(args: argparse.Namespace):
    """The question from --text or --audio, checked before the model loads."""
    if args.audio is None:
        from omni_reasoner.infer.engine import check_question

        check_question(args.text)
        return args.text
    from omni_reasoner.api import read_meta
    from omni_reasoner.audio import load_audio
    from omni_reasoner.infer.listening import resolve_pipeline

    audio = load_audio(args.audio)
    resolve_pipeline(read_meta(args.model), args.pipeline)
    return audio


def _print_heard(transcript: str) -> None:
    if transcript:  # the e2e path hears without transcribing
        print(f"heard: {transcript}", flush=True)


def _cmd_ask(args: argparse.Namespace) -> int:
    from omni_reasoner.api import Reasoner
    from omni_reasoner.format.schedule import as_schedule

    question = _question(args)  # bad input fails before the model loads
    if args.schedule:
        as_schedule(args.schedule)
    speaking = args.out is not None or args.talker is not None
    talker = None
    if speaking:  # an unwritable path or a missing voice fails before the model loads too
        from omni_reasoner.infer.speaking import check_writable
        from omni_reasoner.model.talker import load_talker

        if args.out is not None:
            check_writable(args.out)
        talker = load_talker(args.talker)
    reasoner = Reasoner.load(args.model, device=args.device)
    view = None if args.json else LiveView()
    options = dict(
        schedule=args.schedule,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        max_new_tokens=args.max_new_tokens,
        on_spoken=view.spoken if view else None,
        on_reasoning=view.reasoning if view and args.show_reasoning else None,
    )
    spoken_question = args.audio is not None
    if spoken_question:
        from omni_reasoner.infer.listening import prepare

        prepare(reasoner, args.pipeline)  # the recogniser loads before the clock starts
        options |= dict(pipeline=args.pipeline, on_transcript=_print_heard if view else None)
    speech = None
    if speaking:
        from omni_reasoner.infer.speaking import speak

        speech, chunks = speak(reasoner, question, talker, **options)
        result = speech.generation
    elif spoken_question:
        result = reasoner.ask_audio(question, **options)
    else:
        result = reasoner.ask(question, **options)
    fields = result.to_dict() | {"model": str(reasoner.path)}
    if speech is not None:
        fields |= _write_speech(args, speech, chunks)
    if args.json:
        print(json.dumps(fields, indent=2))
        return 0
    view.finish()
    if result.looped:
        print("(the answer fell into a loop and was cut there)", file=sys.stderr)
    if speech is not None:
        where = f"wrote {args.out}: " if args.out is not None else ""
        print(
            f"{where}{speech.audio_s:.1f} s of audio ({speech.talker}), first audio after "
            f"{speech.ttfa_s:.2f} s, {speech.stalls} stalls ({speech.stall_s:.2f} s)",
            file=sys.stderr,
        )
    elif spoken_question:
        print(
            f"heard in {result.audio_encode_s:.2f} s ({result.pipeline}), first spoken token "
            f"after {result.time_to_first_spoken_s or 0:.2f} s from the end of the question",
            file=sys.stderr,
        )
    return 0


DEMO_QUESTION = os.path.join(os.path.dirname(__file__), "assets", "demo_question.wav")


def _cmd_demo(args: argparse.Namespace) -> int:
    """The bundled spoken question answered aloud, both streams live, latency explained."""
    from omni_reasoner.api import Reasoner
    from omni_reasoner.audio import load_audio
    from omni_reasoner.infer.listening import prepare
    from omni_reasoner.infer.speaking import check_writable, speak
    from omni_reasoner.model.talker import load_talker

    audio = load_audio(DEMO_QUESTION)
    if args.out is not None:
        check_writable(args.out)
    talker = load_talker(args.talker)
    reasoner = Reasoner.load(args.model)
    prepare(reasoner, args.pipeline)  # the recogniser loads before the clock starts
    print(f"question: {DEMO_QUESTION} ({audio.duration_s:.1f} s, said by Piper's joe voice)")
    view = LiveView()
    speech, chunks = speak(
        reasoner,
        audio,
        talker,
        pipeline=args.pipeline,
        on_transcript=_print_heard,
        on_spoken=view.spoken,
        on_reasoning=view.reasoning,
    )
    view.finish()
    fields = _write_speech(args, speech, chunks)
    parts = speech.breakdown()
    print(f"answer: {speech.generation.answer}")
    print(
        f"TTFA {speech.ttfa_s:.2f} s from the end of the question = "
        f"hearing it {parts['audio_encode']:.2f} ({speech.pipeline}) + prefill "
        f"{parts['prefill']:.2f} + decoding to the first phrase {parts['decode']:.2f} + "
        f"voicing it {parts['synth']:.2f} + waiting {parts['rest']:.2f}"
    )
    print(
        f"{speech.audio_s:.1f} s of audio ({speech.talker}), {speech.stalls} stalls "
        f"({speech.stall_s:.2f} s), all done after {speech.total_s:.2f} s"
    )
    if "audio_out" in fields:
        print(f"wrote {fields['audio_out']}")
    return 0


def _write_speech(args: argparse.Namespace, speech, chunks) -> dict:
    """Check the spoken answer has sound, write the wav if asked, return the JSON fields."""
    from omni_reasoner.infer.speaking import has_speech, write_wav

    if not has_speech(speech):
        raise ValueError("the answer has no speakable text; no audio was written")
    fields = speech.metrics()
    if args.out is not None:
        fields["audio_out"] = str(write_wav(args.out, chunks, speech.sample_rate))
    return fields


def _cmd_eval(args: argparse.Namespace) -> int:
    from omni_reasoner.eval.report import run_evaluation

    if args.spoken_mqa is not None:
        return _eval_spoken_mqa(args)
    report = run_evaluation(
        model=args.model,
        data=args.data,
        sets=args.set,
        schedules=args.schedule,
        per_category=args.per_category,
        latency_n=args.latency_n,
        question_form=args.question_form,
        json_out=args.json,
        plot_out=args.plot,
        progress=not args.quiet,
        pipeline=args.pipeline,
        device=args.device,
    )
    print(report["table"])
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from omni_reasoner.serve.config import ServeConfig

    config = ServeConfig(
        host=args.host,
        port=args.port,
        model=args.model,
        talker=args.talker,
        concurrency=args.concurrency,
        max_sessions=args.max_sessions,
        max_audio_s=args.max_audio_s,
        idle_s=args.idle_s,
        allowed_origins=args.allow_origin,
    ).validate()
    try:
        from omni_reasoner.serve.app import serve
    except ImportError as exc:
        raise ValueError(
            f"serve needs the web extra ({exc.name} is missing): pip install 'omni-reasoner[web]'"
        ) from None
    serve(config, ssl_keyfile=args.ssl_keyfile, ssl_certfile=args.ssl_certfile)
    return 0


def _eval_spoken_mqa(args: argparse.Namespace) -> int:
    from omni_reasoner.api import Reasoner, read_meta
    from omni_reasoner.data.store import atomic_write_json
    from omni_reasoner.eval.spoken_mqa import evaluate_spoken_mqa, format_report, split_files
    from omni_reasoner.format.schedule import as_schedule
    from omni_reasoner.infer.listening import resolve_pipeline

    split_files(args.spoken_mqa)  # a wrong directory fails before the model loads
    resolve_pipeline(read_meta(args.model), args.pipeline)
    if args.schedule and len(args.schedule) > 1:
        raise ValueError("--spoken-mqa takes one --schedule")
    schedule = as_schedule(args.schedule[0]).name if args.schedule else None
    report = evaluate_spoken_mqa(
        Reasoner.load(args.model, device=args.device),
        args.spoken_mqa,
        pipeline=args.pipeline,
        per_split=args.per_split,
        schedule=schedule,
        progress=not args.quiet,
    )
    if args.json:
        from pathlib import Path

        atomic_write_json(Path(args.json), report)
    print(format_report(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omni-reasoner",
        description="Token-level thinking-in-speaking: build data, train and run a model that reasons while it speaks.",
    )
    parser.add_argument("--version", action="version", version=f"omni-reasoner {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="build, show and check interleaved datasets")
    data_commands = data.add_subparsers(dest="data_command", required=True)

    build = data_commands.add_parser(
        "build", help="collect, rewrite, split, schedule and check a dataset"
    )
    build.add_argument(
        "--preset", default="tiny", help="preset name under configs/ (default: tiny)"
    )
    build.add_argument("--config", help="a data config YAML file (instead of --preset)")
    build.add_argument("--out", required=True, help="output directory")
    build.add_argument("--n", type=int, help="number of training items (overrides the preset)")
    build.add_argument(
        "--wording",
        type=int,
        help="training wording version (overrides the preset; the versions are "
        "data/phrasings.py's WORDING_VERSIONS, and an unknown one is refused with their list)",
    )
    build.add_argument(
        "--schedule", action="append", metavar="S", help="build only these schedules (repeatable)"
    )
    build.add_argument(
        "--trace", choices=("calculator", "scratchpad"), help="reasoning trace style"
    )
    build.add_argument("--seed", type=int, help="override the preset's seed")
    build.add_argument(
        "--force", action="store_true", help="rebuild even if OUT holds another build"
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument(
        "--audio", action="store_true", help="also speak every question (see `data speak`)"
    )
    build.add_argument("--workers", type=int, default=1, help="processes for --audio")
    build.set_defaults(func=_cmd_data_build)

    speak = data_commands.add_parser(
        "speak",
        help="add question audio to a built dataset, checked by a Whisper round trip (resumes)",
    )
    speak.add_argument("dir", help="a built dataset directory")
    speak.add_argument(
        "--preset", help="take the audio section from this preset (default: the dataset's, or tiny)"
    )
    speak.add_argument("--config", help="take the audio section from this data config YAML")
    speak.add_argument("--split", action="append", metavar="S", help="only these splits")
    speak.add_argument(
        "--limit-per-split",
        type=int,
        metavar="N",
        help="speak only N questions of each (a fixed fair sample; a larger N extends it)",
    )
    speak.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    speak.add_argument(
        "--verify",
        choices=("all", "eval-only", "none"),
        help="which splits get the round-trip check (default: the config's, all)",
    )
    speak.add_argument(
        "--force", action="store_true", help="discard clips made with another audio config"
    )
    speak.add_argument("--quiet", action="store_true", help="no progress bar")
    speak.set_defaults(func=_cmd_data_speak)

    show = data_commands.add_parser(
        "show", help="print examples with the two streams visibly distinct"
    )
    show.add_argument("dir")
    show.add_argument("--n", type=int, default=3)
    show.add_argument("--schedule", help="which schedule's stream (default interleave:2:8)")
    show.add_argument("--split", default="train")
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    show.set_defaults(func=_cmd_data_show)

    check = data_commands.add_parser(
        "check", help="counts, drift, eval overlap; exit 1 on drift or overlap"
    )
    check.add_argument("dir")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=_cmd_data_check)

    train = commands.add_parser(
        "train", help="train the Thinker on a built dataset (resumes after a kill)"
    )
    train.add_argument(
        "--config", required=True, help="a training config, e.g. configs/tiny/stage3.yaml"
    )
    train.add_argument("--out", help="run directory (overrides the config)")
    train.add_argument("--data", help="dataset directory (overrides the config)")
    train.add_argument("--schedule", help="schedule to train (overrides the config)")
    train.add_argument("--max-steps", type=int, help="optimizer steps (overrides the config)")
    train.add_argument("--init-from", help="start checkpoint (overrides the config)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), help="(overrides the config)")
    train.add_argument(
        "--threads",
        type=int,
        help="torch threads, 0 = all cores (overrides the config; a resumed run may change it)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(func=_cmd_train)

    audio = commands.add_parser("audio", help="the audio stages' helpers (encoder cache)")
    audio_commands = audio.add_subparsers(dest="audio_command", required=True)
    cache = audio_commands.add_parser(
        "cache",
        help="encode every question clip of a dataset once into the encoder cache (resumes)",
    )
    cache.add_argument("dir", help="a dataset with clips (`data speak`)")
    cache.add_argument("--split", action="append", metavar="S", help="only these splits")
    cache.add_argument("--cache", help="cache directory (default: DIR/encoder-cache)")
    cache.add_argument("--encoder", help="a converted Whisper directory (default: tiny.en)")
    cache.add_argument(
        "--full-window", action="store_true", help="encode Whisper's 30 s window, not the clip"
    )
    cache.add_argument("--batch-size", type=int, default=8)
    cache.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where the encoder runs (default auto: the GPU if there is one)",
    )
    cache.add_argument(
        "--whisper-layers",
        type=int,
        default=0,
        metavar="N",
        help="frames from N layers below the top, for stages whose adapter trains Whisper's "
        "top N layers (audio.whisper_layers; default 0)",
    )
    cache.add_argument("--quiet", action="store_true", help="no progress bar")
    cache.set_defaults(func=_cmd_audio_cache)

    ask = commands.add_parser(
        "ask", help="ask a math question; the spoken answer streams to stdout"
    )
    question = ask.add_mutually_exclusive_group(required=True)
    question.add_argument("--text", help="the question")
    question.add_argument(
        "--audio", metavar="FILE", help="the question spoken (wav, flac, ogg; any rate)"
    )
    ask.add_argument(
        "--pipeline",
        choices=("auto", "cascade", "e2e"),
        default="auto",
        help="how --audio is heard: cascade (Whisper tiny.en, then the text model), e2e "
        "(the model hears it), auto (e2e where the checkpoint can; default)",
    )
    ask.add_argument("--model", help="checkpoint directory (default: the embedded model)")
    ask.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="cpu",
        help="where the model runs (default cpu: the tiny default answers fastest there)",
    )
    ask.add_argument("--schedule", help="default: the schedule the model was trained with")
    ask.add_argument(
        "--json", action="store_true", help="print one JSON object instead of streaming"
    )
    ask.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    ask.add_argument("--top-p", type=float, default=1.0)
    ask.add_argument("--seed", type=int)
    ask.add_argument("--max-new-tokens", type=int, default=1024)
    ask.add_argument("--out", metavar="WAV", help="write the spoken answer to this 16-bit wav")
    ask.add_argument(
        "--talker",
        help="voice: piper (default, natural), espeak (robotic, tiny, fast), or neural:PATH "
        "(a neural talker checkpoint on the Thinker's hidden states)",
    )
    ask.add_argument(
        "--show-reasoning",
        action="store_true",
        help="also print the silent reasoning live, dimmed (marked [think: ...] off a terminal)",
    )
    ask.set_defaults(func=_cmd_ask)

    demo = commands.add_parser(
        "demo", help="a bundled spoken question answered aloud, with the latency explained"
    )
    demo.add_argument("--talker", help="voice: piper (default) or espeak")
    demo.add_argument("--out", metavar="WAV", help="also write the spoken answer here")
    demo.add_argument("--model", help="checkpoint directory (default: the embedded model)")
    demo.add_argument("--pipeline", choices=("auto", "cascade", "e2e"), default="auto")
    demo.set_defaults(func=_cmd_demo)

    evaluate = commands.add_parser(
        "eval", help="accuracy, latency and drift per schedule on held-out sets"
    )
    evaluate.add_argument("--model", help="checkpoint directory (default: the embedded model)")
    evaluate.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="cpu",
        help="where the model runs: cuda (or auto) for a full-scale backbone (default cpu)",
    )
    evaluate.add_argument(
        "--data", default="data/tiny", help="a built dataset directory (default: data/tiny)"
    )
    evaluate.add_argument(
        "--set",
        action="append",
        metavar="NAME",
        help="split name(s): test, heldout_phrasing, eval_gsm8k, ... (default: test); "
        "heldout-audio or SPLIT-audio: the split's question clips, heard by --pipeline",
    )
    evaluate.add_argument(
        "--schedule", action="append", metavar="S", help="schedule(s) (default: the model's)"
    )
    evaluate.add_argument(
        "--per-category", type=int, default=0, help="at most N items per category (0 = all)"
    )
    evaluate.add_argument("--latency-n", type=int, default=10, help="items timed at batch size 1")
    evaluate.add_argument("--question-form", choices=("spoken", "written"), default="spoken")
    evaluate.add_argument("--json", metavar="OUT", help="write the full report here")
    evaluate.add_argument("--plot", metavar="PNG", help="accuracy vs time to first spoken token")
    evaluate.add_argument("--quiet", action="store_true")
    evaluate.add_argument(
        "--spoken-mqa",
        metavar="DIR",
        help="instead of --data: the public Spoken-MQA parquet files in DIR, heard from audio",
    )
    evaluate.add_argument(
        "--pipeline",
        choices=("auto", "cascade", "e2e"),
        default="auto",
        help="how audio sets and --spoken-mqa are heard (default: e2e where the checkpoint can)",
    )
    evaluate.add_argument(
        "--per-split", type=int, help="--spoken-mqa: a seeded sample of N items per split"
    )
    evaluate.set_defaults(func=_cmd_eval)

    serve = commands.add_parser(
        "serve", help="a web page and streaming API: talk to the model in a browser"
    )
    serve.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--model", help="checkpoint directory (default: the embedded model)")
    serve.add_argument("--talker", help="voice: piper (default) or espeak")
    serve.add_argument(
        "--concurrency",
        choices=("interleave", "queue"),
        default="interleave",
        help="share the decoder round-robin between answers (default) or answer one at a time",
    )
    serve.add_argument("--max-sessions", type=int, default=16)
    serve.add_argument("--max-audio-s", type=float, default=30.0, help="longest spoken question")
    serve.add_argument("--idle-s", type=float, default=300.0, help="close idle sessions after this")
    serve.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="another page origin allowed to connect, e.g. https://example.org (repeatable)",
    )
    serve.add_argument(
        "--ssl-keyfile", help="serve https (browsers need it for the mic off localhost)"
    )
    serve.add_argument("--ssl-certfile")
    serve.set_defaults(func=_cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `omni-reasoner ... | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError) as exc:
        if os.environ.get("OMNI_REASONER_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"omni-reasoner: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
