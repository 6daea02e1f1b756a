"""Open data: a consultation as the files Polis exports, streamed, and a ZIP of them all.

Ids in every file are the consultation's own small numbers, never database ids:
a participant's number is its place (from 0) among the consultation's participants in the
order they joined (row id order), a statement's its place among the statements in the
order they were made. Rows are never deleted, so the numbers stay the same from one export
to the next. No email, xid, xid hash, IP or token is in any file.

Votes are read in batches (`yield_per`); each file is a generator of text chunks, so a web
response or a ZIP can be written while the rows are read.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from consult.extensions import db
from consult.models import (
    Analysis,
    Conversation,
    ModerationStatus,
    Participant,
    Statement,
    VoteEvent,
    as_utc,
)
from consult.services.analyses import latest_analysis
from consult.services.errors import InvalidInput, NotFound
from consult.services.export_numbers import renumbered_analysis
from consult.services.outcomes import outcome_for_export
from consult.services.polis_csv import epoch_seconds, line, polis_datetime, quoted
from consult.services.vote_history import votes_as_of

CSV_FILES = (
    "summary.csv",
    "comments.csv",
    "votes.csv",
    "participant-votes.csv",
    "comment-groups.csv",
    # Consult's addition: the statements left out of the math as meta (Polis's export lost
    # that flag), so `python -m clustering analyze` on the files replays the analysis.
    "meta.csv",
)
ANALYSIS_FILE = "analysis.json"
OUTCOME_FILE = "outcome.json"  # how the input was used, once the facilitator published it
ZIP_FILE = "export.zip"
FILES = (*CSV_FILES, ANALYSIS_FILE, OUTCOME_FILE)
BATCH = 5000  # rows read from the database at a time

MODERATED = {ModerationStatus.ACCEPTED: 1, ModerationStatus.REJECTED: -1}  # else 0


def votes_csv_sha256(conversation: Conversation, until: datetime | None = None) -> str:
    """SHA-256 (hex) of votes.csv as exported with this cut-off: a report's input hash."""
    digest = hashlib.sha256()
    for chunk in ConversationExport(conversation, until=until).votes():
        digest.update(chunk.encode("utf-8"))
    return digest.hexdigest()


def write_export(
    conversation: Conversation, folder: Path, *, url: str, until: datetime | None = None
) -> list[str]:
    """Write every file into `folder` (created if needed, else empty); the names written.

    A folder holding anything is refused: an earlier export's files would stay beside this
    one's, among them an outcome.json since withdrawn, still saying it is published.
    """
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(_("%(folder)s is a file: export into a folder.", folder=str(folder)))
    if folder.is_dir() and any(folder.iterdir()):
        raise InvalidInput(
            _("%(folder)s is not empty: export into a new or empty folder.", folder=str(folder))
        )
    export = ConversationExport(conversation, url=url, until=until)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in export.available():
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            for chunk in export.file(name):
                handle.write(chunk)
        written.append(name)
    return written


def group_label(group_id: int) -> str:
    """Polis names group 0 `a`, 1 `b`, ...; after `z` come `aa`, `ab`, ... (spreadsheet style)."""
    label = ""
    number = group_id + 1
    while number:
        number, rest = divmod(number - 1, 26)
        label = chr(97 + rest) + label
    return label


class ConversationExport:
    """The export files of one consultation, each a generator of text chunks."""

    def __init__(
        self, conversation: Conversation, *, url: str = "", until: datetime | None = None
    ) -> None:
        self.conversation = conversation
        self.url = url
        self.until = until

    def available(self) -> list[str]:
        """The files this consultation has: analysis.json once it has been analysed,
        outcome.json once its outcome is published."""
        return [
            *CSV_FILES,
            *([ANALYSIS_FILE] if self._analysis_data is not None else []),
            *([OUTCOME_FILE] if self._outcome is not None else []),
        ]

    def file(self, name: str) -> Iterator[str]:
        """The chunks of one file by name; NotFound for another name or a missing analysis."""
        if name not in self.available():
            if name == ANALYSIS_FILE:
                raise NotFound("This consultation has not been analysed yet.")
            if name == OUTCOME_FILE:
                raise NotFound("This consultation has no published outcome.")
            raise NotFound(f"There is no export file {name!r}.")
        writers: dict[str, Callable[[], Iterator[str]]] = {
            "summary.csv": self.summary,
            "comments.csv": self.comments,
            "votes.csv": self.votes,
            "participant-votes.csv": self.participant_votes,
            "comment-groups.csv": self.comment_groups,
            "meta.csv": self.meta,
            ANALYSIS_FILE: self.analysis_json,
            OUTCOME_FILE: self.outcome_json,
        }
        return writers[name]()

    def zip_chunks(self) -> Iterator[bytes]:
        """A ZIP of every available file, written as it goes (no file held whole)."""
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in self.available():
                with archive.open(name, "w", force_zip64=True) as entry:
                    for chunk in self.file(name):
                        entry.write(chunk.encode("utf-8"))
                        yield from sink.drain()
                yield from sink.drain()
        yield from sink.drain()

    # --- the files --------------------------------------------------------------------

    def summary(self) -> Iterator[str]:
        conversation = self.conversation
        counts = (self._latest.summary or {}).get("counts", {}) if self._latest else {}
        commenters = db.session.scalar(
            select(func.count(func.distinct(Statement.author_participant_id))).where(
                Statement.conversation_id == conversation.id
            )
        )
        voters = db.session.scalar(
            select(func.count(func.distinct(self._current_votes.c.participant_id)))
        )
        yield line(["topic", quoted(conversation.topic)])
        yield line(["url", self.url])
        yield line(["voters", voters or 0])
        yield line(["voters-in-conv", int(counts.get("grouped", 0))])
        yield line(["commenters", commenters or 0])
        yield line(["comments", len(self._listed_ids)])
        yield line(["groups", len(self._group_ids)])
        yield line(["conversation-description", quoted(conversation.description)])
        if conversation.source:  # Consult's row: an import's source and attribution go on
            yield line(["source", quoted(conversation.source)])

    def comments(self) -> Iterator[str]:
        yield line(
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "comment-body",
            ]
        )
        current = self._current_votes
        tallies = Counter(
            {
                (statement_id, value): n
                for statement_id, value, n in db.session.execute(
                    select(current.c.statement_id, current.c.value, func.count()).group_by(
                        current.c.statement_id, current.c.value
                    )
                )
            }
        )
        for statement in self._statements():
            yield line(
                [
                    epoch_seconds(statement.created_at),
                    polis_datetime(statement.created_at),
                    self._statement_numbers[statement.id],
                    self._participant_numbers.get(statement.author_participant_id),
                    tallies[(statement.id, 1)],
                    tallies[(statement.id, -1)],
                    MODERATED.get(statement.status, 0),
                    quoted(statement.text),
                ]
            )

    def votes(self) -> Iterator[str]:
        """Every vote event up to the cut-off, in the order they were cast."""
        yield line(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        query = (
            select(
                VoteEvent.created_at,
                VoteEvent.statement_id,
                VoteEvent.participant_id,
                VoteEvent.value,
            )
            .where(VoteEvent.conversation_id == self.conversation.id)
            .order_by(VoteEvent.id)
        )
        if self.until is not None:
            query = query.where(VoteEvent.created_at <= self.until)
        statements, participants = self._statement_numbers, self._participant_numbers
        for created_at, statement_id, participant_id, value in _batched(query):
            yield line(
                [
                    epoch_seconds(created_at),
                    polis_datetime(created_at),
                    statements[statement_id],
                    participants[participant_id],
                    value,
                ]
            )

    def participant_votes(self) -> Iterator[str]:
        """One row per participant who voted: their group, counts and current votes."""
        listed = self._listed_ids
        yield line(
            ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
            + [self._statement_numbers[sid] for sid in listed]
        )
        authored = Counter(
            dict(
                db.session.execute(
                    select(Statement.author_participant_id, func.count())
                    .where(Statement.conversation_id == self.conversation.id)
                    .group_by(Statement.author_participant_id)
                ).all()
            )
        )
        current = self._current_votes
        query = select(current.c.participant_id, current.c.statement_id, current.c.value).order_by(
            current.c.participant_id
        )
        column = {statement_id: place for place, statement_id in enumerate(listed)}
        participant, cells = None, {}
        for participant_id, statement_id, value in _batched(query):
            if participant_id != participant:
                if participant is not None:
                    yield self._participant_row(participant, cells, authored, column)
                participant, cells = participant_id, {}
            cells[statement_id] = value
        if participant is not None:
            yield self._participant_row(participant, cells, authored, column)

    def comment_groups(self) -> Iterator[str]:
        """Per statement: current votes overall and per group of the latest analysis."""
        groups = self._group_ids
        header = ["comment-id", "comment", "total-votes", "total-agrees", "total-disagrees"]
        header.append("total-passes")
        for group in groups:
            label = group_label(group)
            header += [f"group-{label}-{kind}" for kind in ("votes", "agrees", "disagrees")]
            header.append(f"group-{label}-passes")
        yield line(header)
        # tallies[statement][group][value]; group None holds everyone (the totals).
        tallies: dict[int, dict[Any, Counter]] = defaultdict(lambda: defaultdict(Counter))
        group_of = self._group_of
        current = self._current_votes
        query = select(current.c.participant_id, current.c.statement_id, current.c.value)
        for participant_id, statement_id, value in _batched(query):
            tallies[statement_id][None][value] += 1
            group = group_of.get(participant_id)
            if group is not None:
                tallies[statement_id][group][value] += 1
        for statement in self._statements():
            counts = tallies.get(statement.id, {})
            row: list[object] = [self._statement_numbers[statement.id], quoted(statement.text)]
            for key in (None, *groups):
                votes = counts.get(key, Counter())
                row += [sum(votes.values()), votes[1], votes[-1], votes[0]]
            yield line(row)

    def meta(self) -> Iterator[str]:
        yield line(["comment-id"])
        for statement in self._statements():
            if statement.is_meta:
                yield line([self._statement_numbers[statement.id]])

    def analysis_json(self) -> Iterator[str]:
        """The latest stored analysis, its ids renumbered as in the CSV files."""
        analysis, data = self._latest, self._analysis_data
        if analysis is None or data is None:
            raise NotFound("This consultation has not been analysed yet.")
        document = {
            "conversation_id": analysis.conversation_id,
            "version": analysis.version,
            "kind": analysis.kind,
            "created_at": _iso(analysis.created_at),
            "cutoff_at": _iso(analysis.cutoff_at),
            "ids": "participant and statement ids are the numbers used in the CSV files",
            "analysis": renumbered_analysis(
                data, self._participant_numbers, self._statement_numbers
            ),
        }
        encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
        pieces: list[str] = []
        for piece in encoder.iterencode(document):
            pieces.append(piece)
            if len(pieces) >= 4096:
                yield "".join(pieces)
                pieces = []
        yield "".join(pieces) + "\n"

    def outcome_json(self) -> Iterator[str]:
        """The published outcome, statement ids renumbered as in the CSV files."""
        outcome = self._outcome
        if outcome is None:
            raise NotFound("This consultation has no published outcome.")
        numbers = self._statement_numbers
        responses = [
            {**r, "statement_id": numbers.get(r["statement_id"], r["statement_id"])}
            if r["statement_id"] is not None
            else r
            for r in outcome["responses"]
        ]
        yield json.dumps({**outcome, "responses": responses}, ensure_ascii=False) + "\n"

    @cached_property
    def _outcome(self) -> dict[str, Any] | None:
        return outcome_for_export(self.conversation)

    # --- what the files share ----------------------------------------------------------

    def _participant_row(
        self,
        participant_id: int,
        cells: dict[int, int],
        authored: Counter,
        column: dict[int, int],
    ) -> str:
        values: list[object] = [None] * len(column)
        for statement_id, value in cells.items():
            values[column[statement_id]] = value
        votes = list(cells.values())
        return line(
            [
                self._participant_numbers[participant_id],
                self._group_of.get(participant_id),
                authored[participant_id],
                len(votes),
                votes.count(1),
                votes.count(-1),
                *values,
            ]
        )

    def _statements(self) -> Iterator[Statement]:
        query = (
            select(Statement)
            .where(Statement.conversation_id == self.conversation.id)
            .order_by(Statement.id)
        )
        yield from db.session.scalars(self._listed(query).execution_options(yield_per=BATCH))

    @cached_property
    def _current_votes(self) -> Any:
        """(participant_id, statement_id, value) of the current votes, as of the cut-off."""
        return votes_as_of(self.conversation.id, self.until)

    @cached_property
    def _participant_numbers(self) -> dict[int, int]:
        ids = db.session.scalars(
            select(Participant.id)
            .where(Participant.conversation_id == self.conversation.id)
            .order_by(Participant.id)
        )
        return {participant_id: number for number, participant_id in enumerate(ids)}

    @cached_property
    def _statement_numbers(self) -> dict[int, int]:
        """Statement id -> number, over every statement whatever the cut-off (stable)."""
        query = (
            select(Statement.id)
            .where(Statement.conversation_id == self.conversation.id)
            .order_by(Statement.id)
        )
        return {sid: n for n, sid in enumerate(db.session.scalars(query))}

    @cached_property
    def _listed_ids(self) -> list[int]:
        query = select(Statement.id).where(Statement.conversation_id == self.conversation.id)
        return list(db.session.scalars(self._listed(query.order_by(Statement.id))))

    def _listed(self, query: Select) -> Select:
        """Statements as of the cut-off: made by then, or voted on by then."""
        if self.until is None:
            return query
        voted = select(VoteEvent.statement_id).where(
            VoteEvent.conversation_id == self.conversation.id,
            VoteEvent.created_at <= self.until,
        )
        return query.where(or_(Statement.created_at <= self.until, Statement.id.in_(voted)))

    @cached_property
    def _latest(self) -> Analysis | None:
        return latest_analysis(self.conversation)

    @cached_property
    def _analysis_data(self) -> dict[str, Any] | None:
        return self._latest.data if self._latest is not None else None

    @cached_property
    def _group_of(self) -> dict[int, int]:
        """Participant id -> group id in the latest analysis (grouped participants only)."""
        data = self._analysis_data or {}
        return {
            p["id"]: p["group"] for p in data.get("participants", []) if p.get("group") is not None
        }

    @cached_property
    def _group_ids(self) -> list[int]:
        summary = (self._latest.summary or {}) if self._latest else {}
        return sorted(int(g["id"]) for g in summary.get("groups", []))


def _batched(query: Select) -> Iterator[Any]:
    """The query's rows, fetched BATCH at a time (a server-side cursor on PostgreSQL)."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH))


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


class _Sink:
    """A write-only file for zipfile that hands over what was written (no seeking)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        if self._parts:
            data = b"".join(self._parts)
            self._parts = []
            yield data
