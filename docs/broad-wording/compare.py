"""Sections 14-15's tables: accuracy of each arm on each eval set, broad vs old item by item,
and each arm against the session-7 default (arm `shipped`, the one shipped until section 15)
item by item.

`python docs/broad-wording/compare.py [--collect] [--against ARM]`: --collect first copies
runs/bw/ARM/eval-*.json (written by eval.sh) here, to docs/broad-wording/ARM/, keeping each
item's id, category, correct and prediction; the table is read from those copies. --against
compares every arm item by item with ARM instead of `shipped` (section 16: `s3long-loopguard`,
section 15's default scored again by the engine that cuts loops).
"""

import json
import sys
from pathlib import Path

from omni_reasoner.eval.paired import mcnemar_p

RUNS = Path("runs/bw")
HERE = Path(__file__).resolve().parent
KEEP = ("id", "category", "correct", "prediction")


def collect() -> None:
    for path in sorted(RUNS.glob("*/eval-*.json")):
        data = json.loads(path.read_text())
        for result in data["results"]:
            result["items"] = [{k: item[k] for k in KEEP} for item in result["items"]]
        out = HERE / path.parent.name / path.name
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(data, separators=(",", ":")) + "\n")


SETS = ("dev", "wide", "check", "svamp")


def correct(arm: str, name: str) -> dict[str, bool] | None:
    path = HERE / arm / f"eval-{name}.json"
    if not path.is_file():
        return None
    items = json.loads(path.read_text())["results"][0]["items"]
    return {item["id"]: bool(item["correct"]) for item in items}


if "--collect" in sys.argv:
    collect()
arms = sorted(p.parent.name for p in HERE.glob("*/eval-*.json"))
arms = sorted(set(arms))
print("| arm | " + " | ".join(SETS) + " |")
print("|---|" + "---|" * len(SETS))
for arm in arms:
    cells = []
    for name in SETS:
        got = correct(arm, name)
        cells.append(f"{100 * sum(got.values()) / len(got):.1f} % ({len(got)})" if got else "-")
    print(f"| {arm} | " + " | ".join(cells) + " |")
for name in SETS:
    gained = lost = 0
    for seed in (1, 2):
        old, new = correct(f"old-s{seed}", name), correct(f"broad-s{seed}", name)
        if old and new:
            gained += sum(new[i] and not old[i] for i in old)
            lost += sum(old[i] and not new[i] for i in old)
    if gained + lost:
        print(
            f"{name}: broad vs old, seeds paired: {gained} gained, {lost} lost, p = {mcnemar_p(gained, lost):.3g}"
        )
against = sys.argv[sys.argv.index("--against") + 1] if "--against" in sys.argv else "shipped"
baseline = {name: correct(against, name) for name in SETS}
for arm in arms:
    if arm == against:
        continue
    cells = []
    for name in SETS:
        base, new = baseline[name], correct(arm, name)
        if base and new:
            gained = sum(new[i] and not base[i] for i in base)
            lost = sum(base[i] and not new[i] for i in base)
            cells.append(f"{name} {gained}/{lost} (p = {mcnemar_p(gained, lost):.2g})")
    print(f"{arm} vs {against}, gained/lost: " + ", ".join(cells))
