"""Train/eval overlap: exact and n-gram containment, with numbers kept in the n-grams."""

from omni_reasoner.data.dedup import EvalIndex, normalize_question

GSM = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?"
)


def test_normalize_question():
    assert normalize_question("  What's 1,250 + 3.5?! ") == normalize_question("what s 1250 3.5")


def test_exact_and_reworded_copies_are_caught():
    index = EvalIndex(n=8, containment=0.5)
    index.add("eval:1", GSM)
    assert index.overlap(GSM.upper()).kind == "exact"
    reworded = "So, " + GSM.replace("altogether", "in total")
    hit = index.overlap(reworded)
    assert (
        hit is not None
        and hit.kind == "ngram"
        and hit.eval_id == "eval:1"
        and hit.containment >= 0.5
    )


def test_same_template_other_numbers_is_not_overlap():
    index = EvalIndex(n=8, containment=0.5)
    index.add(
        "eval:1",
        "Tom has 12 apples and buys 5 more at the shop. How many apples does Tom have now?",
    )
    assert (
        index.overlap(
            "Tom has 31 apples and buys 7 more at the shop. How many apples does Tom have now?"
        )
        is None
    )
    assert index.overlap("A completely different question about trains and 3 stations.") is None
    assert len(index) == 1
