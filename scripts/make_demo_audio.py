"""Regenerate the bundled demo question: Piper's joe voice says it, 16 kHz mono 16-bit wav.

    .venv/bin/python scripts/make_demo_audio.py [--question "..."]

Writes src/omni_reasoner/assets/demo_question.wav and demo_question.txt (its text), then
answers it through the cascade with the embedded default and prints what was heard and
the answer, so a new question is only shipped once the default gets it right.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import soundfile

from omni_reasoner.api import Reasoner
from omni_reasoner.audio import SAMPLE_RATE, load_audio
from omni_reasoner.data.store import atomic_write_bytes
from omni_reasoner.model.talker import load_talker

ASSETS = Path(__file__).resolve().parents[1] / "src" / "omni_reasoner" / "assets"
QUESTION = "Sarah has three boxes with eight pencils in each box. How many pencils does she have?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--out", type=Path, default=ASSETS)
    args = parser.parse_args()

    talker = load_talker("piper")
    audio = load_audio(talker.synthesize(args.question), talker.sample_rate)  # 16 kHz, trimmed
    buffer = io.BytesIO()
    soundfile.write(buffer, audio.samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    atomic_write_bytes(args.out / "demo_question.wav", buffer.getvalue())
    atomic_write_bytes(args.out / "demo_question.txt", (args.question + "\n").encode())
    print(f"wrote {args.out / 'demo_question.wav'}: {audio.duration_s:.2f} s")

    result = Reasoner.load().ask_audio(load_audio(args.out / "demo_question.wav"))
    print(f"heard:  {result.transcript}\nspoken: {result.spoken_text}\nanswer: {result.answer}")


if __name__ == "__main__":
    main()
