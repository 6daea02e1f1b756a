"""The stored analysis as the export shows it: the consultation's own small numbers for
participants and statements (see consult.services.exports), never database ids."""

from __future__ import annotations

from typing import Any


def renumbered_analysis(
    data: dict[str, Any], participants: dict[int, int], statements: dict[int, int]
) -> dict[str, Any]:
    """The analysis with participant and statement ids replaced by the export's numbers.

    Its warm-start `state` is left out: internal, and full of database ids.
    """

    def statement(sid: Any) -> Any:
        return statements.get(int(sid), sid) if str(sid).isdigit() else sid

    def statement_list(ids: list[Any]) -> list[Any]:
        return [statement(sid) for sid in ids]

    def keyed(mapping: dict[str, Any]) -> dict[str, Any]:
        return {str(statement(key)): value for key, value in mapping.items()}

    out = {key: value for key, value in data.items() if key != "state"}
    out["participants"] = [
        {**p, "id": participants.get(p["id"], p["id"])} for p in data.get("participants", [])
    ]
    out["groups"] = [
        {
            **g,
            "representative": [
                {**r, "statement": statement(r["statement"])} for r in g.get("representative", [])
            ],
        }
        for g in data.get("groups", [])
    ]
    out["consensus"] = {k: statement_list(v) for k, v in data.get("consensus", {}).items()}
    out["statements"] = [{**s, "id": statement(s["id"])} for s in data.get("statements", [])]
    out["divisive"] = statement_list(data.get("divisive", []))
    out["routing_priority"] = keyed(data.get("routing_priority", {}))
    out["statement_extremity"] = keyed(data.get("statement_extremity", {}))
    division = dict(data.get("division", {}))
    if isinstance(division.get("axis_ends"), dict):
        division["axis_ends"] = {k: statement_list(v) for k, v in division["axis_ends"].items()}
    out["division"] = division
    return out
