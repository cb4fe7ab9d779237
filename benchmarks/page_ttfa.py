"""Time to first audio in the web page against the CLI's, same question, same loaded model.

    .venv/bin/python benchmarks/page_ttfa.py [--runs 6] [--question "..."]

Issue 6's target: the page's TTFA within 0.1 s of the CLI's. One process loads the model
and the Piper voice once, serves the page on a free localhost port, and opens it in
headless Debian chromium (the DevTools driver of `tests/test_browser.py`). Each run asks
the question twice, alternating: once through `speak()` (what `omni-reasoner ask --talker
piper` does) and once typed into the page, whose clock runs from the click to the first
audio chunk scheduled for playback. Medians and the difference are printed side by side;
the machine is shared and noisy, so read the difference, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_browser import TYPED, Browser, LocalServer, _microphone  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--question", default=TYPED)
    args = parser.parse_args()

    from omni_reasoner.api import Reasoner
    from omni_reasoner.infer.speaking import speak
    from omni_reasoner.model.talker import load_talker
    from omni_reasoner.serve import ServeConfig, create_app

    reasoner, talker = Reasoner.load(), load_talker("piper")
    app = create_app(ServeConfig(), reasoner, talker)
    tmp = Path(tempfile.mkdtemp())
    page, cli, server_side = [], [], []
    with LocalServer(app) as server, Browser(tmp / "profile", _microphone(tmp)) as browser:
        browser.call("Page.navigate", url=f"http://127.0.0.1:{server.port}/")
        browser.wait_for("window.omni && window.omni.connected", 20, "the page's connection")
        for run in range(args.runs):
            result, _ = speak(reasoner, args.question, talker)
            cli.append(result.ttfa_s)
            browser.evaluate(f"document.getElementById('question').value = {json.dumps(args.question)}")  # fmt: skip
            browser.evaluate("document.getElementById('ask').click()")
            browser.wait_for(f"window.omni.answers.length >= {run + 1}", 60, "the answer")
            answer = browser.evaluate(f"window.omni.answers[{run}]")
            page.append(answer["pageTtfa"])
            server_side.append(answer["serverTtfa"])
            print(
                f"run {run + 1}: cli {cli[-1]:.3f} s  page {page[-1]:.3f} s  "
                f"(server {server_side[-1]:.3f} s)",
                flush=True,
            )
            time.sleep(1.0)
    cli_median, page_median = statistics.median(cli), statistics.median(page)
    print(f"median TTFA: cli {cli_median:.3f} s, page {page_median:.3f} s, {args.runs} runs each")
    print(f"page - cli: {page_median - cli_median:+.3f} s (target: within 0.1 s)")


if __name__ == "__main__":
    main()
