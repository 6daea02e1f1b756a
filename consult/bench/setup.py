"""Set-up shared by Consult's benchmarks: a fresh PostgreSQL database with the schema, a
facilitator, one consultation, and its statements, participants and votes loaded in bulk.

The bulk load writes rows straight into the tables with PostgreSQL COPY (millions of votes
in seconds, where the API would take hours); it reserves ids from the tables' sequences
first, so rows added later through the app get fresh ids. The rows are consistent by
construction, so foreign-key triggers are skipped during the COPY
(`session_replication_role = replica`, which needs a superuser, as the local `postgres` is).
"""

from __future__ import annotations

import secrets
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from flask import Flask
from numpy.typing import NDArray
from psycopg import sql

from consult import create_app
from consult.extensions import db
from consult.models import ModerationStatus, User
from consult.services import api_tokens
from consult.services.consultations import create_conversation
from consult.services.statements import text_hash
from consult.services.tallies import recount
from consult.services.text import normalize_for_comparison
from consult.services.users import create_user

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def stop_cleanly_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so every `finally` drops what the benchmark made."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """Create a uniquely named empty database, yield its URL, drop it afterwards (always)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            # FORCE: a benchmark that failed half-way may leave connections open.
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# A fresh key per run: the benchmarks' processes share it, nothing outlives them.
BENCH_SECRET = secrets.token_hex(16)


def bench_app(database_url: str) -> Flask:
    """An app on `database_url` with the schema built and no analysis runner of its own."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": BENCH_SECRET,
            "CONSULT_REDIS_URL": None,
            "CONSULT_ANALYSIS": "off",  # the benchmark decides when analyses run
            "CONSULT_RATELIMIT_ENABLED": False,  # a benchmark is a flood by design
        }
    )
    with app.app_context():
        db.create_all()
    return app


@dataclass(frozen=True)
class Facilitator:
    user_id: int
    email: str
    token: str  # API token, for `Authorization: Bearer` and the Socket.IO `auth`


def create_facilitator(email: str = "bench@example.org") -> Facilitator:
    """A facilitator account and an API token (inside an app context)."""
    user = create_user(email, secrets.token_hex(16))
    return Facilitator(user.id, user.email, api_tokens.issue(user, name="bench"))


def create_consultation(owner_id: int, topic: str) -> str:
    """An open consultation without statements (inside an app context); returns its id."""
    owner = db.session.get(User, owner_id)
    return create_conversation(owner, topic).id


@dataclass(frozen=True)
class VoteRecords:
    """Vote records to load, as columns.

    participant : ndarray of shape (n_records,), index into the loaded participants
    statement : ndarray of shape (n_records,), index into the loaded statements
    value : ndarray of shape (n_records,), +1 agree, -1 disagree, 0 pass
    time : ndarray of shape (n_records,), seconds since the epoch
    """

    participant: NDArray[np.int64]
    statement: NDArray[np.int64]
    value: NDArray[np.int64]
    time: NDArray[np.float64]


@dataclass(frozen=True)
class Loaded:
    statement_ids: NDArray[np.int64]  # database id of each loaded statement, in order
    participant_ids: NDArray[np.int64]  # database id of each loaded participant, in order
    votes: int  # current votes (one per participant and statement)
    events: int  # vote-log entries (every record)


def bulk_load(
    conversation_id: str,
    statements: Sequence[tuple[str, ModerationStatus]],
    n_participants: int,
    records: VoteRecords,
) -> Loaded:
    """Load statements, participants and votes into a consultation with COPY, then ANALYZE.

    Every record goes into the vote log (vote_events, in time order); the latest record of
    each (participant, statement) is its current vote (votes), as `cast_vote` leaves them.
    Runs inside an app context; commits.
    """
    order = np.argsort(records.time, kind="stable")
    participant = records.participant[order]
    statement = records.statement[order]
    value = records.value[order]
    stamps = _timestamps(records.time[order])
    latest = _latest_of_each_cell(participant, statement)

    with db.engine.begin() as connection:
        raw: psycopg.Connection[Any] = connection.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            statement_ids = _reserve_ids(cursor, "statements", len(statements))
            participant_ids = _reserve_ids(cursor, "participants", n_participants)
            created = _timestamps(np.array([records.time.min() if len(records.time) else 0.0]))[0]
            _copy(
                cursor,
                "statements (id, conversation_id, text, normalized_text, text_hash, is_seed,"
                " status, is_meta, created_at)",
                (
                    (
                        sid,
                        conversation_id,
                        text,
                        norm,
                        text_hash(norm),
                        True,
                        status.name,
                        False,
                        created,
                    )
                    for sid, (text, status) in zip(statement_ids.tolist(), statements, strict=True)
                    for norm in [normalize_for_comparison(text) or text]
                ),
            )
            _copy(
                cursor,
                "participants (id, conversation_id, is_simulated, created_at)",
                ((pid, conversation_id, True, created) for pid in participant_ids.tolist()),
            )
            pids = participant_ids[participant].tolist()
            sids = statement_ids[statement].tolist()
            values = value.tolist()
            _copy(
                cursor,
                "vote_events (conversation_id, participant_id, statement_id, value, created_at)",
                zip([conversation_id] * len(pids), pids, sids, values, stamps, strict=True),
            )
            keep = latest.tolist()
            _copy(
                cursor,
                "votes (conversation_id, participant_id, statement_id, value, updated_at)",
                ((conversation_id, pids[i], sids[i], values[i], stamps[i]) for i in keep),
            )
            cursor.execute("ANALYZE participants, statements, votes, vote_events")
    # COPY in replica mode skips the triggers that keep the tallies: count them once here.
    recount(conversation_id)
    return Loaded(statement_ids, participant_ids, votes=len(keep), events=len(pids))


def _reserve_ids(cursor: psycopg.Cursor[Any], table: str, n: int) -> NDArray[np.int64]:
    """Take `n` ids from the table's sequence, as the app's own inserts would."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, n),
    )
    return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)


def _copy(cursor: psycopg.Cursor[Any], target: str, rows: Any) -> None:
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:  # target is ours, never input
        for row in rows:
            copy.write_row(row)


def _timestamps(seconds: NDArray[np.float64]) -> list[str]:
    """Epoch seconds as PostgreSQL timestamptz text, vectorised (millions of rows)."""
    moments = (np.asarray(seconds) * 1e6).astype("datetime64[us]")
    return [f"{text}+00" for text in np.datetime_as_string(moments, unit="us")]


def _latest_of_each_cell(
    participant: NDArray[np.int64], statement: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Indices of the last record of each (participant, statement), records in time order."""
    key = participant.astype(np.int64) * (1 << 32) + statement.astype(np.int64)
    _, first_from_end = np.unique(key[::-1], return_index=True)
    return np.sort(len(key) - 1 - first_from_end)
