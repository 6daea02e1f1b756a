"""API routes for segments (facilitator token): list with links and participant counts
(suppressed under CONSULT_MIN_CELL), create, rename, delete."""

from __future__ import annotations

from typing import Any

from flask import current_app

from consult.api.inputs import facilitator, json_object, only_fields, path_id
from consult.api.serializers import segment_url
from consult.api.views import bp
from consult.models import Conversation, Segment
from consult.services import consultations, segments

SEGMENTS = "/conversations/<conversation_id>/segments"


@bp.get(SEGMENTS)
def list_segments(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    counts = _shown_counts(conversation)
    return {
        "min_cell": current_app.config["CONSULT_MIN_CELL"],
        "segments": [
            segment_json(segment, counts[segment.id])
            for segment in segments.segments_of(conversation)
        ],
    }


@bp.post(SEGMENTS)
def create_segment(conversation_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"name"})
    return segment_json(segments.create_segment(conversation, body.get("name")), 0), 201


@bp.patch(f"{SEGMENTS}/<segment_id>")
def rename_segment(conversation_id: str, segment_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    body = json_object()
    only_fields(body, {"name"})
    segment = segments.get_segment(conversation, path_id(segment_id))
    segments.rename_segment(segment, body.get("name"))
    return segment_json(segment, _shown_counts(conversation)[segment.id])


@bp.delete(f"{SEGMENTS}/<segment_id>")
def delete_segment(conversation_id: str, segment_id: str) -> Any:
    conversation = consultations.get_managed_conversation(facilitator(), conversation_id)
    segments.delete_segment(segments.get_segment(conversation, path_id(segment_id)))
    return "", 204


def _shown_counts(conversation: Conversation) -> dict[int, int | None]:
    return segments.shown_participant_counts(conversation, current_app.config["CONSULT_MIN_CELL"])


def segment_json(segment: Segment, participants: int | None) -> dict[str, Any]:
    return {
        "id": segment.id,
        "name": segment.name,
        "code": segment.code,
        "url": segment_url(segment),
        # null where suppressed: a handful could be told apart (segments.shown_participant_counts).
        "participants": participants,
    }
