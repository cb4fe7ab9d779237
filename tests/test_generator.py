import random
import re
from collections import Counter

import pytest

from omni_reasoner.data import phrasings as P
from omni_reasoner.data.generator import (
    _all_options,
    conjugate,
    generate,
    heldout_template_ids,
    is_heldout_template,
    make_problem,
    nonce_noun,
    normalise_question,
)
from omni_reasoner.data.problem import CATEGORIES, Problem
from omni_reasoner.data.traces import evaluate_expression, render_trace
from omni_reasoner.format.numbers import find_numbers, number_values

N_TRAIN = 2000
N_OTHER = 400


@pytest.fixture(scope="module")
def items() -> dict[tuple[str, str], list[Problem]]:
    made = {}
    for category in CATEGORIES:
        made[category, "train"] = generate(category, "train", N_TRAIN, seed=0)
        made[category, "test"] = generate(category, "test", N_OTHER, seed=0)
        for split in HELDOUT_SPLITS:
            made[category, split] = generate(category, split, N_OTHER, seed=0)
    return made


HELDOUT_SPLITS = {"heldout_phrasing": P.TEST, "valid_phrasing": P.DEV}


def all_items(items, splits=("train", "test", *HELDOUT_SPLITS)):
    return [p for (_, split), problems in items.items() if split in splits for p in problems]


def operands(expression: str) -> list[str]:
    return re.findall(r"\d+", expression)


# ---------------------------------------------------------------- records and arithmetic


def test_problem_fields(items) -> None:
    for (category, split), problems in items.items():
        assert len(problems) == (N_TRAIN if split == "train" else N_OTHER)
        for p in problems[:100]:
            assert (p.category, p.source, p.source_split) == (category, "generator", split)
            assert p.template_id and p.seed is not None
            assert p.source_id == f"{p.template_id}#{p.seed}"
            assert p.steps and not p.question[0].islower() and p.question[-1] in ".?"
            assert bool(p.answer_unit) == (category in ("single_step", "multi_step"))
            assert Problem.from_dict(p.to_dict()) == p


def test_steps_are_right_and_the_answer_is_the_last_result(items) -> None:
    for p in all_items(items):
        for step in p.steps:
            assert evaluate_expression(step.expression) == step.result, p
        assert p.answer == p.steps[-1].result
        assert p.answer.isdigit(), p  # whole and >= 0


def test_every_operand_is_in_the_question(items) -> None:
    for p in all_items(items):
        # lstrip: numbers.find_numbers reads "(486+41)-863" as -863
        said = {value.lstrip("-") for value in number_values(p.question)}
        if p.category == "multi_step":
            known = set(said)
            for step in p.steps:
                assert set(operands(step.expression)) <= known, (p.question, p.steps)
                known.add(step.result)
            assert len(p.steps) in (2, 3)
        else:
            used = {n for step in p.steps for n in operands(step.expression)}
            assert used <= said, (p.question, p.steps)


def test_arithmetic_short_ranges(items) -> None:
    ops = Counter()
    for p in items["arithmetic_short", "train"]:
        (step,) = p.steps
        a, op, b = re.fullmatch(r"(\d+)([-+*/])(\d+)", step.expression).groups()
        a, b, result = int(a), int(b), int(step.result)
        ops[op] += 1
        if op in "+-":
            assert a <= 999 and b <= 999
        elif op == "*":
            assert min(a, b) <= 99 and max(a, b) <= 999
        else:
            assert 2 <= b <= 99 and result <= 999
    assert set(ops) == set("+-*/") and min(ops.values()) > N_TRAIN // 8


def test_arithmetic_long_shapes(items) -> None:
    counts, with_parens, ops_seen = Counter(), 0, set()
    for p in items["arithmetic_long", "train"]:
        (step,) = p.steps
        numbers = [int(n) for n in operands(step.expression)]
        counts[len(numbers)] += 1
        assert all(n <= 999 for n in numbers)
        assert int(step.result) <= 200_000
        with_parens += "(" in step.expression
        ops_seen |= set(re.findall(r"[-+*/]", step.expression))
    assert set(counts) == {3, 4}
    assert N_TRAIN // 10 < with_parens < N_TRAIN // 2
    assert ops_seen == set("+-*/")


def test_every_item_renders_in_both_trace_styles(items) -> None:
    for p in all_items(items, ("test", "heldout_phrasing")):
        for style in ("calculator", "scratchpad"):
            trace = render_trace(p.steps, style)
            assert re.findall(r"\d+", trace)[-1] == p.answer


# ---------------------------------------------------------------- words


def _nouns() -> list[P.Noun]:
    found = {n for frame in P.FRAMES for n in (*frame.items, *frame.containers, *frame.receivers)}
    found |= {rate.item for frame in P.FRAMES for rate in frame.rates}
    found |= {*P.TRAVEL_UNITS, *P.SAVING_PERIODS, P.HOUR}
    found |= {*P.EXTRA_ITEMS, *P.EXTRA_CONTAINERS, *P.EXTRA_RECEIVERS}
    return sorted(found, key=lambda n: n.singular)


def test_counted_nouns_agree_with_their_number(items) -> None:
    adjectives = {kind for frame in P.FRAMES for kind in frame.kinds}  # "29 orange cones"
    nouns = [n for n in _nouns() if n.singular != n.plural and n.singular not in adjectives]
    singulars = {n.singular for n in _nouns()}
    # skip "pencil", which also starts "5 pencil cases"
    nouns = [n for n in nouns if not any(s.startswith(n.singular + " ") for s in singulars)]
    between = r" (?:more |fewer |less |additional )?"
    singular = "|".join(re.escape(n.singular) for n in nouns)
    plural = "|".join(re.escape(n.plural) for n in nouns)
    singular_after_many = re.compile(rf"\b(?!1\b)\d+{between}(?:{singular})\b")
    plural_after_one = re.compile(rf"(?<![\d$])\b1{between}(?:{plural})\b")
    ones = 0
    for p in all_items(items, ("train", "heldout_phrasing")):
        if p.category in ("single_step", "multi_step"):
            assert not singular_after_many.search(p.question), p.question
            assert not plural_after_one.search(p.question), p.question
            ones += bool(re.search(rf"(?<![\d$])\b1{between}(?:{singular})\b", p.question))
    assert ones > 20, "the singular path is hardly exercised"


def test_answer_unit_matches_the_answer(items) -> None:
    singular = {n.singular for n in _nouns()} | {"dollar"}
    plural = {n.plural for n in _nouns()} | {"dollars"}
    nonce = 0
    for p in all_items(items):
        if p.category in ("single_step", "multi_step"):
            unit = p.answer_unit.removesuffix(" per hour")
            if unit not in singular | plural:  # a made-up noun: train only, still agreeing
                nonce += 1
                assert p.source_split == "train" and re.fullmatch("[a-z]+", unit), p
                assert unit.endswith("s") == (p.answer != "1") or unit[-2:] in "ss", p
                continue
            assert unit in (singular if p.answer == "1" else plural), (p.answer, p.answer_unit)
    assert nonce > 50


def test_swapped_nouns_are_training_words_only(items) -> None:
    heldout = {
        word
        for frame in P.FRAMES
        if frame.heldout
        for n in (*frame.items, *frame.containers, *frame.receivers)
        for word in (n.singular, n.plural)
    }
    extra = {n.singular for n in (*P.EXTRA_ITEMS, *P.EXTRA_CONTAINERS, *P.EXTRA_RECEIVERS)}
    assert not extra & heldout
    rng = random.Random(0)
    made_up = {nonce_noun(rng).singular for _ in range(2000)}
    assert len(made_up) > 1000 and not made_up & heldout
    assert not any(find_numbers(word) for word in made_up)
    swapped_only = {n.plural for n in (*P.EXTRA_ITEMS, *P.EXTRA_CONTAINERS, *P.EXTRA_RECEIVERS)}
    swapped_only -= {n.plural for frame in P.FRAMES for n in (*frame.items, *frame.containers)}
    for p in all_items(items, tuple(HELDOUT_SPLITS) + ("test",)):
        if p.category in ("single_step", "multi_step"):  # the counted noun is the frame's own
            assert p.answer_unit.removesuffix(" per hour") not in swapped_only, p
            assert p.answer_unit in {
                *(n.singular for n in _nouns()),
                *(n.plural for n in _nouns()),
                "dollar",
                "dollars",
            } or p.answer_unit.endswith(" per hour"), p


def test_conjugate() -> None:
    assert conjugate("give away", "present") == "gives away"
    assert conjugate("give away", "past") == "gave away"
    assert conjugate("be", "past", plural=True) == "were"
    assert conjugate("carry", "present") == "carries"
    assert conjugate("collect", "past") == "collected"
    assert conjugate("bake", "past") == "baked"
    assert conjugate("cost", "present", plural=True) == "cost"


# English verbs whose past is not base + "ed" / "d" (irregular, or a doubled last consonant)
IRREGULAR_ENGLISH = {
    "be", "have", "do", "go", "buy", "eat", "sell", "give", "lose", "win", "find", "catch",
    "make", "get", "put", "split", "hold", "cost", "pay", "spend", "take", "keep", "drive",
    "ride", "run", "swim", "read", "bring", "throw", "drop", "plan", "stick", "grow", "blow",
    "lend", "build", "lay", "feed", "begin", "set", "hang", "grab", "string", "sew", "deal",
    "choose", "send", "break", "cut", "knit", "outgrow", "come", "write", "stand", "see", "say",
    "tell", "know", "think", "teach", "fight", "drink", "sing", "fly", "draw", "wear", "tear",
    "speak", "steal", "freeze", "wake", "bite", "hide", "beat", "lead", "meet", "leave", "bend",
    "sleep", "sweep", "feel", "dig", "strike", "shake", "fall", "sit", "hit", "let", "shut",
    "spread", "hurt", "shoot", "light", "spin", "ring", "sink", "shrink", "forget", "forgive",
    "rise", "shop", "wrap", "stop", "swap", "chop", "jog", "skip", "stir", "tap", "hop", "trim",
    "rub"
}  # fmt: skip


def test_every_irregular_verb_the_tables_use_is_spelled_out() -> None:
    """conjugate() adds "ed" to any verb it does not know: "writed", "standed"."""
    used = set()
    for frame in P.FRAMES:
        used |= {v.split()[0] for v in (*frame.gain, *frame.loss, *(r.verb for r in frame.rates))}
    for option in _all_options():
        texts = [getattr(option, f, "") for f in ("text", "direct", "embedded", "relative")]
        for text in texts:
            used |= set(re.findall(r"\{vp?:([a-z]+)\}", text or "")) - _SLOT_VERBS
    assert {"write", "stand", "knit", "take"} <= used  # the search sees the tables
    missing = sorted(v for v in used & IRREGULAR_ENGLISH if v not in P.IRREGULAR_VERBS)
    # Known and kept: the test tier's camping scene says "choped" and "leaved behind" in the
    # past tense. The held-out tiers stay frozen so that their numbers compare across
    # sessions (docs/protocol.md); fixing them is a protocol decision, not a quiet edit.
    assert missing == ["chop", "leave"], missing


def test_wording_is_varied(items) -> None:
    for category in CATEGORIES:
        problems = items[category, "train"]
        openings = Counter(
            re.sub(r"\S*\d\S*", "N", " ".join(p.question.split()[:2])) for p in problems
        )
        minimum = 120 if category.startswith("arithmetic") else N_TRAIN // 4
        assert len({p.template_id for p in problems}) > minimum, category
        assert len(openings) > 25, category
        assert openings.most_common(1)[0][1] < N_TRAIN // 4, category
    frames = Counter(p.template_id.split(".")[1] for p in items["single_step", "train"])
    assert len(frames) == sum(not f.heldout for f in P.FRAMES)
    layouts = Counter(p.template_id.split(".")[-3] for p in items["multi_step", "train"])
    assert set(layouts) == {"ctx", "and", "if", "qf"}


# ---------------------------------------------------------------- splits and held-out phrasings


def test_option_ids_are_unique_and_each_tier_holds_out_enough() -> None:
    ids = Counter()
    for option in {id(o): o for o in _all_options()}.values():
        ids[option.id] += 1
    assert [i for i, count in ids.items() if count > 1] == []
    assert all("." not in i and "-" not in i and "#" not in i for i in ids)
    assert {o.heldout for o in _all_options()} == {P.TRAIN, P.DEV, P.TEST}
    for tier in (P.DEV, P.TEST):
        for table in (P.WRAPPERS, P.ARITH_WRAPPERS, P.FRAMES):
            # the training side grew after the tiers were written (session 10), so a tier
            # is 10-30 % of a table, and never fewer than three options
            held = sum(o.heldout == tier for o in table)
            assert held >= 3 and 0.1 <= held / len(table) <= 0.3, tier
        tables = [cores for _, cores in P.ASKS.values()] + list(P.FACTS.values())
        tables += list(P.ARITH_TEMPLATES.values()) + list(P.ARITH_INSTRUCTIONS.values())
        tables += [P.ARITH_CHAINS, [phrase for phrase, _ in P.ARITH_SHAPES]]
        for table in tables:  # every choice point has options of each tier, and training ones
            assert any(o.heldout == tier for o in table), (tier, table[0].id)
            assert any(o.heldout == P.TRAIN for o in table), table[0].id


def test_splits_use_their_own_template_ids(items) -> None:
    for p in all_items(items, ("train", "test")):
        assert not is_heldout_template(p.template_id), p.template_id
    assert heldout_template_ids() == {o.id for o in _all_options() if o.heldout}
    for split, tier in HELDOUT_SPLITS.items():
        own = {o.id for o in _all_options() if o.heldout == tier}
        frames = {f.id for f in P.FRAMES if f.heldout == tier}
        wrappers = {w.id for w in P.WRAPPERS if w.heldout == tier}
        cores = {c.id for _, cs in P.ASKS.values() for c in cs if c.heldout == tier}
        for p in all_items(items, (split,)):
            parts = re.split(r"[.-]", p.template_id)
            if p.category in ("single_step", "multi_step"):
                assert parts[1] in frames and parts[-1] in wrappers and parts[-2] in cores, (
                    p.template_id
                )
                assert all(part in own for part in parts[3:-3]), p.template_id  # every fact
            else:
                phrasing = [part for part in parts[2:] if part not in ("sym", "word")]
                assert phrasing and all(part in own for part in phrasing), p.template_id


_WORD = r"[a-z]+(?:[ -][a-z]+){0,3}?"
_NAMES = "|".join(name for name, _ in P.NAMES)
_SLOT_VERBS = {"gain", "loss", "make", "travel"}


def _placeholder(key: str) -> str:
    head, _, tail = key.partition(":")
    if key in ("X", "Y", "S", "Xq", "Yq"):
        return rf"(?:{_NAMES}|she|he|they)"
    if key == "Xposs":
        return rf"(?:{_NAMES})'s"
    if key in ("her", "obj"):
        return "(?:her|his|him)"
    if key.startswith("$"):
        return r"(?:\$\d+|\d+ dollars?)"
    if head in ("v", "vp"):
        if tail in _SLOT_VERBS:
            return r"[a-z]+(?: (?:up|away|out|back))?"
        forms = {
            tail,
            *(conjugate(tail, t, plural) for t in ("present", "past") for plural in (0, 1)),
        }
        return "(?:" + "|".join(sorted(forms)) + ")"
    if head == "be":
        return "(?:is|are|was|were)"
    if tail and head in "nmabcd":
        return rf"\d+ {_WORD}"
    if tail:
        return _WORD
    if key in ("n", "m", "a", "b", "c", "d"):
        return r"\d+"
    if key in ("wh", "np", "core", "E", "steps"):
        return ".+?"
    return _WORD


def _form_regex(text: str) -> re.Pattern:
    pieces = re.split(r"(\{[^{}]+\})", text)
    return re.compile(
        "".join(_placeholder(p[1:-1]) if p.startswith("{") else re.escape(p) for p in pieces),
        re.IGNORECASE,
    )


def _heldout_forms() -> list[tuple[str, str, re.Pattern]]:
    """(option id, its longest fixed piece of text, a regex for the whole form)."""
    forms = []
    for option in _all_options():
        if not option.heldout or isinstance(option, P.Frame):
            continue
        if isinstance(option, P.Core):
            texts = (option.direct, option.embedded, option.relative)
        else:
            texts = (option.text,)
        for text in texts:
            fixed = max(re.split(r"\{[^{}]+\}", text), key=len).strip().lower()
            forms.append((option.id, fixed, _form_regex(text)))
    return forms


def test_heldout_forms_never_occur_in_train_text(items) -> None:
    forms = _heldout_forms()
    train = [p.question for p in all_items(items, ("train",))]
    lowered = [q.lower() for q in train]
    assert len(train) == 4 * N_TRAIN
    for option_id, fixed, form in forms:
        # the fixed piece is a fast filter; the regex decides
        hits = [q for q, low in zip(train, lowered, strict=True) if fixed in low and form.search(q)]
        assert not hits, (option_id, form.pattern, hits[:3])
    heldout_nouns = {n.plural for f in P.FRAMES if f.heldout for n in f.items}
    for noun in heldout_nouns:
        assert not any(re.search(rf"\b{noun}\b", q, re.IGNORECASE) for q in train), noun
    # the patterns are not vacuous: every held-out question shows at least one of them
    for p in all_items(items, tuple(HELDOUT_SPLITS)):
        assert any(form.search(p.question) for _, _, form in forms), p.question


def test_heldout_forms_and_scenes_never_occur_in_authored_problems() -> None:
    """The project's authored training problems (data/authored/) keep the same distance."""
    from omni_reasoner.data.sources import load_source

    questions = [p.question for name in ("authored", "authored-2") for p in load_source(name)]
    lowered = [q.lower() for q in questions]
    for option_id, fixed, form in _heldout_forms():
        hits = [
            q for q, low in zip(questions, lowered, strict=True) if fixed in low and form.search(q)
        ]
        assert not hits, (option_id, form.pattern, hits[:3])
    heldout_nouns = {n.plural for f in P.FRAMES if f.heldout for n in f.items}
    for noun in heldout_nouns:
        assert not any(re.search(rf"\b{noun}\b", q, re.IGNORECASE) for q in questions), noun


def test_test_and_heldout_arithmetic_never_occurs_in_train(items) -> None:
    def key(p: Problem) -> str:
        return ";".join(s.expression for s in p.steps)

    for category in CATEGORIES:
        train = {key(p) for p in items[category, "train"]}
        for split in ("test", *HELDOUT_SPLITS):
            assert not train & {key(p) for p in items[category, split]}, (category, split)


# ---------------------------------------------------------------- determinism and errors


def test_deterministic_and_seeded() -> None:
    for category in CATEGORIES:
        first = generate(category, "train", 50, seed=3)
        assert [p.to_dict() for p in first] == [
            p.to_dict() for p in generate(category, "train", 50, 3)
        ]
        other = generate(category, "train", 50, seed=4)
        assert len({p.question for p in first} & {p.question for p in other}) < 5
        assert make_problem(category, "train", first[7].seed) == first[7]


def test_wording_versions(items) -> None:
    added = {o.id for o in _all_options() if o.since > 1}
    assert len(added) > 100 and not any(o.heldout for o in _all_options() if o.since > 1)
    for category in CATEGORIES:
        for split in ("train", "test"):  # the splits in training wording
            old = generate(category, split, 300, seed=0, wording=1)
            used = {part for p in old for part in re.split(r"[.-]", p.template_id)}
            assert not used & added, (category, split, used & added)
        new = {part for p in items[category, "train"] for part in re.split(r"[.-]", p.template_id)}
        assert new & added, category  # the latest version (the default) draws them
        for split in HELDOUT_SPLITS:  # held-out wording is the same in every version
            assert generate(category, split, 20, 0, wording=1) == generate(category, split, 20, 0)
    with pytest.raises(ValueError, match="wording version 9"):
        generate("single_step", "train", 3, 0, wording=9)


def test_wording_version_3_asks_does_it_take_her() -> None:
    retired = {o.id for o in _all_options() if o.until == 2}
    assert retired == {"hrs2", "per2"}  # "does it take she": kept in versions 1-2 only

    def asked(wording: int) -> tuple[set[str], str]:
        problems = [
            p
            for category in ("single_step", "multi_step")
            for p in generate(category, "train", 1500, seed=0, wording=wording)
        ]
        ids = {part for p in problems for part in re.split(r"[.-]", p.template_id)}
        return ids, " ".join(p.question for p in problems)

    ids, text = asked(3)
    assert not ids & retired and {"hrs7", "per7"} <= ids
    assert not re.search(r"\btake (she|he)\b", text) and re.search(r"\btake (her|him)\b", text)
    ids, _ = asked(2)
    assert {"hrs2", "per2"} <= ids and not ids & {"hrs7", "per7"}


def test_wording_version_4_asks_what_the_shopping_cost_her() -> None:
    assert {o.id for o in _all_options() if o.until == 3} == {"pay7"}

    def asked(wording: int) -> tuple[set[str], str]:
        problems = generate("multi_step", "train", 3000, seed=0, wording=wording)
        ids = {part for p in problems for part in re.split(r"[.-]", p.template_id)}
        return ids, " ".join(p.question for p in problems)

    ids, text = asked(4)
    assert "pay9" in ids and "pay7" not in ids
    assert not re.search(r"\bcost (she|he)\b", text) and re.search(r"\bcost (her|him)\b", text)
    ids, text = asked(3)
    assert "pay7" in ids and re.search(r"\bcost (she|he)\b", text)


def test_wording_version_4_puts_the_question_first_more_often_in_training_wording() -> None:
    def question_first_share(split: str, wording: int) -> float:
        problems = generate("single_step", split, 1500, seed=0, wording=wording)
        return sum(p.template_id.split(".")[-3] == "qf" for p in problems) / len(problems)

    # LAYOUTS weighs "qf" 2 of 11 and LAYOUTS_SINCE_4 3 of 12
    assert question_first_share("train", 3) < 0.21 < question_first_share("train", 4)
    assert question_first_share("valid_phrasing", 4) == question_first_share("valid_phrasing", 3)


def test_a_later_versions_scenes_never_change_the_words_an_older_version_makes_up() -> None:
    """Made-up nouns must not be real ones; which nouns are real is the version's own
    scenes, so a scene added later leaves older versions' problems as they were (version 4's
    scenes once changed 1 of 60,000 version-1 training problems: this one, as commit 67f0b41
    drew it for the 51,200-problem study)."""
    from omni_reasoner.data.generator import _known_nouns, make_problem

    assert "reed" in _known_nouns(4) and "reed" not in _known_nouns(3)
    assert _known_nouns(1) <= _known_nouns(3) <= _known_nouns(4)
    old = make_problem("single_step", "train", 209373941758404, wording=1)
    assert old.source_id == "ss.animals.need.need2.alr3.ctx.nm2.qd1#209373941758404"
    assert old.question.startswith("Ravi wants to have 31 stamps.")


def test_no_duplicate_questions_within_a_call(items) -> None:
    for problems in items.values():
        keys = [normalise_question(p.question) for p in problems]
        assert len(keys) == len(set(keys))
    assert normalise_question("What is 12 + 7?") == normalise_question("what is 12+7 ?")


def test_unknown_category_split_and_count() -> None:
    with pytest.raises(ValueError, match="'geometry'"):
        generate("geometry", "train", 3, 0)
    with pytest.raises(ValueError, match="'dev'"):
        generate("single_step", "dev", 3, 0)
    with pytest.raises(ValueError, match="-1"):
        generate("single_step", "train", -1, 0)
    assert generate("single_step", "train", 0, 0) == []


def test_stock_plans_only_pile_up_gathered_items(items) -> None:
    gathered = {rate.item.plural for frame in P.FRAMES for rate in frame.gathering_rates}
    gathered |= {rate.item.singular for frame in P.FRAMES for rate in frame.gathering_rates}
    stock = [p for p in items["multi_step", "train"] if ".ratestock." in p.template_id]
    assert stock and all(p.answer_unit in gathered for p in stock)  # no "has 25 laps now"


def test_word_problem_magnitudes_are_sensible(items) -> None:
    for p in all_items(items):
        if p.category in ("single_step", "multi_step"):
            assert int(p.answer) <= 2000, p.question
            assert all(int(n) <= 1000 for s in p.steps for n in operands(s.expression)), p.steps
