"""The one record every source produces and every later stage reads.

A source (GSM8K, SVAMP, the procedural generator, ...) yields `Problem`s: the question
as written, the worked solution as a list of calculator `Step`s, and provenance. Later
stages turn it into a speakable question, a reasoning trace (in either trace style),
and a short spoken response; the scheduler then lays those out as a token stream.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# The Spoken-MQA categories (see design section 7).
CATEGORIES = ("arithmetic_short", "arithmetic_long", "single_step", "multi_step")

# Splits the generator draws. `test` holds held-out problems written with training
# phrasings; `heldout_phrasing` holds problems whose wording never occurs in training;
# `valid_phrasing` is its development twin, in other held-out wording (a model may be tuned
# against it, never against `heldout_phrasing`). A built dataset adds `valid` (training
# phrasings, new problems) and `eval_*` (GSM8K test, SVAMP, ...), never trained on.
SPLITS = ("train", "test", "heldout_phrasing", "valid_phrasing")


@dataclass(frozen=True)
class Step:
    """One calculator step of a worked solution: `expression` evaluates to `result`.

    `expression` uses + - * / and parentheses over decimal numbers (GSM8K's
    `<<48/2=24>>` is Step("48/2", "24")). `label` is a few words saying what the
    result is ("clips in May"); it is optional and only used by trace renderers.
    """

    expression: str
    result: str
    label: str = ""


@dataclass
class Problem:
    question: str  # as written; may contain digits and symbols
    answer: str  # canonical number string, see format.numbers.canonical
    steps: list[Step]
    category: str  # one of CATEGORIES
    source: str  # "gsm8k", "svamp", "generator", ...
    source_split: str  # the source's own split name ("train", "test", ...)
    source_id: str  # id in the source, or "<template>#<seed>" for generated items
    seed: int | None = None
    template_id: str = ""  # phrasing/template id for generated items, "" otherwise
    answer_unit: str = ""  # what the answer counts ("apples", "hours"), for the response
    solution_text: str = ""  # the source's own worked solution, kept for provenance
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["steps"] = [asdict(s) for s in self.steps]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Problem:
        d = dict(d)
        d["steps"] = [Step(**s) for s in d["steps"]]
        return cls(**d)
