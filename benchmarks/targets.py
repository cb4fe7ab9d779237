"""The Thinker's targets (issue 3), read from eval JSON files and printed as met / not met.

    .venv/bin/python benchmarks/targets.py src/omni_reasoner/checkpoints/default/eval.json [more.json ...]

Targets: on the held-out `test` set arithmetic short >= 98 %, long >= 95 %, single-step
>= 98 %, multi-step >= 95 %; on `heldout_phrasing` >= 85 % overall; a thinking-in-speaking
schedule within 2 points of think-first (when both were evaluated on the same set).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CATEGORY_TARGETS = {
    "arithmetic_short": 0.98,
    "arithmetic_long": 0.95,
    "single_step": 0.98,
    "multi_step": 0.95,
}
HELDOUT_PHRASING_TARGET = 0.85


def main(paths: list[str]) -> None:
    results = []
    for path in paths:
        report = json.loads(Path(path).read_text())
        results += [(path, r) for r in report["results"]]
    for path, r in results:
        print(
            f"{path}: {r['set']} / {r['schedule']}: {100 * r['accuracy']:.1f}% overall, n={r['n']}"
        )
        if r["set"] == "test":
            for category, target in CATEGORY_TARGETS.items():
                got = r["by_category"].get(category, {}).get("accuracy")
                if got is not None:
                    verdict = "met" if got >= target else "NOT met"
                    print(
                        f"  {category:<18} {100 * got:6.1f}%  target >= {100 * target:.0f}%  {verdict}"
                    )
        if r["set"] == "heldout_phrasing":
            verdict = "met" if r["accuracy"] >= HELDOUT_PHRASING_TARGET else "NOT met"
            print(
                f"  overall            {100 * r['accuracy']:6.1f}%  target >= {100 * HELDOUT_PHRASING_TARGET:.0f}%  {verdict}"
            )
    by_set: dict[str, dict[str, float]] = {}
    for _, r in results:
        by_set.setdefault(r["set"], {})[r["schedule"]] = r["accuracy"]
    for split, accs in by_set.items():
        if "think-first" in accs:
            for schedule, acc in accs.items():
                if schedule != "think-first":
                    gap = 100 * (accs["think-first"] - acc)
                    verdict = "met" if gap <= 2 else "NOT met"
                    print(
                        f"{split}: {schedule} is {gap:+.1f} points below think-first (target <= 2): {verdict}"
                    )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
