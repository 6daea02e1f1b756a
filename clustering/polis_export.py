"""Reading a Polis export folder (votes.csv, comments.csv, participant(s)-votes.csv, meta.csv).

Both generations of Polis export are read: the older published ones (millisecond
timestamps, `participants-votes.csv`) and current ones (second timestamps,
`participant-votes.csv`). The row readers check every value and name the file and line of
the first bad one (`MalformedExport`); Consult's importer reads through them too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from clustering.matrix import VoteMatrix, from_records

# Current Polis writes `participant-votes.csv`; the published open data has the older name.
PARTICIPANT_VOTES_FILES = ("participant-votes.csv", "participants-votes.csv")
# A timestamp this large is in milliseconds: as seconds it would be after the year 5000.
_MILLISECONDS_FROM = 10**11
_MILLISECONDS_UNTIL = 253_402_300_800_000  # 10000-01-01: no later date can be stored


class MalformedExport(ValueError):
    """A file of the export that cannot be read; says which file and line."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")
        self.file, self.line, self.problem = file, line, problem


@dataclass(frozen=True)
class VoteRow:
    line: int
    voter: int
    comment: int
    vote: int  # +1 agree, -1 disagree, 0 pass
    timestamp_ms: int


@dataclass(frozen=True)
class CommentRow:
    line: int
    comment: int
    author: int | None
    moderated: int  # 1 accepted, -1 moderated out, 0 not moderated
    timestamp_ms: int | None
    text: str


@dataclass(frozen=True)
class PolisExport:
    """
    Attributes
    ----------
    voter, comment, vote, timestamp : ndarray of shape (n_records,)
        votes.csv as columns (vote +1 agree, -1 disagree, 0 pass; timestamp in
        milliseconds, whichever unit the file used).
    comment_ids : ndarray of shape (n_comments,)
    comment_text : dict of comment id to text
    moderated_out : ndarray
        Comment ids with moderated = -1.
    meta : ndarray
        Comment ids Polis treated as meta (left out of the math). Polis's export does not
        carry this flag; a `meta.csv` (one `comment-id` column) beside the export gives it.
    published_groups : dict of participant id to group id (or None), from participant-votes.csv
    """

    voter: NDArray[np.int64]
    comment: NDArray[np.int64]
    vote: NDArray[np.int64]
    timestamp: NDArray[np.int64]
    comment_ids: NDArray[np.int64]
    comment_text: dict[int, str]
    moderated_out: NDArray[np.int64]
    meta: NDArray[np.int64]
    published_groups: dict[int, int | None]

    def records(self) -> list[tuple[int, int, int, float]]:
        """(participant, statement, vote, time in seconds) rows, as `analyze` takes them."""
        return list(
            zip(
                self.voter.tolist(),
                self.comment.tolist(),
                self.vote.tolist(),
                (self.timestamp / 1000).tolist(),
                strict=True,
            )
        )

    def matrix(self) -> VoteMatrix:
        """The vote matrix, built from the columns (faster than `records` then `analyze`)."""
        return from_records(
            self.voter,
            self.comment,
            self.vote,
            self.timestamp / 1000,
            statement_ids=self.comment_ids,
        )

    def statements(self) -> dict[str, list[int]]:
        """The statement arguments of `analyze`: every statement, moderated out, meta."""
        return {
            "statement_ids": self.comment_ids.tolist(),
            "moderated_out": self.moderated_out.tolist(),
            "meta": self.meta.tolist(),
        }


def read_export(folder: str | Path) -> PolisExport:
    folder = Path(folder)
    votes = list(vote_rows(folder))
    comments = list(comment_rows(folder)) if (folder / "comments.csv").exists() else []
    voted = [row.comment for row in votes]
    comment_ids = sorted({row.comment for row in comments} | set(voted))
    return PolisExport(
        voter=np.array([row.voter for row in votes], dtype=np.int64),
        comment=np.array(voted, dtype=np.int64),
        vote=np.array([row.vote for row in votes], dtype=np.int64),
        timestamp=np.array([row.timestamp_ms for row in votes], dtype=np.int64),
        comment_ids=np.array(comment_ids, dtype=np.int64),
        comment_text={row.comment: row.text for row in comments},
        moderated_out=np.array(
            sorted(row.comment for row in comments if row.moderated == -1), dtype=np.int64
        ),
        meta=np.array(sorted(meta_comment_ids(folder)), dtype=np.int64),
        published_groups=published_groups(folder),
    )


def vote_rows(folder: Path) -> Iterator[VoteRow]:
    """votes.csv, row by row, checked."""
    for line, row in csv_rows(
        folder / "votes.csv", ("timestamp", "comment-id", "voter-id", "vote")
    ):
        vote = whole_number(row, "vote", "votes.csv", line)
        if vote not in (-1, 0, 1):
            raise MalformedExport("votes.csv", line, f"vote must be 1, -1 or 0, not {vote}")
        yield VoteRow(
            line=line,
            voter=whole_number(row, "voter-id", "votes.csv", line),
            comment=whole_number(row, "comment-id", "votes.csv", line),
            vote=vote,
            timestamp_ms=timestamp_ms(row, "votes.csv", line),
        )


def comment_rows(folder: Path) -> Iterator[CommentRow]:
    """comments.csv, row by row, checked; author and time may be empty."""
    for line, row in csv_rows(folder / "comments.csv", ("comment-id", "comment-body")):
        moderated = whole_number(row, "moderated", "comments.csv", line, default=0)
        if moderated not in (-1, 0, 1):
            raise MalformedExport(
                "comments.csv", line, f"moderated must be 1, -1 or 0, not {moderated}"
            )
        has_time = (row.get("timestamp") or "").strip()
        yield CommentRow(
            line=line,
            comment=whole_number(row, "comment-id", "comments.csv", line),
            author=whole_number(row, "author-id", "comments.csv", line, default=None),
            moderated=moderated,
            timestamp_ms=timestamp_ms(row, "comments.csv", line) if has_time else None,
            text=row["comment-body"],
        )


def meta_comment_ids(folder: Path) -> list[int]:
    if not (folder / "meta.csv").exists():
        return []
    return [
        whole_number(row, "comment-id", "meta.csv", line)
        for line, row in csv_rows(folder / "meta.csv", ("comment-id",))
    ]


def published_groups(folder: Path) -> dict[int, int | None]:
    """The group Polis put each participant in, from whichever participant file is there."""
    for name in PARTICIPANT_VOTES_FILES:
        if (folder / name).exists():
            return {
                whole_number(row, "participant", name, line): whole_number(
                    row, "group-id", name, line, default=None
                )
                for line, row in csv_rows(folder / name, ("participant", "group-id"))
            }
    return {}


def summary_rows(folder: Path) -> dict[str, str]:
    """summary.csv's key,value rows (no header); {} when the file is missing."""
    path = folder / "summary.csv"
    if not path.exists():
        return {}
    found = {}
    with _opened(path) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            for row in reader:
                if row and len(row) >= 2:
                    found[row[0].strip()] = row[1]
        except csv.Error as error:
            raise MalformedExport(path.name, reader.line_num, str(error)) from None
    return found


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each row of a CSV file with a header naming `required`."""
    if not path.exists():
        raise MalformedExport(path.name, None, "the file is missing")
    with _opened(path) as handle:
        reader = csv.DictReader(handle, strict=True)
        line = 0  # the line before the row being read: a row may span several lines
        try:
            header = reader.fieldnames or []
            missing = [name for name in required if name not in header]
            if missing:
                raise MalformedExport(path.name, 1, f"no column {', '.join(missing)} in the header")
            line = reader.line_num
            for row in reader:
                if None in row or any(value is None for value in row.values()):
                    raise MalformedExport(path.name, line + 1, f"{len(header)} columns expected")
                yield line + 1, row
                line = reader.line_num
        except csv.Error as error:
            raise MalformedExport(path.name, line + 1, str(error)) from None


def whole_number(
    row: dict[str, str], column: str, file: str, line: int, *, default: object = ...
) -> int:
    raw = (row.get(column) or "").strip()
    if not raw and default is not ...:
        return default  # type: ignore[return-value]
    try:
        return int(raw)
    except ValueError:
        raise MalformedExport(file, line, f"{column} must be a whole number, not {raw!r}") from None


def timestamp_ms(row: dict[str, str], file: str, line: int) -> int:
    """The row's time in milliseconds, from seconds (current Polis) or milliseconds (older)."""
    stamp = whole_number(row, "timestamp", file, line)
    if stamp < 0:
        raise MalformedExport(file, line, f"timestamp must not be negative, not {stamp}")
    milliseconds = stamp if stamp >= _MILLISECONDS_FROM else stamp * 1000
    if milliseconds >= _MILLISECONDS_UNTIL:
        raise MalformedExport(file, line, f"timestamp {stamp} is after the year 9999")
    return milliseconds


@contextmanager
def _opened(path: Path) -> Iterator[Iterator[str]]:
    """The file's lines decoded one by one, so that bad UTF-8 is reported with its line."""
    with open(path, "rb") as handle:
        yield _decoded(handle, path.name)


def _decoded(lines: Iterable[bytes], file: str) -> Iterator[str]:
    for number, raw in enumerate(lines, start=1):
        try:
            # utf-8-sig: a spreadsheet that saved the file may have put a byte-order mark first.
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise MalformedExport(file, number, "the text is not UTF-8") from None
