"""Section 20: held-out wording that people wrote too.

The held-out tiers' phrasings were written for this project, but some are plain English
("how many does she still have?") and occur in human-written problems. This finds which
held-out options' forms occur in each arm's added training text (by the regexes of the leak
test, `tests/test_generator.py`, so the definition is the same), then scores every arm of
docs/broad-wording/ on the wide dev tier twice: all 600 items, and only the items whose
template uses none of those options (the part no arm has seen written anywhere).

`python docs/broad-wording/human_forms.py` from the repository root.
"""

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, "tests")
from omni_reasoner.data.sources import load_source  # noqa: E402
from test_generator import _all_options, _heldout_forms  # noqa: E402

HERE = Path(__file__).resolve().parent
ADDED = {  # what each section-20 arm adds to the shipped mix (GSM8K train is in every arm)
    "human": [
        p.question for name in ("asdiv", "multiarith", "singleeq") for p in load_source(name)
    ],
    "gsm-short": [p.question for p in load_source("gsm8k", "train") if len(p.steps) <= 2],
    "gsm8k (every arm)": [p.question for p in load_source("gsm8k", "train")],
}
tiers = {o.id: o.heldout for o in _all_options() if hasattr(o, "id")}
forms = _heldout_forms()
seen: set[str] = set()
for arm, questions in ADDED.items():
    lowered = [q.lower() for q in questions]
    hits: dict[str, int] = {}
    for option_id, fixed, form in forms:
        n = sum(
            1 for q, low in zip(questions, lowered, strict=True) if fixed in low and form.search(q)
        )
        if n:
            hits[option_id] = hits.get(option_id, 0) + n
    print(f"{arm}: {len(questions)} questions; held-out options found (tier, questions):")
    print("  " + ", ".join(f"{k} ({tiers[k]}, {v})" for k, v in sorted(hits.items())))
    seen |= set(hits)

templates = {
    row["id"]: set(row["template_id"].split("."))
    for row in pq.read_table(
        "data/dev-wide/valid_phrasing.parquet", columns=["id", "template_id"]
    ).to_pylist()
}
unseen = {i for i, options in templates.items() if not options & seen}
print(f"\nwide dev tier: {len(templates)} items, {len(unseen)} use no option found above")
print("| arm | all | items with no option found |")
print("|---|---|---|")
for path in sorted(HERE.glob("*/eval-wide.json")):
    items = json.loads(path.read_text())["results"][0]["items"]
    right = {item["id"] for item in items if item["correct"]}
    print(
        f"| {path.parent.name} | {100 * len(right) / len(items):.1f} % "
        f"| {100 * len(right & unseen) / len(unseen):.1f} % |"
    )
