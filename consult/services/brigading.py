"""Bursts of look-alike newcomers: many participants joining within minutes from one
network, voting almost the same way. Shown to facilitators, who may leave them out of the
analysis (kept, flagged, reversible). Nothing here decides on its own.

A participant's network is known only as a keyed hash of its address prefix
(`consult.security.hash_address`), and only for `retention_days` after they joined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select, update

from consult.extensions import db
from consult.models import Conversation, Participant, Vote, as_utc, utcnow
from consult.services.changes import content_changed
from consult.services.errors import InvalidInput

# Joined within this long of the previous one from the same network: the same burst.
BURST_GAP = timedelta(minutes=10)
MIN_BURST = 5  # a class of pupils voting together is more than a handful of people
MIN_AGREEMENT = 0.9  # the share of shared statements on which two of them voted alike
MIN_SHARED = 3  # statements two members both voted on, for their agreement to count


@dataclass(frozen=True)
class Burst:
    network: str  # a short label for the hashed network, not reversible
    first_joined: datetime
    last_joined: datetime
    participants: list[int]
    agreement: float  # mean over pairs of members that share MIN_SHARED statements
    excluded: int  # how many of them are left out of the analysis now


def find_bursts(conversation: Conversation) -> list[Burst]:
    """Bursts in this consultation, most recent first."""
    rows = db.session.execute(
        select(
            Participant.id,
            Participant.address_hash,
            Participant.created_at,
            Participant.excluded_at,
        )
        .where(
            Participant.conversation_id == conversation.id,
            Participant.address_hash.is_not(None),
        )
        .order_by(Participant.address_hash, Participant.created_at)
    ).all()
    bursts = []
    for network, members in groupby(rows, key=lambda row: row.address_hash):
        for run in _runs(list(members)):
            if len(run) < MIN_BURST:
                continue
            agreement = _agreement([row.id for row in run])
            if agreement is not None and agreement >= MIN_AGREEMENT:
                bursts.append(
                    Burst(
                        network=network[:8],
                        first_joined=as_utc(run[0].created_at),
                        last_joined=as_utc(run[-1].created_at),
                        participants=[row.id for row in run],
                        agreement=agreement,
                        excluded=sum(row.excluded_at is not None for row in run),
                    )
                )
    return sorted(bursts, key=lambda burst: burst.last_joined, reverse=True)


def set_excluded(conversation: Conversation, participant_ids: list[int], excluded: bool) -> int:
    """Leave these participants out of the analysis, or bring them back; how many changed."""
    if not participant_ids or not all(isinstance(i, int) for i in participant_ids):
        raise InvalidInput(_("Choose the participants to leave out or bring back."))
    changed = db.session.execute(
        update(Participant)
        .where(Participant.conversation_id == conversation.id, Participant.id.in_(participant_ids))
        .values(excluded_at=utcnow() if excluded else None)
    ).rowcount
    content_changed(conversation)  # the next analysis is computed without (or with) them
    db.session.commit()
    return changed


def excluded_participants(conversation_id: str) -> list[int]:
    return list(
        db.session.scalars(
            select(Participant.id).where(
                Participant.conversation_id == conversation_id,
                Participant.excluded_at.is_not(None),
            )
        )
    )


def forget_old_addresses(retention_days: int) -> int:
    """Clear address hashes older than the retention period; how many were cleared."""
    cutoff = utcnow() - timedelta(days=retention_days)
    cleared = db.session.execute(
        update(Participant)
        .where(Participant.address_hash.is_not(None), Participant.created_at < cutoff)
        .values(address_hash=None)
    ).rowcount
    db.session.commit()
    return cleared


def _runs(members: list) -> list[list]:
    """Split one network's joiners (by time) where more than BURST_GAP passed between two."""
    runs: list[list] = []
    for row in members:
        if runs and as_utc(row.created_at) - as_utc(runs[-1][-1].created_at) <= BURST_GAP:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _agreement(participant_ids: list[int]) -> float | None:
    """Mean share of alike votes over pairs sharing MIN_SHARED statements; None if no pair."""
    votes = db.session.execute(
        select(Vote.participant_id, Vote.statement_id, Vote.value).where(
            Vote.participant_id.in_(participant_ids)
        )
    ).all()
    if not votes:
        return None
    rows = {pid: i for i, pid in enumerate(participant_ids)}
    columns = {sid: j for j, sid in enumerate(sorted({v.statement_id for v in votes}))}
    values = np.full((len(rows), len(columns)), np.nan)
    for pid, sid, value in votes:
        values[rows[pid], columns[sid]] = value
    voted = ~np.isnan(values)
    shared = voted.astype(float) @ voted.T.astype(float)
    alike = sum(
        (values == v).astype(float) @ (values == v).T.astype(float) for v in (-1.0, 0.0, 1.0)
    )
    pairs = np.triu(shared >= MIN_SHARED, k=1)
    if not pairs.any():
        return None
    return float((alike[pairs] / shared[pairs]).mean())
