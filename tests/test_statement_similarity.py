"""The same / similar / different rule, on a labelled corpus of statement pairs.

tests/data/statement_pairs.csv was written in two halves: `dev` before the rule (and tuned on),
`check` after it, never tuned on. Opposites by negation, number or antonym ("cheap" and
"expensive") must never be "same" or "similar". The antonym rule (OPPOSITES) came later, on
2026-12-04: tuned on the `dev` antonyms, nine of them from an independent tester's report;
the sixteen `check` antonyms were written before its word list, by its author, so they test
it less strictly than an outsider's would (before the rule, 1 of the 16 was "different").
Five more `dev` antonyms (open/close, near/far, safe/dangerous, separated/integrated,
often/rarely) come from a second independent tester's report, 2026-12-04, and were tuned on:
3 of the 5 were "similar" before their words were added.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from consult.services.similarity import Likeness, compare
from consult.services.text import normalize_for_comparison

CORPUS = Path(__file__).parent / "data" / "statement_pairs.csv"
PAIRS = list(csv.DictReader(CORPUS.read_text(encoding="utf-8").splitlines()))
OPPOSITES = ("negation", "number", "antonym")


def likeness(pair: dict[str, str]) -> Likeness:
    return compare(normalize_for_comparison(pair["a"]), normalize_for_comparison(pair["b"]))


def test_the_corpus_is_large_enough_in_every_language():
    assert len(PAIRS) >= 40
    assert {pair["split"] for pair in PAIRS} == {"dev", "check"}
    for lang in ("en", "fr", "es", "ar"):
        opposites = [p for p in PAIRS if p["lang"] == lang and p["kind"] in OPPOSITES]
        assert len(opposites) >= 8, lang


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p['split']}-{p['lang']}-{p['kind']}")
def test_pair_is_classified_as_labelled(pair):
    got = likeness(pair)
    if pair["kind"] in OPPOSITES:
        assert got is Likeness.DIFFERENT
    else:
        assert got is Likeness(pair["label"])


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p['split']}-{p['lang']}-{p['kind']}")
def test_the_rule_is_symmetric(pair):
    assert likeness(pair) is likeness({"a": pair["b"], "b": pair["a"]})


def test_folding_equal_texts_are_always_the_same():
    for pair in PAIRS:
        if normalize_for_comparison(pair["a"]) == normalize_for_comparison(pair["b"]):
            assert likeness(pair) is Likeness.SAME


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("We don't want it", "We do want it"),
        ("No hay que hacerlo ya", "Hay que hacerlo ya"),
        ("ولا نريد ذلك الآن", "نريد ذلك الآن"),
        ("Limit it to ٣٠ here", "Limit it to ٤٠ here"),
    ],
)
def test_negations_and_numbers_in_any_form_make_statements_different(a, b):
    assert compare(normalize_for_comparison(a), normalize_for_comparison(b)) is Likeness.DIFFERENT
