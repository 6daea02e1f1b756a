"""What the live pages show of an analysis: small, plain, and the same for every page.

Built once per analysis by the runner and stored beside it, so that a page load or a
Socket.IO event never walks the full analysis (which is megabytes at 100k participants).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

# Groups are shown once this many people have voted on this many statements (fewer than
# Polis's 15 in-conversation participants and 7 votes give groups that mean nothing).
GROUPS_NEED_PARTICIPANTS = 15
GROUPS_NEED_VOTES_EACH = 7
MAX_POINTS = 2000  # dots drawn on the map; more only hide each other
TOP = 5
MIN_VOTES_TO_LIST = 5  # a statement with fewer votes is in no "top" list
MANY_PASSES = 0.25  # "people are unsure": at least a quarter of its votes are passes
GROUP_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def group_label(group_id: int) -> str:
    """ "Group B": the stable English label stored with views, responses and exports."""
    return "Group " + _letter(group_id)


def group_name(group_id: int) -> str:
    """ "Group B" in the request's language, for pages; the letter stays last (charts draw it)."""
    return _("Group %(letter)s", letter=_letter(group_id))


def _letter(group_id: int) -> str:
    return GROUP_LETTERS[group_id % len(GROUP_LETTERS)]


def votes_needed_each(statements_shown: int) -> int:
    """How many votes make a participant count towards showing groups: 7, or every statement
    participants can vote on when there are fewer (hidden ones cannot be voted on)."""
    return min(GROUPS_NEED_VOTES_EACH, max(statements_shown, 1))


def build_view(
    data: Mapping[str, Any],
    texts: Mapping[int, str],
    *,
    qualified: int,
    votes_each: int,
) -> dict[str, Any]:
    """The pages' picture of one analysis (`data` is a clustering Analysis as a dict).

    `texts` holds the statements participants may see; others are left out. `qualified`
    counts participants with at least `votes_each` votes.
    """
    rows = [row for row in data.get("statements", []) if row.get("id") in texts]
    by_id = {row["id"]: row for row in rows}
    groups = [_group(g, by_id, texts) for g in data.get("groups", [])]
    ready = qualified >= GROUPS_NEED_PARTICIPANTS and bool(groups)
    return {
        "ready": ready,
        "needs": {"participants": GROUPS_NEED_PARTICIPANTS, "votes_each": votes_each},
        "qualified": qualified,
        "counts": dict(data.get("counts", {})),
        "division": {
            key: data.get("division", {}).get(key) for key in ("n_groups", "strength", "summary")
        },
        "groups": groups if ready else [],
        "points": _points(data.get("participants", [])) if ready else [],
        "statements": [_statement(row, texts) for row in rows],
        "consensus": {
            direction: [s for s in data.get("consensus", {}).get(direction, []) if s in texts]
            for direction in ("agree", "disagree")
        },
        "divisive": [s for s in data.get("divisive", []) if s in texts] if ready else [],
        # Ranked on the groups' agreement: groups not shown yet rank nothing. A ranking lists
        # only what its heading says: most of every group agreeing (beyond chance); agreement
        # beyond what the opinion axis explains (the bridging interval above 0).
        "informed_consensus": (
            _top([r for r in rows if _every_group_agrees(r)], "group_informed_consensus")
            if ready
            else []
        ),
        "bridging": _top([r for r in rows if _bridges(r)], "bridging") if ready else [],
        "uncertain": _top(rows, "pass_share", at_least=MANY_PASSES),
    }


def without_groups(data: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis with no trace of its groups: what a report may say while the pages do
    not show groups yet (`build_view`'s "ready"). A division found among a handful of
    people is not one to put in front of an official, on the map or in a sentence."""
    return {
        **data,
        "groups": [],
        "divisive": [],
        "participants": [{**p, "group": None} for p in data.get("participants", [])],
        "statements": [
            {**row, "groups": [], "groups_differ": False} for row in data.get("statements", [])
        ],
        "counts": {**data.get("counts", {}), "grouped": 0},
    }


def _group(group: Mapping[str, Any], rows: Mapping[Any, Any], texts: Mapping[int, str]) -> dict:
    return {
        "id": group["id"],
        "label": group_label(group["id"]),
        "members": group.get("members", 0),
        "centre": group.get("centre", [0.0, 0.0]),
        "representative": [
            {
                "id": r["statement"],
                "text": texts[r["statement"]],
                "direction": r.get("direction"),
                "share": _group_share(rows.get(r["statement"]), group["id"], r.get("direction")),
                "interval": r.get("interval"),
                "significant": bool(r.get("significant")),
            }
            for r in group.get("representative", [])
            if r.get("statement") in texts
        ],
    }


def _group_share(row: Mapping[str, Any] | None, group_id: int, direction: str | None) -> float:
    if row is None:
        return 0.0
    for numbers in row.get("groups", []):
        if numbers.get("group") == group_id:
            return numbers.get("agree_share" if direction == "agree" else "disagree_share", 0.0)
    return 0.0


def _statement(row: Mapping[str, Any], texts: Mapping[int, str]) -> dict[str, Any]:
    seen = row.get("n_seen", 0)
    return {
        "id": row["id"],
        "text": texts[row["id"]],
        "n_seen": seen,
        "agree": row.get("agree_share", 0.0),
        "disagree": row.get("disagree_share", 0.0),
        "pass": row.get("n_pass", 0) / seen if seen else 0.0,
        "agree_interval": row.get("agree_interval"),
        "disagree_interval": row.get("disagree_interval"),
        "groups": [
            {
                "group": g.get("group"),
                "n_seen": g.get("n_seen", 0),
                "agree": g.get("agree_share", 0.0),
                "disagree": g.get("disagree_share", 0.0),
                "agree_interval": g.get("agree_interval"),
                "disagree_interval": g.get("disagree_interval"),
            }
            for g in row.get("groups", [])
        ],
    }


def _every_group_agrees(row: Mapping[str, Any]) -> bool:
    """A majority of every group, beyond chance: each group's 95 % interval above one half."""
    groups = row.get("groups", [])
    return len(groups) >= 2 and all((g.get("agree_interval") or [0.0])[0] > 0.5 for g in groups)


def _bridges(row: Mapping[str, Any]) -> bool:
    interval = row.get("bridging_interval")
    return bool(row.get("bridging_scored")) and interval is not None and interval[0] > 0


def _top(rows: list[Mapping[str, Any]], key: str, at_least: float = 0.0) -> list[Any]:
    """The TOP statements with the highest `key` (above `at_least`), among those with
    enough votes."""
    scored = [
        (_value(row, key), row["id"])
        for row in rows
        if row.get("n_seen", 0) >= MIN_VOTES_TO_LIST and _value(row, key) > at_least
    ]
    return [sid for _, sid in sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:TOP]]


def _value(row: Mapping[str, Any], key: str) -> float:
    if key == "pass_share":
        return row.get("n_pass", 0) / max(row.get("n_seen", 0), 1)
    return float(row.get(key, 0.0))


def _points(participants: list[Mapping[str, Any]]) -> list[list[Any]]:
    """At most MAX_POINTS participants as [x, y, group]: every k-th, the same k for all."""
    step = max(1, -(-len(participants) // MAX_POINTS))
    return [
        [round(p.get("x", 0.0), 4), round(p.get("y", 0.0), 4), p.get("group")]
        for p in participants[::step]
    ]
