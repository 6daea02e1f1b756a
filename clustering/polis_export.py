"""Reading a Polis export folder (votes.csv, comments.csv, participants-votes.csv, meta.csv)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from clustering.matrix import VoteMatrix, from_records


@dataclass(frozen=True)
class PolisExport:
    """
    Attributes
    ----------
    voter, comment, vote, timestamp : ndarray of shape (n_records,)
        votes.csv as columns (vote +1 agree, -1 disagree, 0 pass).
    comment_ids : ndarray of shape (n_comments,)
    comment_text : dict of comment id to text
    moderated_out : ndarray
        Comment ids with moderated = -1.
    meta : ndarray
        Comment ids Polis treated as meta (left out of the math). Polis's export does not
        carry this flag; a `meta.csv` (one `comment-id` column) beside the export gives it.
    published_groups : dict of participant id to group id (or None), from participants-votes.csv
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
            self.voter, self.comment, self.vote, self.timestamp, statement_ids=self.comment_ids
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
    with open(folder / "votes.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = {
        name: np.array([int(r[name]) for r in rows], dtype=np.int64)
        for name in ("voter-id", "comment-id", "vote", "timestamp")
    }

    comment_text: dict[int, str] = {}
    moderated_out = []
    comments_file = folder / "comments.csv"
    if comments_file.exists():
        with open(comments_file, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                comment_id = int(row["comment-id"])
                comment_text[comment_id] = row.get("comment-body", "")
                if row.get("moderated", "0").strip() == "-1":
                    moderated_out.append(comment_id)

    published: dict[int, int | None] = {}
    participants_file = folder / "participants-votes.csv"
    if participants_file.exists():
        with open(participants_file, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                group = row["group-id"].strip()
                published[int(row["participant"])] = int(group) if group else None

    meta: list[int] = []
    if (folder / "meta.csv").exists():
        with open(folder / "meta.csv", newline="", encoding="utf-8") as handle:
            meta = [int(row["comment-id"]) for row in csv.DictReader(handle)]

    comment_ids = np.array(
        sorted(set(comment_text) | set(columns["comment-id"].tolist())), dtype=np.int64
    )
    return PolisExport(
        voter=columns["voter-id"],
        comment=columns["comment-id"],
        vote=columns["vote"],
        timestamp=columns["timestamp"],
        comment_ids=comment_ids,
        comment_text=comment_text,
        moderated_out=np.array(sorted(moderated_out), dtype=np.int64),
        meta=np.array(sorted(meta), dtype=np.int64),
        published_groups=published,
    )
