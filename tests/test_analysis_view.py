"""The pages' picture of an analysis: its ranked lists list only what their headings say."""

from __future__ import annotations

from consult.services.analysis_view import build_view


def row(sid: int, gac: float, agree: tuple[float, float], bridging: tuple[float, float] | None):
    return {
        "id": sid,
        "n_seen": 40,
        "group_informed_consensus": gac,
        "groups": [
            {"group": g, "n_seen": 20, "agree_share": a, "agree_interval": [a - 0.05, a + 0.05]}
            for g, a in enumerate(agree)
        ],
        "bridging": 0.0 if bridging is None else sum(bridging) / 2,
        "bridging_scored": bridging is not None,
        "bridging_interval": None if bridging is None else list(bridging),
    }


def test_group_informed_consensus_and_bridging_list_only_what_they_claim():
    rows = [
        row(
            1, 0.12, (0.84, 0.14), (-0.05, 0.30)
        ),  # split along the axis: ranks high, claims nothing
        row(2, 0.40, (0.70, 0.58), (0.02, 0.20)),  # most of each group agrees; bridges
        row(3, 0.30, (0.62, 0.57), None),  # most of each group, beyond chance; not scored
        row(4, 0.35, (0.70, 0.53), None),  # one group's majority could be chance
    ]
    data = {
        "statements": rows,
        "groups": [{"id": 0, "members": 20}, {"id": 1, "members": 20}],
        "division": {"n_groups": 2, "strength": "clear"},
    }
    texts = {1: "one", 2: "two", 3: "three", 4: "four"}
    view = build_view(data, texts, qualified=40, votes_each=7)
    assert view["informed_consensus"] == [2, 3]
    assert view["bridging"] == [2]
