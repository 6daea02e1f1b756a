"""Which statement comes next: DESIGN.md §4 step 10, checked by hand."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from conftest import join

from clustering.routing import META_PRIORITY, routing_priority
from consult.services import routing
from consult.services.analyses import store_analysis
from consult.services.consultations import get_conversation
from consult.services.participants import participant_for_token


def test_priority_matches_the_formula_by_hand():
    # A=3, P=1, S=5, E=0.5: importance = (1 - 2/7)·1.5·(4/7) = 0.612244...;
    # priority = (importance · (1 + 8·2^-1))² = (0.612244·5)² = 9.37109...
    assert routing_priority([3], [1], [5], [0.5])[0] == pytest.approx(9.371095, rel=1e-6)


def test_unseen_statement_gets_a_fair_high_priority_not_one():
    unseen = routing_priority([0], [0], [0])[0]
    # (1/2 · 1 · 1/2 · 9)² = 5.0625: above what a statement seen by many reaches.
    assert unseen == pytest.approx(5.0625)
    well_known = routing_priority([50], [10], [100], [0.0])[0]
    assert unseen > well_known


def test_meta_statements_get_priority_49():
    assert list(routing_priority([0, 0], [0, 0], [3, 3], is_meta=[True, False]))[0] == META_PRIORITY


def test_priorities_are_finite_for_all_pass_and_no_votes():
    values = routing_priority([0, 0, 0], [0, 4, 0], [0, 4, 0], [0, 0, 10])
    assert np.all(np.isfinite(values))
    assert np.all(values > 0)


def test_draw_follows_the_stored_analysis_priorities(app, client, conversation):
    cid = conversation["id"]
    headers = join(client, cid)
    with app.app_context():
        conv = get_conversation(cid)
        participant = participant_for_token(conv, headers["Authorization"].split()[1])
        ids = [s.id for s in routing.remaining_statements(conv, participant)]
        # Say 90 % of the weight is on the last statement.
        store_analysis(
            conv, {"routing_priority": {str(ids[0]): 0.5, str(ids[1]): 0.5, str(ids[2]): 9.0}}
        )
        rng = random.Random(7)
        drawn = Counter(routing.next_statement(conv, participant, rng)[0].id for _ in range(2000))
    assert 0.87 < drawn[ids[2]] / 2000 < 0.93


def test_statements_the_analysis_has_not_seen_get_the_fair_default(app, client, conversation):
    cid = conversation["id"]
    with app.app_context():
        conv = get_conversation(cid)
        ids = [s.id for s in routing.remaining_statements(conv, None)]
        store_analysis(conv, {"routing_priority": {str(ids[0]): 1.0, str(ids[1]): "junk"}})
        weights = routing.statement_priorities(conv, routing.remaining_statements(conv, None))
    assert weights == [1.0, pytest.approx(5.0625), pytest.approx(5.0625)]


def test_live_counts_set_the_priority_before_any_analysis(app, client, conversation):
    cid = conversation["id"]
    first = client.get(f"/api/v1/conversations/{cid}/statements").json["statements"][0]["id"]
    for _ in range(5):
        voter = join(client, cid)
        client.post(
            f"/api/v1/conversations/{cid}/votes",
            json={"statement_id": first, "vote": -1},
            headers=voter,
        )
    with app.app_context():
        conv = get_conversation(cid)
        weights = routing.statement_priorities(conv, routing.remaining_statements(conv, None))
    assert weights[0] == pytest.approx(routing_priority([0], [0], [5])[0])
    assert weights[0] < weights[1] == pytest.approx(5.0625)
