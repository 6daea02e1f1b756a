"""Submitting and seeding statements without a query or a full comparison per statement."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from conftest import SEEDS
from sqlalchemy import event

from consult.extensions import db
from consult.services.consultations import get_conversation
from consult.services.errors import DuplicateStatement
from consult.services.similarity import Likeness, compare, length_bounds, similar_to
from consult.services.statements import seed
from consult.services.text import normalize_for_comparison

CORPUS = Path(__file__).parent / "data" / "statement_pairs.csv"
TEXTS = sorted(
    {
        normalize_for_comparison(pair[side])
        for pair in csv.DictReader(CORPUS.read_text(encoding="utf-8").splitlines())
        for side in ("a", "b")
    }
)


@pytest.mark.parametrize("text", TEXTS[:: max(1, len(TEXTS) // 40)])
def test_similar_to_finds_what_compare_calls_similar(text):
    others = list(enumerate(TEXTS))
    expected = [i for i, other in others if compare(text, other) is Likeness.SIMILAR]
    assert list(similar_to(text, others)) == expected


def test_similar_to_agrees_with_compare_on_numbered_and_negated_variants():
    rng = random.Random(3)
    words = [
        "the",
        "city",
        "should",
        "build",
        "more",
        "trams",
        "and",
        "not",
        "buses",
        "every",
        "ten",
        "minutes",
    ]
    texts = [" ".join(rng.sample(words, k=rng.randint(6, len(words)))) for _ in range(300)]
    texts += [f"statement number {k} about the city" for k in range(50)]
    for text in texts[::7]:
        others = list(enumerate(texts))
        expected = [i for i, other in others if compare(text, other) is Likeness.SIMILAR]
        assert list(similar_to(text, others)) == expected


def test_length_bounds_keep_every_length_compare_could_accept():
    for length in range(1, 400):
        shortest, longest = length_bounds(length)
        for other in range(1, 600):
            if 2 * min(length, other) / (length + other) >= 0.85:
                assert shortest <= other <= longest, (length, other)


def test_seeding_many_statements_takes_a_few_queries(app, client, conversation):
    cid = conversation["id"]
    texts = [f"Seed statement {k} on trams, buses and bicycles" for k in range(200)]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert seed(get_conversation(cid), texts) == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # One look for repeats, whatever the batch's size; PostgreSQL also inserts in batches
    # (SQLite's driver cannot say which id each row got, so the ORM inserts one by one).
    assert len([q for q in seen if not q.startswith("INSERT")]) < 5
    if dialect == "postgresql":
        assert len(seen) < 20
    listed = client.get(f"/api/v1/conversations/{cid}/statements").json
    assert listed["total"] == len(SEEDS) + 200


def test_a_repeat_within_one_batch_of_seeds_is_refused(app, conversation):
    with app.app_context():
        conv = get_conversation(conversation["id"])
        with pytest.raises(DuplicateStatement) as refused:
            seed(conv, ["Trams at night.", "Ferries for free.", "trams at night!"])
        assert refused.value.details["existing"]["text"] == "Trams at night."
        db.session.rollback()
        with pytest.raises(DuplicateStatement):
            seed(conv, [SEEDS[0].upper()])


def test_similar_statements_are_offered_back_in_order(app, client, conversation):
    cid = conversation["id"]
    with app.app_context():
        seed(get_conversation(cid), ["Buses should run every twelve minutes."])
    joined = client.post(f"/api/v1/conversations/{cid}/participants", json={}).json
    response = client.post(
        f"/api/v1/conversations/{cid}/statements",
        json={"text": "Buses should run every ten minutes, really."},
        headers={"Authorization": f"Bearer {joined['token']}"},
    )
    assert response.status_code == 409, response.json
    error = response.json["error"]
    assert error["code"] == "similar_statement"
    assert [s["text"] for s in error["similar"]] == [SEEDS[0]]
