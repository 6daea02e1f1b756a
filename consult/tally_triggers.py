"""The database triggers that keep statement_tallies and conversation_counters exact.

Triggers rather than application code: every way a vote row changes (a vote, a change of
mind, a Polis import, a cascade when a statement or participant goes) is counted, in the
same transaction, under the lock the vote row already holds, so two racing votes can never
both read an old value. A vote updates only its own statement's tally row; votes on other
statements never wait on it. Participants are counted on join, never on a vote.

Bulk loads that skip triggers (COPY under `session_replication_role = replica`) call
consult.services.tallies.recount afterwards.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_TALLY_COLUMNS = (("n_agree", 1), ("n_disagree", -1), ("n_pass", 0))


def _tally_update(row: str, sign: str) -> str:
    """UPDATE adding (sign "+") or taking away ("-") the vote in `row` (NEW or OLD)."""
    changes = ", ".join(
        f"{column} = {column} {sign} CASE WHEN {row}.value = {value} THEN 1 ELSE 0 END"
        for column, value in _TALLY_COLUMNS
    )
    return f"UPDATE statement_tallies SET {changes} WHERE statement_id = {row}.statement_id;"


def _counter_update(row: str, sign: str) -> str:
    return (
        f"UPDATE conversation_counters SET participants = participants {sign} 1"
        f" WHERE conversation_id = {row}.conversation_id;"
    )


_NEW_TALLY = (
    "INSERT INTO statement_tallies (statement_id, conversation_id, n_agree, n_disagree, n_pass)"
    " VALUES (NEW.id, NEW.conversation_id, 0, 0, 0);"
)
_NEW_COUNTER = (
    "INSERT INTO conversation_counters (conversation_id, participants) VALUES (NEW.id, 0);"
)
# A vote sent again with the same value rewrites the row: no need to touch its tally.
_VOTE_CHANGED = "OLD.value <> NEW.value OR OLD.statement_id <> NEW.statement_id"

# name -> (table, event, WHEN condition or None, body)
_TRIGGERS: dict[str, tuple[str, str, str | None, str]] = {
    "consult_tally_new_statement": ("statements", "INSERT", None, _NEW_TALLY),
    "consult_count_new_conversation": ("conversations", "INSERT", None, _NEW_COUNTER),
    "consult_tally_vote_insert": ("votes", "INSERT", None, _tally_update("NEW", "+")),
    "consult_tally_vote_update": (
        "votes",
        "UPDATE",
        _VOTE_CHANGED,
        _tally_update("OLD", "-") + " " + _tally_update("NEW", "+"),
    ),
    "consult_tally_vote_delete": ("votes", "DELETE", None, _tally_update("OLD", "-")),
    "consult_count_participant_insert": (
        "participants",
        "INSERT",
        None,
        _counter_update("NEW", "+"),
    ),
    "consult_count_participant_delete": (
        "participants",
        "DELETE",
        None,
        _counter_update("OLD", "-"),
    ),
}


def install(connection: Connection) -> None:
    """Create (or replace) every trigger on this connection's database."""
    for name, (table, event, when, body) in _TRIGGERS.items():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
                    f" AS $$ BEGIN {body} RETURN NULL; END $$"
                )
            )
            condition = f" WHEN ({when})" if when else ""
            connection.execute(
                text(
                    f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {table}"
                    f" FOR EACH ROW{condition} EXECUTE FUNCTION {name}()"
                )
            )
        else:
            condition = f" WHEN {when}" if when else ""
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            connection.execute(
                text(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                    f" FOR EACH ROW{condition} BEGIN {body} END"
                )
            )


def uninstall(connection: Connection) -> None:
    """Drop every trigger (and, on PostgreSQL, its function)."""
    for name, (table, _event, _when, _body) in _TRIGGERS.items():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
            connection.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))
        else:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
