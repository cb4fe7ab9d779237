"""Load on `omni-reasoner serve`: 8 concurrent WebSocket sessions against one, in one run.

    .venv/bin/python benchmarks/serve_load.py [--sessions 8] [--requests 3] \
        [--concurrency interleave queue] [--talker piper|espeak] [--model PATH]

Localhost only: it starts the server itself on a free 127.0.0.1 port (the embedded model
unless --model), asks a fixed number of questions and stops. For each concurrency mode it
runs one session alone (`--requests` questions in a row), then `--sessions` sessions at
once (`--requests` questions each, started together), and prints per row:
- TTFA as the client sees it: from sending the question to the first audio frame, p50/p95;
- the ratio of the concurrent p95 to the single session's;
- total time per answer (question sent -> final message), p50;
- stalls: the answers whose simulated playback ran dry (the server's count), and seconds;
- correct answers (the spoken answer against the known one), errors, and answers per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import threading
import time

from omni_reasoner.eval.scoring import is_correct

QUESTIONS = [
    ("Tom has twelve apples and gives five to Sam. How many does he have left?", "7"),
    ("What is forty-eight times seven?", "336"),
    ("Sarah has three boxes with eight pencils in each box. How many pencils does she have?", "24"),
    ("Ben has nine marbles and finds six more. How many marbles does he have now?", "15"),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with few values it is one of them)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def session(url: str, index: int, requests: int, start: asyncio.Event) -> list[dict]:
    from websockets.asyncio.client import connect

    records = []
    async with connect(url, max_size=None) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        await start.wait()
        for n in range(requests):
            question, expected = QUESTIONS[(index + n) % len(QUESTIONS)]
            sent = time.perf_counter()
            await ws.send(json.dumps({"type": "ask", "text": question}))
            first_audio = None
            while True:
                message = await ws.recv()
                if isinstance(message, bytes):
                    if first_audio is None:
                        first_audio = time.perf_counter() - sent
                    continue
                event = json.loads(message)
                if event["type"] in ("done", "error"):
                    break
            record = {"ttfa": first_audio, "total": time.perf_counter() - sent, "error": None}
            if event["type"] == "error":
                record["error"] = event["message"]
            else:
                record |= {
                    "correct": is_correct(event["answer"], expected),
                    "stalls": event["stalls"],
                    "stall_s": event["stall_s"],
                }
            records.append(record)
    return records


async def load(url: str, sessions: int, requests: int) -> tuple[list[dict], float]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(session(url, i, requests, start)) for i in range(sessions)]
    await asyncio.sleep(0.5)  # every session connected and greeted before the clock starts
    began = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    return [r for rs in results for r in rs], time.perf_counter() - began


def row(mode: str, sessions: int, records: list[dict], wall: float, single_p95: float | None):
    good = [r for r in records if r["error"] is None and r["ttfa"] is not None]
    ttfa = [r["ttfa"] for r in good]
    p50, p95 = percentile(ttfa, 50), percentile(ttfa, 95)
    ratio = f"{p95 / single_p95:6.1f}x" if single_p95 else "     -"
    stalled = sum(1 for r in good if r["stalls"])
    stall_s = sum(r["stall_s"] for r in good)
    correct = sum(1 for r in good if r["correct"])
    errors = sum(1 for r in records if r["error"])
    total = statistics.median(r["total"] for r in good)
    print(
        f"{mode:<11} {sessions:>8} {len(records):>5} {p50:>9.2f} {p95:>8.2f} {ratio} "
        f"{total:>9.2f} {stalled:>3} ({stall_s:5.2f} s) {correct:>4}/{len(records):<3} "
        f"{errors:>6} {len(records) / wall:>8.2f}",
        flush=True,
    )
    return p95, errors, correct == len(records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3, help="questions per session")
    parser.add_argument(
        "--concurrency", nargs="+", default=["interleave", "queue"], choices=["interleave", "queue"]
    )
    parser.add_argument("--talker", default="piper")
    parser.add_argument("--model")
    args = parser.parse_args()
    if args.sessions < 1 or args.requests < 1:
        parser.error("--sessions and --requests must be at least 1")

    import uvicorn

    from omni_reasoner.api import Reasoner
    from omni_reasoner.model.talker import load_talker
    from omni_reasoner.serve import ServeConfig, create_app

    reasoner, talker = Reasoner.load(args.model), load_talker(args.talker)
    print(
        f"{args.sessions} concurrent sessions vs 1, {args.requests} questions each, "
        f"talker {talker.name}, model {reasoner.path.name}, TTFA in seconds at the client"
    )
    print(
        f"{'mode':<11} {'sessions':>8} {'asked':>5} {'TTFA p50':>9} {'p95':>8} {'p95/1':>6} "
        f"{'total p50':>9} {'stalled':>13} {'correct':>8} {'errors':>6} {'answers/s':>9}"
    )
    failed = False
    for mode in args.concurrency:
        config = ServeConfig(concurrency=mode, max_sessions=max(16, args.sessions + 1))
        app = create_app(config, reasoner, talker)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/ws"
        try:
            records, wall = asyncio.run(load(url, 1, args.requests))
            single_p95, errors, ok = row(mode, 1, records, wall, None)
            records, wall = asyncio.run(load(url, args.sessions, args.requests))
            _, errors8, ok8 = row(mode, args.sessions, records, wall, single_p95)
            failed |= bool(errors or errors8) or not (ok and ok8)
        finally:
            server.should_exit = True
            thread.join(10)
    print("all answers correct, no errors" if not failed else "SOME ANSWERS WRONG OR FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
