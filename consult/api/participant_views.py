"""API routes for a participant's own data: download it, erase it (participant token)."""

from __future__ import annotations

from typing import Any

from consult.api.inputs import bearer_token
from consult.api.views import bp
from consult.services import consultations, participant_data, participants

ME = "/conversations/<conversation_id>/me"


@bp.get(ME)
def my_data(conversation_id: str) -> Any:
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    return participant_data.download(conversation, participant)


@bp.delete(ME)
def erase_me(conversation_id: str) -> Any:
    """Erase the participant and their data; their token stops working at once."""
    conversation = consultations.get_conversation(conversation_id)
    participant = participants.participant_for_token(conversation, bearer_token())
    participant_data.erase(conversation, participant)
    return "", 204
