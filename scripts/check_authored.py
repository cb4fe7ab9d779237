"""Check files of the project's own word problems (src/omni_reasoner/data/authored/).

    python scripts/check_authored.py src/omni_reasoner/data/authored/*.jsonl

Every line must parse and check out (formula = answer, only numbers the question says);
prints the first error of each bad line, then counts by category and operation, and
questions that repeat.
"""

import json
import sys
from collections import Counter
from pathlib import Path

from omni_reasoner.data.sources import parse_authored


def main(paths: list[str]) -> int:
    bad, problems, ids = 0, [], Counter()
    for path in paths:
        for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                ids[record.get("id")] += 1
                problems.append(parse_authored(record, "train", line_no))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                bad += 1
                print(f"{path}:{line_no}: {exc}")
    repeated_ids = [i for i, n in ids.items() if n > 1]
    texts = Counter(p.question.lower() for p in problems)
    repeats = [q for q, n in texts.items() if n > 1]
    ops = Counter(len(p.steps) for p in problems)
    kinds = Counter(
        step.expression.strip("0123456789.()")[:1] for p in problems for step in p.steps
    )
    print(
        f"{len(problems)} good, {bad} bad; by category {dict(Counter(p.category for p in problems))}"
    )
    print(f"operations per problem {dict(sorted(ops.items()))}; operators {dict(kinds)}")
    for q in repeated_ids:
        print(f"repeated id: {q}")
    for q in repeats:
        print(f"repeated question: {q}")
    return 1 if bad or repeats or repeated_ids else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
