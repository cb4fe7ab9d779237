"""Procedural Spoken-MQA-style problems in four categories, in many wordings.

    arithmetic_short  two operands: + and - up to 3 digits, x by a 1-2 digit number,
                      exact division (1-2 digit divisor, quotient up to 3 digits)
    arithmetic_long   3-4 operands, mixed operations, precedence, sometimes parentheses
    single_step       one-operation word problems (AddSub / SingleOp-like)
    multi_step        two- and three-operation word problems (easy GSM8K-like)

Wording is composed, not templated whole: a scenario frame (nouns, verbs, containers,
receivers, rates), a problem plan (the arithmetic and which facts state it), one phrasing
per fact, a layout (context then question, question first, "If ..., ...", facts joined
with "and"), a question core ("does Maya have left", "are left", "remain") and a question
form around it ("How many ...?", "Can you tell me how many ...?", "What is the number of
... ?"), with names, tense, pronouns and money style drawn per problem. Arithmetic uses
question wrappers around a typed expression ("What's 12 + 7?"), operation phrasings ("Take
7 away from 12."), step-by-step instructions ("Start with 12, add 7, then multiply by 3.")
and fixed-shape phrasings ("Multiply the sum of 12 and 7 by 3.").

Frames: market, bakery, school, farm, toys, party, sports, cafe, animals, travel (speed,
time, distance) and savings (money put aside towards a goal); held out: garden, library,
beach (dev tier), crafts, pond, camping (test tier).

Held-out phrasings. Every choice point lists its options with stable ids (phrasings.py);
some are marked held out by hand, picked to be new wording rather than near-copies of a
training option (a different verb or construction, not "what is" against "what's"), in two
tiers: DEV options make the `valid_phrasing` split (look at its errors, tune the training
wording against it) and TEST options make `heldout_phrasing` (written before any model saw
them, never tuned on). Each tier has whole frames, question forms, a core per question kind,
phrasings per fact kind, arithmetic wrappers, phrasings per operation, instructions and
fixed-shape phrasings. `train`, `valid` and `test` never use a held-out option; a held-out
split uses only its tier's options wherever a choice point has any (names, numbers, tense and
layouts are shared). A problem's `template_id` joins the ids of its choices, so
`is_heldout_template` can tell which side it came from.

Splits of the arithmetic itself. Each problem's steps hash into one of 10 buckets; bucket 0
belongs to the evaluation splits, the rest to `train`, so a test problem's
arithmetic never occurs in train under any wording. `generate` is deterministic in
(category, split, n, seed, wording); each item is rebuilt by
`make_problem(category, split, item.seed, wording)`. `wording` is the training wording version
(phrasings.WORDING_VERSIONS): options added later never appear in an earlier version.
"""

from __future__ import annotations

import ast
import functools
import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from omni_reasoner.data import phrasings as P
from omni_reasoner.data.problem import CATEGORIES, SPLITS, Problem, Step

SPLIT_TIERS = {"valid_phrasing": P.DEV, "heldout_phrasing": P.TEST}  # other splits: P.TRAIN
_TEST_BUCKETS = 10  # bucket 0 of the arithmetic goes to the evaluation splits
_MAX_REDRAWS = 200
_PREFIX = {
    "arithmetic_short": "as",
    "arithmetic_long": "al",
    "single_step": "ss",
    "multi_step": "ms",
}
DOLLAR = P.N("dollar")

Option = TypeVar("Option")
_Made = tuple[str, list[Step], str, str]  # question, steps, template id, answer unit


# ------------------------------------------------------------------ held-out bookkeeping


def _all_options() -> list[Any]:
    options: list[Any] = [*P.FRAMES, *P.WRAPPERS, *P.ARITH_WRAPPERS, *P.ARITH_CHAINS]
    options += [phrase for phrases in P.FACTS.values() for phrase in phrases]
    options += [core for _, cores in P.ASKS.values() for core in cores]
    options += [phrase for phrases in P.ARITH_TEMPLATES.values() for phrase in phrases]
    options += [phrase for phrases in P.ARITH_INSTRUCTIONS.values() for phrase in phrases]
    options += [phrase for phrase, _ in P.ARITH_SHAPES]
    return options


_HELDOUT_IDS = frozenset(option.id for option in _all_options() if option.heldout)


def heldout_template_ids() -> frozenset[str]:
    """Ids of the held-out options; a template id is held out when any of its parts is one."""
    return _HELDOUT_IDS


def is_heldout_template(template_id: str) -> bool:
    return any(part in _HELDOUT_IDS for part in re.split(r"[.-]", template_id))


def _pick(rng: random.Random, options: Sequence[Option], split: str, wording: int) -> Option:
    """An option of the split's tier where the choice point has any, else a training one of
    the wording version or an earlier one."""
    options = [o for o in options if _in_version(o, wording)]
    tier = SPLIT_TIERS.get(split, P.TRAIN)
    pool = [o for o in options if o.heldout == tier]  # type: ignore[attr-defined]
    if not pool:
        pool = [o for o in options if o.heldout == P.TRAIN]  # type: ignore[attr-defined]
    return rng.choice(pool)


def _in_version(option: Any, wording: int) -> bool:
    return option.since <= wording and (option.until is None or wording <= option.until)


def _in_split(category: str, steps: list[Step], split: str) -> bool:
    key = category + "|" + ";".join(_commutative_key(step.expression) for step in steps)
    test_side = zlib.crc32(key.encode()) % _TEST_BUCKETS == 0
    return test_side == (split != "train")


def _commutative_key(expression: str) -> str:
    match = re.fullmatch(r"(\d+)([+*])(\d+)", expression)
    if not match:
        return expression
    a, op, b = match.groups()
    return op.join(sorted((a, b), key=int))


# ------------------------------------------------------------------ words


def conjugate(verb: str, tense: str, plural: bool = False) -> str:
    """'buy' -> 'buys' / 'bought'; the first word only, so 'give away' -> 'gave away'."""
    head, space, rest = verb.partition(" ")
    if head == "be":
        form = ("are" if plural else "is") if tense == "present" else ("were" if plural else "was")
    elif tense == "past":
        form = P.IRREGULAR_VERBS[head][1] if head in P.IRREGULAR_VERBS else _regular_past(head)
    elif plural:
        form = head
    else:
        form = P.IRREGULAR_VERBS[head][0] if head in P.IRREGULAR_VERBS else _regular_s(head)
    return form + space + rest


def _regular_s(verb: str) -> str:
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _regular_past(verb: str) -> str:
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


_FIELD = re.compile(r"\{([^{}]+)\}")
_SENTENCE_START = re.compile(r"(^|[.?!] )([a-z])")


def _sentence_case(text: str) -> str:
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


class _Words:
    """Fills the templates of one problem: its names, tense, nouns, verbs and money style."""

    def __init__(self, tense: str, slots: dict[str, str], nouns: dict[str, P.Noun], sign: bool):
        self.tense, self.slots, self.nouns, self.dollar_sign = tense, slots, nouns, sign

    def fill(self, template: str, local: dict[str, Any] | None = None) -> str:
        local = local or {}
        return _FIELD.sub(lambda m: self._resolve(m.group(1), local), template)

    def _noun(self, name: str, local: dict[str, Any]) -> P.Noun:
        found = local.get(name)
        return found if isinstance(found, P.Noun) else self.nouns[name]

    def _resolve(self, key: str, local: dict[str, Any]) -> str:
        if key.startswith("$"):
            amount = local[key[1:]]
            return f"${amount}" if self.dollar_sign else f"{amount} {DOLLAR.form(amount)}"
        head, _, tail = key.partition(":")
        if tail:
            if head in ("v", "vp"):
                return conjugate(self.slots.get(tail, tail), self.tense, plural=head == "vp")
            if head == "be":
                return conjugate("be", self.tense, plural=local[tail] != 1)
            if isinstance(local.get(head), int):
                return f"{local[head]} {self._noun(tail, local).form(local[head])}"
            return self._noun(head, local).form(local[tail])
        value = local.get(key)
        if isinstance(value, (int, str)):
            return str(value)
        if key in self.nouns or isinstance(value, P.Noun):
            return self._noun(key, local).singular
        if key.endswith("s") and (
            key[:-1] in self.nouns or isinstance(local.get(key[:-1]), P.Noun)
        ):
            return self._noun(key[:-1], local).plural
        return self.slots[key]


# ------------------------------------------------------------------ word-problem plans


@dataclass
class _Plan:
    """The arithmetic of a word problem and which facts state it (no wording yet)."""

    name: str
    facts: list[tuple[str, dict[str, Any]]]
    ask: str  # a key of phrasings.ASKS
    steps: list[Step]
    unit: str = "item"  # noun the answer counts, or "speed"
    people: int = 1
    nouns: dict[str, P.Noun] = field(default_factory=dict)
    slots: dict[str, str] = field(default_factory=dict)


def _op(steps: list[Step], a: int, symbol: str, b: int) -> int:
    value = _apply(a, symbol, b)
    steps.append(Step(f"{a}{symbol}{b}", str(value)))
    return value


def _chain(rng: random.Random, ops: int) -> _Plan | None:
    """Start with a quantity, change it, maybe share or pack it: `ops` operations in all."""
    steps: list[Step] = []
    facts: list[tuple[str, dict[str, Any]]] = []
    start = rng.choice(("has", "has", "groups", "two"))
    if start == "has":
        value = rng.randint(8, 60)
        facts.append(("has", {"n": value}))
    elif start == "groups":
        count, each = rng.randint(2, 9), rng.randint(2, 12)
        facts.append(("groups", {"n": count, "m": each}))
        value = _op(steps, count, "*", each)
    else:
        first, second = rng.randint(2, 30), rng.randint(2, 30)
        facts.append(("two", {"n": first, "m": second}))
        value = _op(steps, first, "+", second)
    remaining = ops - len(steps)
    terminal = remaining >= 1 and rng.random() < 0.35
    ask, unit = "total_one", "item"
    last = ""
    for _ in range(remaining - terminal):  # gains and losses alternate, like a story
        lose = last == "gain" or (not last and rng.random() < 0.5)
        if lose and value >= 2:
            last = "loss"
            amount = rng.randint(1, min(value - 1, 40))
            facts.append(("loss", {"n": amount}))
            value, ask = _op(steps, value, "-", amount), rng.choice(("left", "left", "now"))
        else:
            last = "gain"
            amount = rng.randint(1, 30)
            facts.append(("gain", {"n": amount}))
            value, ask = _op(steps, value, "+", amount), rng.choice(("now", "now", "total_one"))
    if terminal:
        share = rng.random() < 0.5
        divisors = [d for d in range(2, 13) if value % d == 0 and value // d >= 2]
        if not divisors:
            return None
        divisor = rng.choice(divisors)
        facts.append(("share" if share else "pack", {"n": divisor}))
        _op(steps, value, "/", divisor)
        ask, unit = ("each", "item") if share else ("containers", "container")
    return _Plan(f"chain{start}", facts, ask, steps, unit)


def _pair(rng: random.Random, relation: str, total: bool) -> _Plan:
    """Two people: X has a; Y has a known relation to it. Ask Y's count or both together."""
    steps: list[Step] = []
    if relation == "has":
        a, b = rng.randint(3, 60), rng.randint(3, 60)
        facts = [("has", {"n": a}), ("has_y", {"n": b})]
        _op(steps, a, "+", b)
        return _Plan("pair", facts, "total_two", steps, people=2)
    if relation == "diff":
        a = rng.randint(10, 60)
        b = rng.randint(2, a - 1)
        _op(steps, a, "-", b)
        return _Plan("diff", [("has", {"n": a}), ("has_y", {"n": b})], "more_than", steps, people=2)
    if relation == "more":
        a, b = rng.randint(3, 50), rng.randint(1, 30)
        other = _op(steps, a, "+", b)
    elif relation == "fewer":
        a = rng.randint(8, 60)
        b = rng.randint(1, a - 1)
        other = _op(steps, a, "-", b)
    else:
        a, b = rng.randint(2, 20), rng.randint(2, 5)
        other = _op(steps, a, "*", b)
    facts = [("has", {"n": a}), (f"{relation}_y", {"n": b})]
    if total:
        _op(steps, a, "+", other)
    return _Plan(
        f"{relation}{'total' if total else ''}",
        facts,
        "total_two" if total else "other",
        steps,
        people=2,
    )


def _need(rng: random.Random) -> _Plan:
    steps: list[Step] = []
    a = rng.randint(10, 80)
    b = rng.randint(1, a - 1)
    _op(steps, a, "-", b)
    return _Plan("need", [("need", {"n": a}), ("already", {"n": b})], "need_more", steps)


def _need_groups(rng: random.Random) -> _Plan:
    steps: list[Step] = []
    count, each = rng.randint(2, 6), rng.randint(2, 12)
    have = _op(steps, count, "*", each)
    need = have + rng.randint(1, 40)
    _op(steps, need, "-", have)
    facts = [("need", {"n": need}), ("groups", {"n": count, "m": each})]
    return _Plan("needgroups", facts, "need_more", steps)


def _rate(rng: random.Random, frame: P.Frame, variant: str) -> _Plan:
    rate = rng.choice(frame.gathering_rates if variant == "stock" else frame.rates)
    nouns, slots = {"item": rate.item, "period": rate.period}, {"make": rate.verb}
    steps: list[Step] = []
    per, periods = rng.randint(2, 25), rng.randint(2, 10)
    if variant == "one":
        facts = [("rate", {"n": per}), ("duration", {"n": periods})]
        _op(steps, per, "*", periods)
        return _Plan("rate", facts, "made", steps, nouns=nouns, slots=slots)
    if variant == "two":
        per2, periods2 = rng.randint(2, 25), rng.randint(2, 8)
        facts = [("rate_for", {"n": per, "m": periods}), ("rate_then", {"n": per2, "m": periods2})]
        first, second = _op(steps, per, "*", periods), _op(steps, per2, "*", periods2)
        _op(steps, first, "+", second)
        return _Plan("ratetwo", facts, "made", steps, nouns=nouns, slots=slots)
    stock = rng.randint(2, 50)
    facts = [("stock", {"n": stock}), ("rate", {"n": per}), ("duration", {"n": periods})]
    made = _op(steps, per, "*", periods)
    _op(steps, stock, "+", made)
    return _Plan("ratestock", facts, "stock_now", steps, nouns=nouns, slots=slots)


def _money(rng: random.Random, frame: P.Frame, variant: str) -> _Plan:
    steps: list[Step] = []
    if variant == "total":
        price, count = rng.randint(1, 20), rng.randint(2, 12)
        _op(steps, count, "*", price)
        facts = [("price", {"n": price}), ("buy", {"n": count})]
        return _Plan("pricetotal", facts, "spend", steps, unit="dollar")
    if variant == "each":
        price, count = rng.randint(1, 20), rng.randint(2, 12)
        _op(steps, count * price, "/", count)
        facts = [("paid", {"n": count, "m": count * price})]
        return _Plan("priceeach", facts, "price", steps, unit="dollar")
    if variant == "change":
        wallet = rng.randint(10, 100)
        spent = rng.randint(1, wallet - 1)
        _op(steps, wallet, "-", spent)
        facts = [("wallet", {"n": wallet}), ("spend", {"n": spent})]
        return _Plan("change", facts, "money_left", steps, unit="dollar")
    if variant == "two":
        first, second = rng.sample(frame.items, 2)
        n1, p1, n2, p2 = (
            rng.randint(2, 10),
            rng.randint(1, 15),
            rng.randint(2, 10),
            rng.randint(1, 15),
        )
        cost1, cost2 = _op(steps, n1, "*", p1), _op(steps, n2, "*", p2)
        _op(steps, cost1, "+", cost2)
        facts = [
            ("buy_at", {"n": n1, "m": p1, "item": first, "S": "{X}"}),
            ("buy_at", {"n": n2, "m": p2, "item": second}),
        ]
        return _Plan("buytwo", facts, "spend", steps, unit="dollar")
    count, price = rng.randint(2, 10), rng.randint(1, 15)
    cost = _op(steps, count, "*", price)
    wallet = cost + rng.randint(1, 50)
    _op(steps, wallet, "-", cost)
    facts = [("wallet", {"n": wallet}), ("buy_at", {"n": count, "m": price})]
    return _Plan("changebuy", facts, "money_left", steps, unit="dollar")


def _travel(rng: random.Random, variant: str) -> _Plan:
    verb, verb_ing, low, high = rng.choice(P.TRAVEL_MODES)
    slots = {"travel": verb, "traveling": verb_ing}
    steps: list[Step] = []
    speed, hours = rng.randint(low, high), rng.randint(2, 8)
    if variant == "distance":
        _op(steps, speed, "*", hours)
        facts = [("speed_time", {"n": speed, "m": hours})]
        return _Plan("distance", facts, "distance", steps, unit="unit", slots=slots)
    if variant == "hours":
        _op(steps, speed * hours, "/", speed)
        facts = [("trip", {"n": speed * hours}), ("speed", {"n": speed})]
        return _Plan("hours", facts, "hours", steps, unit="hour", slots=slots)
    if variant == "speed":
        _op(steps, speed * hours, "/", hours)
        facts = [("covered", {"n": speed * hours, "m": hours})]
        return _Plan("speed", facts, "speed", steps, unit="speed", slots=slots)
    if variant == "legs":
        speed2, hours2 = rng.randint(low, high), rng.randint(2, 6)
        first, second = _op(steps, speed, "*", hours), _op(steps, speed2, "*", hours2)
        _op(steps, first, "+", second)
        facts = [("speed_time", {"n": speed, "m": hours}), ("leg2", {"n": speed2, "m": hours2})]
        return _Plan("legs", facts, "distance", steps, unit="unit", slots=slots)
    done = _op(steps, speed, "*", hours)
    trip = done + rng.randint(5, 150)
    _op(steps, trip, "-", done)
    facts = [("trip", {"n": trip}), ("speed_time", {"n": speed, "m": hours})]
    return _Plan("distleft", facts, "distance_left", steps, unit="unit", slots=slots)


def _savings(rng: random.Random, variant: str) -> _Plan:
    steps: list[Step] = []
    per, periods = rng.randint(2, 40), rng.randint(2, 15)
    if variant == "total":
        _op(steps, per, "*", periods)
        facts = [("save_rate", {"n": per}), ("save_for", {"n": periods})]
        return _Plan("saved", facts, "saved", steps, unit="dollar")
    if variant == "periods":
        _op(steps, per * periods, "/", per)
        facts = [("goal", {"n": per * periods}), ("save_rate", {"n": per})]
        return _Plan("periods", facts, "periods", steps, unit="period")
    saved = rng.randint(5, 100)
    if variant == "gift":
        gift = rng.randint(1, 50)
        _op(steps, saved, "+", gift)
        facts = [("wallet", {"n": saved}), ("gift", {"n": gift})]
        return _Plan("gift", facts, "money_now", steps, unit="dollar")
    if variant == "plus":
        earned = _op(steps, per, "*", periods)
        _op(steps, saved, "+", earned)
        facts = [("save_rate", {"n": per}), ("save_for", {"n": periods}), ("saved", {"n": saved})]
        return _Plan("savedplus", facts, "money_now", steps, unit="dollar")
    goal = saved + per * periods
    missing = _op(steps, goal, "-", saved)
    _op(steps, missing, "/", per)
    facts = [("goal", {"n": goal}), ("saved", {"n": saved}), ("save_rate", {"n": per})]
    return _Plan("goal", facts, "periods", steps, unit="period")


Planner = Callable[[random.Random, P.Frame], "_Plan | None"]


def _variants(plan: Callable[[random.Random, str], _Plan], *names: str) -> list:
    return [(lambda rng, frame, name=name: plan(rng, name), 1, "") for name in names]


# (category, frame kind) -> [(planner, weight, frame attribute it needs)]
_PLANS: dict[tuple[str, str], list[tuple[Planner, int, str]]] = {
    ("single_step", "objects"): [
        (lambda r, f: _chain(r, 1), 8, ""),
        (lambda r, f: _pair(r, "has", False), 1, ""),
        (lambda r, f: _pair(r, "diff", False), 1, ""),
        (lambda r, f: _pair(r, "more", False), 1, ""),
        (lambda r, f: _pair(r, "fewer", False), 1, ""),
        (lambda r, f: _pair(r, "times", False), 1, ""),
        (lambda r, f: _need(r), 1, ""),
        (lambda r, f: _rate(r, f, "one"), 2, "rates"),
        (lambda r, f: _money(r, f, "total"), 1, "money"),
        (lambda r, f: _money(r, f, "each"), 1, "money"),
        (lambda r, f: _money(r, f, "change"), 1, "money"),
    ],
    ("multi_step", "objects"): [
        (lambda r, f: _chain(r, r.choice((2, 2, 3))), 8, ""),
        (lambda r, f: _pair(r, "more", True), 1, ""),
        (lambda r, f: _pair(r, "fewer", True), 1, ""),
        (lambda r, f: _pair(r, "times", True), 1, ""),
        (lambda r, f: _need_groups(r), 1, ""),
        (lambda r, f: _rate(r, f, "two"), 1, "rates"),
        (lambda r, f: _rate(r, f, "stock"), 1, "gathering_rates"),
        (lambda r, f: _money(r, f, "two"), 1, "money"),
        (lambda r, f: _money(r, f, "changebuy"), 1, "money"),
    ],
    ("single_step", "travel"): _variants(_travel, "distance", "hours", "speed"),
    ("multi_step", "travel"): _variants(_travel, "legs", "left"),
    ("single_step", "savings"): _variants(_savings, "total", "periods", "gift"),
    ("multi_step", "savings"): _variants(_savings, "plus", "goal"),
}
_PLACES = {"if": ("any",), "qf": ("any", "alone"), "ctx": ("any", "alone", "end")}


NOUN_SWAP = {"item": 0.35, "container": 0.25, "receiver": 0.25}  # train only


@functools.cache
def _known_nouns(wording: int) -> frozenset[str]:
    """The real nouns of the version's scenes (every tier), which a made-up one must not be.
    Per version: a scene added later must not change which words an older version makes up
    (version 4's scenes did, for 1 of 60,000 version-1 training problems, until session 16)."""
    return frozenset(
        word
        for frame in P.FRAMES
        if _in_version(frame, wording)
        for noun in (
            *frame.items,
            *frame.containers,
            *frame.receivers,
            *(r.item for r in frame.rates),
        )
        for word in (noun.singular, noun.plural)
    )


_NUMBER_WORDS = re.compile(r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty")


def nonce_noun(rng: random.Random, wording: int = P.WORDING_VERSIONS[-1]) -> P.Noun:
    """A made-up countable noun ("blick", "tramoon") that is no number word."""
    while True:
        word = "".join(
            rng.choice(P.NONCE_ONSETS) + rng.choice(P.NONCE_VOWELS)
            for _ in range(rng.choice((1, 2)))
        )
        word += rng.choice(P.NONCE_CODAS)
        if len(word) >= 3 and not _NUMBER_WORDS.search(word) and word not in _known_nouns(wording):
            return P.N(word)


def _swapped_nouns(rng: random.Random, wording: int) -> dict[str, P.Noun]:
    """Now and then another item, container or receiver than the frame's own; items are
    made-up words two times in five of those."""
    swapped = {}
    if rng.random() < NOUN_SWAP["item"]:
        swapped["item"] = (
            nonce_noun(rng, wording) if rng.random() < 0.4 else rng.choice(P.EXTRA_ITEMS)
        )
    if rng.random() < NOUN_SWAP["container"]:
        swapped["container"] = rng.choice(P.EXTRA_CONTAINERS)
    if rng.random() < NOUN_SWAP["receiver"]:
        swapped["receiver"] = rng.choice(P.EXTRA_RECEIVERS)
    return swapped


def _words_for(rng: random.Random, frame: P.Frame, plan: _Plan, split: str, wording: int) -> _Words:
    (x_name, x_gender), (y_name, _) = rng.sample(P.NAMES, 2)
    subject, obj, possessive = P.PRONOUNS[x_gender]
    tense = "present" if rng.random() < 0.7 else "past"
    one_person = plan.people == 1
    slots = {
        "X": x_name, "Y": y_name, "Yq": y_name, "Xposs": f"{x_name}'s", "her": possessive,
        "S": x_name, "pronoun": subject if one_person else x_name,
        "Xq": subject if one_person and rng.random() < 0.6 else x_name,
        "obj": obj, "now": "now" if tense == "present" else "after that",
        "thing": rng.choice(P.SAVING_GOALS),
    }  # fmt: skip
    if frame.kind == "objects":
        kind1, kind2 = rng.sample(frame.kinds, 2)
        slots |= {
            "kind1": kind1,
            "kind2": kind2,
            "gain": rng.choice(frame.gain),
            "loss": rng.choice(frame.loss),
        }
        nouns = {
            "item": rng.choice(frame.items),
            "container": rng.choice(frame.containers),
            "receiver": rng.choice(frame.receivers),
        }
        if split == "train":
            nouns |= _swapped_nouns(rng, wording)
    else:
        nouns = {"unit": rng.choice(P.TRAVEL_UNITS), "period": rng.choice(P.SAVING_PERIODS)}
    nouns |= {"hour": P.HOUR, "dollar": DOLLAR} | plan.nouns
    return _Words(tense, slots | plan.slots, nouns, sign=rng.random() < 0.7)


def _question(
    rng: random.Random, split: str, wording: int, plan: _Plan, words: _Words, layout: str
) -> tuple[str, str, str]:
    whs, cores = P.ASKS[plan.ask]
    wh, noun_phrase = rng.choice(whs)
    core = _pick(rng, cores, split, wording)
    shapes = ("direct", "embedded", "relative") if noun_phrase else ("direct", "embedded")
    places = _PLACES.get(layout, _PLACES["ctx"])
    fitting = [w for w in P.WRAPPERS if w.shape in shapes and w.place in places]
    wrapper = _pick(rng, fitting, split, wording)
    text = wrapper.text.replace("{core}", getattr(core, wrapper.shape))
    text = text.replace("{wh}", wh).replace("{np}", noun_phrase or "")
    return words.fill(text), core.id, wrapper.id


def _arrange(layout: str, facts: list[str], question: str) -> str:
    if layout == "if":
        joined = facts[0] if len(facts) == 1 else ", ".join(facts[:-1]) + " and " + facts[-1]
        return _sentence_case(f"if {joined}, {question}")
    sentences = [fact + "." for fact in facts]
    if layout == "and":
        sentences = [f"{facts[0]} and {facts[1]}."] + sentences[2:]
    parts = [question, *sentences] if layout == "qf" else [*sentences, question]
    return _sentence_case(" ".join(parts))


def _word_problem(category: str, split: str, wording: int, rng: random.Random) -> _Made | None:
    frame = _pick(rng, P.FRAMES, split, wording)
    plans = [
        (p, w) for p, w, need in _PLANS[(category, frame.kind)] if not need or getattr(frame, need)
    ]
    planner = rng.choices([p for p, _ in plans], [w for _, w in plans])[0]
    for _ in range(_MAX_REDRAWS):
        plan = planner(rng, frame)
        if plan is not None and _in_split(category, plan.steps, split):
            break
    else:
        return None
    words = _words_for(rng, frame, plan, split, wording)
    in_training_wording = SPLIT_TIERS.get(split, P.TRAIN) == P.TRAIN
    layouts = P.LAYOUTS_SINCE_4 if wording >= 4 and in_training_wording else P.LAYOUTS
    layout = rng.choices([name for name, _ in layouts], [weight for _, weight in layouts])[0]
    if layout == "and" and len(plan.facts) < 2:
        layout = "ctx"
    if layout == "qf" or plan.people > 1:
        words.slots["Xq"] = words.slots["X"]
    xq = words.slots["Xq"]  # its object form, for "does it take her" (wording version 3)
    words.slots["Xqo"] = words.slots["obj"] if xq != words.slots["X"] else xq
    facts, ids = [], [_PREFIX[category], frame.id, plan.name]
    for kind, local in plan.facts:
        words.slots["S"] = words.slots["pronoun"] if rng.random() < 0.7 else words.slots["X"]
        phrase = _pick(rng, P.FACTS[kind], split, wording)
        local = {k: words.fill(v) if isinstance(v, str) else v for k, v in local.items()}
        facts.append(words.fill(phrase.text, local))
        ids.append(phrase.id)
    question, core_id, wrapper_id = _question(rng, split, wording, plan, words, layout)
    answer = int(plan.steps[-1].result)
    if plan.unit == "speed":
        unit = f"{words.nouns['unit'].plural} per hour"
    else:
        unit = words.nouns[plan.unit].form(answer)
    template_id = ".".join([*ids, layout, core_id, wrapper_id])
    return _arrange(layout, facts, question), plan.steps, template_id, unit


# ------------------------------------------------------------------ arithmetic


def _number(rng: random.Random, low: int = 1) -> int:
    """Up to 3 digits, most of them 2-3 digits long."""
    digits = rng.choices((1, 2, 3), (1, 3, 4))[0]
    return rng.randint(max(low, 10 ** (digits - 1) if digits > 1 else 1), 10**digits - 1)


def _typed(rng: random.Random, expression: str, worded: bool) -> str:
    """The expression as a person types it: '(12 + 7) x 3', '12+7', or '12 plus 7 times 3'."""
    tokens = re.findall(r"\d+|[-+*/()]", expression)
    if worded:
        return " ".join(rng.choice(P.OP_WORDS[t]) if t in P.OP_WORDS else t for t in tokens)
    symbols = {op: rng.choice(choices) for op, choices in P.OP_SYMBOLS.items()}
    spaced = rng.random() < 0.8 or symbols["*"] == "x"  # "4x7" reads as a word, not a product
    text = (" " if spaced else "").join(symbols.get(t, t) for t in tokens)
    return text.replace("( ", "(").replace(" )", ")")


def _arith_short(split: str, wording: int, rng: random.Random) -> _Made | None:
    for _ in range(_MAX_REDRAWS):
        op = rng.choice("+-*/")
        if op == "+":
            a, b = _number(rng), _number(rng)
        elif op == "-":
            a, b = sorted((_number(rng), _number(rng)), reverse=True)
        elif op == "*":
            a, b = (
                _number(rng, low=2),
                rng.randint(2, 9) if rng.random() < 0.5 else rng.randint(10, 99),
            )
            if rng.random() < 0.3:
                a, b = b, a
        else:
            b = rng.randint(2, 9) if rng.random() < 0.5 else rng.randint(10, 99)
            a = b * _number(rng, low=2)
        steps: list[Step] = []
        _op(steps, a, op, b)
        if _in_split("arithmetic_short", steps, split):
            break
    else:
        return None
    name = P.OP_NAMES[op]
    if rng.random() < 0.5:
        wrapper = _pick(rng, P.ARITH_WRAPPERS, split, wording)
        worded = rng.random() < 0.4
        text = wrapper.text.replace("{E}", _typed(rng, steps[0].expression, worded))
        template_id = f"as.{name}.{wrapper.id}.{'word' if worded else 'sym'}"
    else:
        phrase = _pick(rng, P.ARITH_TEMPLATES[op], split, wording)
        text = phrase.text.format(a=a, b=b)
        template_id = f"as.{name}.{phrase.id}"
    return _sentence_case(text), steps, template_id, ""


class _Redraw(Exception):
    """The numbers drawn so far cannot satisfy the shape; draw again."""


@functools.cache
def _parse_shape(shape: str) -> ast.expr:
    return ast.parse(shape, mode="eval").body


def _assign(node: ast.expr, rng: random.Random, values: dict[str, int]) -> int:
    """Draws a number per letter so every intermediate result is a whole number >= 0."""
    if isinstance(node, ast.Name):
        values[node.id] = _number(rng)
        return values[node.id]
    assert isinstance(node, ast.BinOp)
    left, right = node.left, node.right
    if isinstance(node.op, ast.Add):
        return _assign(left, rng, values) + _assign(right, rng, values)
    if isinstance(node.op, ast.Sub):
        if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
            subtrahend = _assign(right, rng, values)
            if subtrahend > 999:
                raise _Redraw
            values[left.id] = rng.randint(max(subtrahend, 1), 999)
            return values[left.id] - subtrahend
        minuend = _assign(left, rng, values)
        if isinstance(right, ast.Name):
            if minuend < 1:
                raise _Redraw
            values[right.id] = rng.randint(1, min(minuend, 999))
            return minuend - values[right.id]
        subtrahend = _assign(right, rng, values)
        if subtrahend > minuend:
            raise _Redraw
        return minuend - subtrahend
    if isinstance(node.op, ast.Mult):
        if isinstance(right, ast.Name):
            big, small = left, right
        elif isinstance(left, ast.Name):
            big, small = right, left
        else:
            raise _Redraw
        value = _assign(big, rng, values)
        cap = min(99 if value < 100 else 12, 20_000 // max(value, 1))
        if cap < 2:
            raise _Redraw
        values[small.id] = rng.randint(2, cap)
        return value * values[small.id]
    if not isinstance(right, ast.Name):  # division: divisor is always a number
        raise _Redraw
    if isinstance(left, ast.Name):
        divisor = rng.randint(2, 20)
        values[right.id] = divisor
        values[left.id] = divisor * rng.randint(2, 999 // divisor)
        return values[left.id] // divisor
    dividend = _assign(left, rng, values)
    divisors = [d for d in range(2, min(dividend, 99) + 1) if dividend % d == 0]
    if not divisors:
        raise _Redraw
    values[right.id] = rng.choice(divisors)
    return dividend // values[right.id]


def _fill_shape(rng: random.Random, shape: str) -> tuple[dict[str, int], Step] | None:
    values: dict[str, int] = {}
    try:
        result = _assign(_parse_shape(shape), rng, values)
    except _Redraw:
        return None
    expression = re.sub(r"[a-d]", lambda m: str(values[m.group()]), shape)
    return values, Step(expression, str(result))


def _random_shape(rng: random.Random) -> str:
    """'a+b*c', '(a-b)*c+d', ...: 3-4 operands, a meaningful pair of parentheses sometimes."""
    letters = "abcd"[: rng.choice((3, 3, 4))]
    ops = rng.choices("+-*/", (3, 3, 2, 2), k=len(letters) - 1)
    plain = letters[0] + "".join(op + letter for op, letter in zip(ops, letters[1:], strict=True))
    if rng.random() < 0.35:
        first = rng.randrange(len(letters) - 1)
        last = rng.randrange(first + 1, len(letters))
        if (first, last) != (0, len(letters) - 1):
            cut_open, cut_close = 2 * first, 2 * last + 1  # positions in `plain`
            grouped = f"{plain[:cut_open]}({plain[cut_open:cut_close]}){plain[cut_close:]}"
            if ast.dump(_parse_shape(grouped)) != ast.dump(_parse_shape(plain)):
                return grouped
    return plain


def _chain_numbers(rng: random.Random) -> tuple[int, list[tuple[str, int]], Step]:
    """A start and 2-3 operations applied left to right, all results whole and >= 0."""
    value = start = _number(rng, low=2)
    operations: list[tuple[str, int]] = []
    expression, precedence = str(start), 3
    for _ in range(rng.choice((2, 2, 3))):
        op = rng.choices("+-*/", (3, 3, 2, 2))[0]
        divisors = [d for d in range(2, min(value, 20) + 1) if value % d == 0]
        if (op == "/" and not divisors) or (op == "*" and value > 2000):
            op = "+"
        if op == "-" and value < 2:
            op = "+"
        if op == "+":
            amount = _number(rng)
        elif op == "-":
            amount = rng.randint(1, min(value - 1, 999))
        elif op == "*":
            amount = rng.randint(2, min(12, max(2, 20_000 // value)))
        else:
            amount = rng.choice(divisors)
        op_precedence = 1 if op in "+-" else 2
        if precedence < op_precedence:
            expression = f"({expression})"
        expression, precedence = f"{expression}{op}{amount}", op_precedence
        operations.append((op, amount))
        value = _apply(value, op, amount)
    return start, operations, Step(expression, str(value))


def _apply(value: int, op: str, amount: int) -> int:
    if op == "+":
        return value + amount
    if op == "-":
        return value - amount
    return value * amount if op == "*" else value // amount


_SHAPES = dict(P.ARITH_SHAPES)  # phrase -> shape


def _arith_long(split: str, wording: int, rng: random.Random) -> _Made | None:
    mode = rng.choices(("expr", "chain", "shape"), (5, 3, 2))[0]
    shape_phrase = _pick(rng, list(_SHAPES), split, wording) if mode == "shape" else None
    for _ in range(_MAX_REDRAWS):
        if mode == "expr":
            filled = _fill_shape(rng, _random_shape(rng))
        elif mode == "shape":
            filled = _fill_shape(rng, _SHAPES[shape_phrase])
        else:
            start, operations, step = _chain_numbers(rng)
            filled = ({}, step)
        if filled and _in_split("arithmetic_long", [filled[1]], split):
            break
    else:
        return None
    values, step = filled
    if mode == "expr":
        wrapper = _pick(rng, P.ARITH_WRAPPERS, split, wording)
        worded = "(" not in step.expression and rng.random() < 0.4
        text = wrapper.text.replace("{E}", _typed(rng, step.expression, worded))
        template_id = f"al.expr.{wrapper.id}.{'word' if worded else 'sym'}"
    elif shape_phrase is not None:
        text = shape_phrase.text.format(**values)
        template_id = f"al.shape.{shape_phrase.id}"
    else:
        chain = _pick(rng, P.ARITH_CHAINS, split, wording)
        picked = [
            (_pick(rng, P.ARITH_INSTRUCTIONS[op], split, wording), amount)
            for op, amount in operations
        ]
        instructions = [phrase.text.format(n=amount) for phrase, amount in picked]
        joined = ", ".join(instructions[:-1]) + rng.choice(P.CHAIN_JOINS) + instructions[-1]
        text = chain.text.format(a=start, steps=joined)
        template_id = f"al.chain.{chain.id}." + "-".join(phrase.id for phrase, _ in picked)
    return _sentence_case(text), [step], template_id, ""


# ------------------------------------------------------------------ public API


def make_problem(
    category: str, split: str, seed: int, wording: int = P.WORDING_VERSIONS[-1]
) -> Problem | None:
    """The problem for one item seed, or None when its draws did not fit the split."""
    _check(category, split, wording)
    rng = random.Random(seed)
    if category == "arithmetic_short":
        made = _arith_short(split, wording, rng)
    elif category == "arithmetic_long":
        made = _arith_long(split, wording, rng)
    else:
        made = _word_problem(category, split, wording, rng)
    if made is None:
        return None
    question, steps, template_id, unit = made
    return Problem(
        question=question,
        answer=steps[-1].result,
        steps=steps,
        category=category,
        source="generator",
        source_split=split,
        source_id=f"{template_id}#{seed}",
        seed=seed,
        template_id=template_id,
        answer_unit=unit,
    )


def _check(category: str, split: str, wording: int) -> None:
    if wording not in P.WORDING_VERSIONS:
        raise ValueError(f"unknown wording version {wording!r}; known: {P.WORDING_VERSIONS}")
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; expected one of {CATEGORIES}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")


def normalise_question(question: str) -> str:
    """Case, spacing and punctuation removed: the key for duplicate questions."""
    return re.sub(r"[\s.,?!:]", "", question.lower())


def generate(
    category: str, split: str, n: int, seed: int, wording: int = P.WORDING_VERSIONS[-1]
) -> list[Problem]:
    """`n` distinct problems; the same arguments always give the same list."""
    _check(category, split, wording)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(f"{category}/{split}/{seed}")
    problems: list[Problem] = []
    seen: set[str] = set()
    for _ in range(50 * n + 1000):
        if len(problems) == n:
            return problems
        problem = make_problem(category, split, rng.getrandbits(48), wording)
        if problem is None or (key := normalise_question(problem.question)) in seen:
            continue
        seen.add(key)
        problems.append(problem)
    if len(problems) == n:
        return problems
    raise ValueError(f"could not draw {n} distinct {category} problems for {split}")
