"""The consultation report: which analysis it cites, what it shows, and who may read it.

The report cites a cold analysis (groups chosen afresh, no warm start) of the votes up to
its cut-off time; `services.analyses` never thins the latest cold analysis's data.
Nothing is recomputed here: everything comes from stored analyses (DESIGN.md §1).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from consult.extensions import db
from consult.models import (
    Analysis,
    Conversation,
    ModerationStatus,
    Statement,
    User,
    as_utc,
)
from consult.services import report_sentences as say
from consult.services.analyses import analysis_history
from consult.services.analysis_view import (
    build_view,
    group_name,
    votes_needed_each,
    without_groups,
)
from consult.services.consultations import can_manage, get_conversation
from consult.services.errors import Forbidden, InvalidInput, NotFound
from consult.services.exports import votes_csv_sha256
from consult.services.outcomes import OutcomeView, published_view
from consult.services.participant_data import last_erasure_at, votes_erased_since
from consult.services.statements import is_visible
from consult.services.who_took_part_report import WhoTookPart, who_took_part

# ?statements=...: what participants could vote on (default), accepted ones only, or every
# statement, rejected ones included (the consultation's facilitators only).
STATEMENT_FILTERS = ("visible", "accepted", "all")
HISTORY_STEPS = 6  # versions drawn in "how the groups formed"


@dataclass
class Milestone:
    """One stored analysis version in the groups' history."""

    version: int
    at: datetime
    kind: str
    participants: int
    votes: int
    strength: str | None
    groups: list[dict[str, Any]]  # {"id", "label", "members"} from the summary
    view: dict[str, Any] | None  # the stored view (points, groups) when still kept


@dataclass
class Report:
    conversation: Conversation
    statement_filter: str
    analysis: Analysis | None = None  # the analysis the report cites; None: not ready
    data: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)  # the statements shown
    texts: dict[Any, str] = field(default_factory=dict)
    statuses: dict[Any, str] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    notes: dict[Any, list[str]] = field(default_factory=dict)  # sentences per statement
    history: list[Milestone] = field(default_factory=list)
    outcome: OutcomeView | None = None  # how the input was used, once published
    # Votes that participants erased after the cited analysis: a replay today lacks them.
    erased_since: int = 0
    who_took_part: WhoTookPart | None = None  # answers and segments, suppressed counts

    @property
    def ready(self) -> bool:
        return self.analysis is not None

    def row(self, statement_id: Any) -> dict[str, Any]:
        return next(r for r in self.rows if r["id"] == statement_id)


def readable_conversation(conversation_id: object, user: User | None) -> Conversation:
    """The consultation if its results are public or `user` runs it; NotFound otherwise."""
    conversation = get_conversation(conversation_id)
    if not conversation.results_public and not can_manage(user, conversation):
        raise NotFound(_("There is no such consultation, or its results are not public."))
    return conversation


def statement_filter(raw: object, *, may_see_rejected: bool) -> str:
    """The `statements` query argument, checked."""
    if raw is None or raw == "":
        return "visible"
    if raw not in STATEMENT_FILTERS:
        raise InvalidInput(
            _("statements must be one of %(choices)s.", choices=", ".join(STATEMENT_FILTERS)),
            field="statements",
        )
    if raw == "all" and not may_see_rejected:
        raise Forbidden(_("Only the consultation's facilitators can see rejected statements."))
    return str(raw)


def cited_analysis(conversation: Conversation) -> Analysis | None:
    """The latest cold analysis whose data is kept; else the latest one kept at all.

    Retention keeps the latest cold analysis whole, so the fallback serves only analyses
    stored before that rule (or a profile switch's first warm run).
    """
    kept = (
        select(Analysis)
        .where(Analysis.conversation_id == conversation.id, Analysis.data.is_not(None))
        .order_by(Analysis.version.desc())
        .limit(1)
    )
    cold = db.session.scalar(kept.where(Analysis.kind == "cold"))
    return cold if cold is not None else db.session.scalar(kept)


def analysed_votes_sha256(analysis: Analysis) -> str:
    """SHA-256 of votes.csv as `consult export --until <cut-off>` writes it (`replay_commands`).

    Anyone replaying the report can check the file they replay. Vote events up to a cut-off
    change only when a participant erases their data, so the hash is computed once per
    analysis and erasure in each process.
    """
    erased = last_erasure_at(analysis.conversation_id)
    return _votes_csv_sha256(analysis.conversation_id, cutoff(analysis), erased)


@functools.lru_cache(maxsize=256)
def _votes_csv_sha256(conversation_id: str, until: datetime, _erased: datetime | None) -> str:
    return votes_csv_sha256(get_conversation(conversation_id), until=until)


def cutoff(analysis: Analysis) -> datetime:
    """The last moment the analysis's votes come from: what the report is "of"."""
    return as_utc(analysis.cutoff_at or analysis.created_at)


def replay_commands(conversation: Conversation, analysis: Analysis) -> list[str]:
    """The commands that export the analysed votes and analyse them again."""
    methodology = (analysis.data or {}).get("methodology", {})
    until = cutoff(analysis).isoformat()
    folder = f"consult-{conversation.id}"
    return [
        f"consult export {conversation.id} {folder} --until {until}",
        f"python -m clustering analyze {folder} --profile {methodology.get('profile', 'consult')}"
        f" --seed {methodology.get('random_state', 0)}",
    ]


def build_report(conversation: Conversation, chosen: str, *, with_history: bool = True) -> Report:
    """Everything the report page and its PDF show, from the cited analysis; without the
    groups' history (a read of every stored version) where only a section is shown."""
    report = Report(conversation, chosen, outcome=published_view(conversation))
    analysis = cited_analysis(conversation)
    if analysis is None:
        return report
    data = analysis.data or {}
    statements = list(
        db.session.scalars(select(Statement).where(Statement.conversation_id == conversation.id))
    )
    shown = [s for s in statements if not s.is_meta and _passes_filter(conversation, s, chosen)]
    report.analysis, report.data = analysis, data
    report.texts = {s.id: s.text for s in shown}
    report.statuses = {s.id: s.status.value for s in shown}
    summary = analysis.summary or {}
    report.view = build_view(
        data,
        report.texts,
        qualified=int(summary.get("qualified", 0)),
        # As the run counted; analyses stored before it kept this counted every statement.
        votes_each=summary.get("votes_each") or votes_needed_each(len(statements)),
    )
    if not report.view["ready"]:
        data = report.data = without_groups(data)
    report.labels = {g["id"]: group_name(g["id"]) for g in data.get("groups", [])}
    report.rows = [r for r in data.get("statements", []) if r.get("id") in report.texts]
    claims = say.claims_of(data)
    report.notes = {r["id"]: say.statement_sentences(r, claims, report.labels) for r in report.rows}
    report.history = group_history(conversation, analysis) if with_history else []
    report.erased_since = votes_erased_since(conversation.id, cutoff(analysis))
    consensus = report.view.get("consensus", {})
    report.who_took_part = who_took_part(
        conversation,
        data,
        statement_ids=[*consensus.get("agree", []), *consensus.get("disagree", [])],
        until=cutoff(analysis),
    )
    return report


def _passes_filter(conversation: Conversation, statement: Statement, chosen: str) -> bool:
    if chosen == "all":
        return True
    if chosen == "accepted":
        return statement.status == ModerationStatus.ACCEPTED
    return is_visible(conversation, statement)


def group_history(
    conversation: Conversation, cited: Analysis, steps: int = HISTORY_STEPS
) -> list[Milestone]:
    """Up to `steps` versions from the first to the cited one, evenly spread.

    Sizes come from every version's summary; a map only where its view is still kept
    (retention thins older full results).
    """
    versions = [a for a in analysis_history(conversation) if a.version <= cited.version]
    if not versions:
        return []
    picks = sorted({round(i * (len(versions) - 1) / max(steps - 1, 1)) for i in range(steps)})
    chosen = [versions[i] for i in picks]
    views = dict(
        db.session.execute(
            select(Analysis.version, Analysis.view).where(
                Analysis.conversation_id == conversation.id,
                Analysis.version.in_([a.version for a in chosen]),
                Analysis.view.is_not(None),
            )
        ).all()
    )
    return [_milestone(a, views.get(a.version)) for a in chosen]


def _milestone(analysis: Analysis, view: dict[str, Any] | None) -> Milestone:
    summary = analysis.summary or {}
    counts = summary.get("counts", {})
    shown = summary.get("ready", True)  # summaries stored before "ready" was kept: as before
    return Milestone(
        version=analysis.version,
        at=as_utc(analysis.created_at),
        kind=analysis.kind,
        participants=int(counts.get("participants", 0)),
        votes=int(counts.get("votes", 0)),
        # A version whose groups the pages did not show yet says nothing of them here either.
        strength=(summary.get("division") or {}).get("strength") if shown else None,
        groups=[
            {"id": g["id"], "label": group_name(g["id"]), "members": int(g.get("members", 0))}
            for g in (summary.get("groups", []) if shown else [])
        ],
        view=view if view and view.get("ready") else None,
    )
