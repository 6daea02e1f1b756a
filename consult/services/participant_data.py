"""A participant's own data: what they can download, and erasing it at their request.

Erasing deletes the participant, their current votes, every entry of theirs in the vote
log and their answers to the questions about who took part; their statements go too,
unless the facilitator chose to keep them, detached from anyone. An `Erasure` row records
when and how much, never who, so that reports and exports made before can say how many
votes were erased since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from consult.extensions import db
from consult.models import (
    Answer,
    Conversation,
    Erasure,
    Participant,
    Segment,
    Statement,
    Vote,
    VoteEvent,
    as_utc,
)
from consult.services import questions
from consult.services.changes import content_changed

VOTE_WORDS = {1: "agree", -1: "disagree", 0: "pass"}


def download(conversation: Conversation, participant: Participant) -> dict[str, Any]:
    """Everything Consult keeps that is tied to this participant, as plain JSON."""
    current = db.session.execute(
        select(Vote.statement_id, Statement.text, Vote.value, Vote.updated_at)
        .join(Statement, Statement.id == Vote.statement_id)
        .where(Vote.participant_id == participant.id)
        .order_by(Vote.updated_at, Vote.id)
    )
    history = db.session.execute(
        select(VoteEvent.statement_id, VoteEvent.value, VoteEvent.created_at)
        .where(VoteEvent.participant_id == participant.id)
        .order_by(VoteEvent.id)
    )
    written = db.session.execute(
        select(Statement.id, Statement.text, Statement.status, Statement.created_at)
        .where(Statement.author_participant_id == participant.id)
        .order_by(Statement.id)
    )
    return {
        "consultation": {"id": conversation.id, "topic": conversation.topic},
        "participant": {
            "id": participant.id,
            "joined_at": _iso(participant.created_at),
            "personal_link": participant.xid_hash is not None,
            # Their own segment is theirs to see; it is never in an export (services/segments).
            "segment": _segment_name(participant),
        },
        "votes": [
            {"statement_id": sid, "statement": text, "vote": VOTE_WORDS[value], "at": _iso(at)}
            for sid, text, value, at in current
        ],
        "vote_history": [
            {"statement_id": sid, "vote": VOTE_WORDS[value], "at": _iso(at)}
            for sid, value, at in history
        ],
        "statements": [
            {"id": sid, "text": text, "status": str(status), "at": _iso(at)}
            for sid, text, status, at in written
        ],
        "answers": [
            {
                "question_id": question.id,
                "question": question.text,
                "choice": answer.choice,
                "answer": question.choices[answer.choice],
                "at": _iso(answer.answered_at),
            }
            for question, answer in questions.my_answers(participant)
        ],
    }


def erase(conversation: Conversation, participant: Participant) -> Erasure:
    """Remove the participant and everything tied to them, in one transaction."""
    votes = db.session.scalar(
        select(func.count()).select_from(Vote).where(Vote.participant_id == participant.id)
    )
    authored = Statement.author_participant_id == participant.id
    if conversation.keep_statements_on_erasure:
        kept = db.session.execute(
            update(Statement).where(authored).values(author_participant_id=None)
        ).rowcount
        removed = 0
    else:
        kept = 0
        # Others' votes on these statements go with them (cascade): the statement is gone.
        removed = db.session.execute(delete(Statement).where(authored)).rowcount
    db.session.execute(delete(VoteEvent).where(VoteEvent.participant_id == participant.id))
    db.session.execute(delete(Vote).where(Vote.participant_id == participant.id))
    # The foreign key cascades too; said here so the erasure does not lean on the database's
    # cascade alone (SQLite enforces it only with its pragma on).
    db.session.execute(delete(Answer).where(Answer.participant_id == participant.id))
    db.session.execute(delete(Participant).where(Participant.id == participant.id))
    erasure = Erasure(
        conversation_id=conversation.id,
        votes=votes or 0,
        statements_removed=removed,
        statements_kept=kept,
    )
    db.session.add(erasure)
    content_changed(conversation)  # the analysis must drop their votes: a full re-read
    db.session.commit()
    return erasure


def votes_erased_since(conversation_id: str, moment: datetime) -> int:
    """Current votes erased at participants' request after `moment` (for reports made before)."""
    erased = db.session.scalar(
        select(func.coalesce(func.sum(Erasure.votes), 0)).where(
            Erasure.conversation_id == conversation_id, Erasure.erased_at > moment
        )
    )
    return int(erased or 0)


def last_erasure_at(conversation_id: str) -> datetime | None:
    return db.session.scalar(
        select(func.max(Erasure.erased_at)).where(Erasure.conversation_id == conversation_id)
    )


def _segment_name(participant: Participant) -> str | None:
    if participant.segment_id is None:
        return None
    return db.session.scalar(select(Segment.name).where(Segment.id == participant.segment_id))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat()
