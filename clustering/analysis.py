"""analyze(votes, ...) -> Analysis: the one entry point the app calls (DESIGN.md §2, §4)."""

from __future__ import annotations

import gc
import json
import platform
import time
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np
import scipy
import sklearn
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from clustering import consult_profile, group_ids, polis
from clustering.bridging import Bridging, bridging_scores
from clustering.claims import claim_settings, leave_one_statement_out
from clustering.consensus import (
    group_informed_consensus,
    majority_consensus,
    significant_consensus,
)
from clustering.grouping import Found
from clustering.matrix import VoteMatrix, columns_kept, from_records, input_hash
from clustering.parameters import DEFAULT, Parameters
from clustering.repness import representative_statements
from clustering.report_numbers import statement_numbers
from clustering.routing import routing_priority
from clustering.tallies import Tallies

PROFILES = ("consult", "polis")
VERSION = "0.1.0"


@dataclass
class Analysis:
    """Everything a report, a map or the routing shows, as JSON-ready values.

    Ids are the caller's participant and statement ids. Lists of plain dicts rather than
    nested classes keep the round trip through JSON exact: `Analysis.from_json(a.to_json())`
    equals `a`. No NaN or infinity anywhere.

    participants : [{"id", "group" (int or None), "confidence" (float or None), "x", "y"}]
        confidence: the probability of the assigned group (of the best one when unassigned);
        None in the polis profile, whose groups are hard, and for participants not grouped.
    groups : [{"id", "members", "members_interval": [low, high] or None, "pass_rate",
        "centre": [x, y], "representative": [...]}]
        Ids stay the same across updates while a group exists (`clustering.group_ids`).
        members_interval: 95 % interval of the group's size from the membership
        probabilities (consult profile); pass_rate: the members' passes / votes.
    consensus : {"agree": [statement ids], "disagree": [...]}, tested consensus (exact
        binomial test of share > ½, BH, minimum votes; `claims`); the polis profile adds
        Polis's majority lists (§4.8) as "majority_agree" and "majority_disagree"
    statements : [{"id", counts, shares with 95 % intervals, per-group shares with
        intervals and q-values, "group_informed_consensus", "bridging" (0.0 when not
        scored), "bridging_scored", "bridging_votes", "bridging_interval" (None when not
        scored), "divisiveness", "selection", "priority", "extremity", "x", "y", ...}]
    divisive : statement ids where groups differ most, significant after FDR control
    routing_priority, statement_extremity : {str(statement id): number}, read by the app
    counts : {"participants", "grouped", "statements", "votes"}
    division : {"n_groups", "strength": "none" | "weak" | "clear" | "spectrum", "summary", ...}
        consult profile: also the held-out evidence, "stability" (how the folds agreed)
        and, for a spectrum, "axis_ends": {"low": [statement ids], "high": [...]}
    stability : {"matched_previous", "share_kept"}: how groups carried over from `previous`
    methodology : profile, parameters, seed, versions, input hash, timings
    state : what a warm start of the next update needs (profile-specific)
    """

    profile: str
    participants: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    consensus: dict[str, list[Any]]
    statements: list[dict[str, Any]]
    divisive: list[Any]
    routing_priority: dict[str, float]
    statement_extremity: dict[str, float]
    counts: dict[str, int]
    division: dict[str, Any]
    stability: dict[str, Any]
    methodology: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Analysis:
        return cls(**json.loads(text))

    @classmethod
    def carrying(cls, state: dict[str, Any], profile: str) -> Analysis:
        """An analysis holding only what the next update starts from (a replay's last step)."""
        return cls(
            profile, [], [], {"agree": [], "disagree": []}, [], [], {}, {}, {}, {}, {}, {}, state
        )

    def group_of(self) -> dict[Any, int | None]:
        return {p["id"]: p["group"] for p in self.participants}


def analyze(
    votes: Iterable[tuple[Hashable, Hashable, int, float]] | VoteMatrix,
    *,
    statement_ids: Iterable[Hashable] | None = None,
    moderated_out: Iterable[Hashable] = (),
    meta: Iterable[Hashable] = (),
    previous: Analysis | None = None,
    previous_groups: Mapping[Hashable, int | None] | None = None,
    profile: str = "consult",
    random_state: int = 0,
    parameters: Parameters = DEFAULT,
) -> Analysis:
    """Group participants by their votes and compute every number a report shows.

    Parameters
    ----------
    votes : iterable of (participant, statement, vote, timestamp) or VoteMatrix
        vote is +1 agree, −1 disagree, 0 pass; the latest record of a pair counts.
    statement_ids : iterable, optional
        Every statement of the conversation, voted on or not.
    moderated_out, meta : iterables of statement ids
        Left out of the grouping and of the reports (Polis profile: zeroed, §4.1).
    previous : Analysis, optional
        The last analysis of the same conversation: warm start and stable group ids.
    previous_groups : mapping of participant id to group id (or None), optional
        Without `previous` (a cold analysis, from scratch): the last analysis's grouping
        (`Analysis.group_of()`), so that a group keeps its id, and its name, all the same.
    profile : {"consult", "polis"}
    random_state : int
        Seeds every random choice.
    parameters : Parameters
        Who is grouped, the most groups, the claims' thresholds and each profile's
        choices (`clustering.parameters`); recorded in `methodology["parameters"]`.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    with _cycle_collection_paused(), _one_blas_thread():
        before = previous.group_of() if previous is not None else previous_groups
        return _analyze(
            votes,
            statement_ids,
            moderated_out,
            meta,
            previous,
            before,
            profile,
            random_state,
            parameters,
        )


def _one_blas_thread() -> AbstractContextManager:
    """Run BLAS on one thread for one analysis.

    The dense work here is thin (participants × 10 at most) and sits between sparse
    products that scipy runs on one thread; extra BLAS threads gain little on it and spin
    while the sparse products run, slowing them and whatever else shares the machine (the
    web workers). Measured in the package README.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@cache
def _blas_controller() -> ThreadpoolController:
    # Finding the loaded BLAS libraries takes milliseconds: once per process.
    return ThreadpoolController()


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one analysis.

    An analysis builds tens of thousands of small objects (records, JSON-ready dicts) and
    no reference cycles; left on, the collector would rescan the caller's whole heap many
    times over (half the time of a 2,000-participant analysis). Memory is still freed by
    reference counting; the previous setting is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyze(
    votes, statement_ids, moderated_out, meta, previous, before, profile, random_state, parameters
) -> Analysis:
    started = time.perf_counter()
    matrix = votes if isinstance(votes, VoteMatrix) else _matrix_from_records(votes, statement_ids)
    moderated = matrix.statements_in(moderated_out)
    is_meta = matrix.statements_in(meta)
    timings: dict[str, float] = {}

    state = previous.state if previous is not None else None
    found = find_groups(
        matrix, moderated, is_meta, profile, state, random_state, timings, parameters
    )
    index = found.labels  # group index 0..n_groups − 1 per participant, −1 when none
    n_groups = int(index.max(initial=-1) + 1)
    ids = group_ids.stable_ids(index, matrix.participant_ids, before)
    labels = np.where(index >= 0, ids[np.maximum(index, 0)] if n_groups else -1, -1)

    tic = time.perf_counter()
    eligible = ~moderated & ~is_meta
    # The votes on eligible statements, taken once for bridging.
    eligible_votes = matrix.votes if eligible.all() else columns_kept(matrix.votes, eligible)
    numbers = statement_numbers(
        matrix.votes,
        index,
        n_groups,
        claim_labels=_claim_labels(found, matrix, index, n_groups),
        eligible=eligible,
        parameters=parameters,
    )
    representative = representative_statements(
        numbers.tallies,
        eligible,
        numbers.direction_q,
        polis_selection=profile == "polis",
        false_discovery_rate=parameters.false_discovery_rate,
    )
    consensus = significant_consensus(
        numbers.tallies, numbers.consensus_q, eligible, parameters.false_discovery_rate
    )
    if profile == "polis":  # Polis's own lists (§4.8) beside the tested ones, under their own keys
        polis_lists = majority_consensus(numbers.tallies, eligible)
        consensus |= {f"majority_{direction}": js for direction, js in polis_lists.items()}
    gac = group_informed_consensus(numbers.tallies)
    bridging = bridging_scores(
        eligible_votes,
        found.projection.participants[:, 0],
        min_votes=parameters.min_statement_votes,
    )
    bridging_full = np.zeros(matrix.shape[1])
    bridging_full[eligible] = bridging.statement_intercepts
    bridging_votes, bridging_scored, bridging_intervals = _bridging_columns(bridging, eligible)
    timings["reports"] = time.perf_counter() - tic

    projection = found.projection
    extremity = projection.extremity
    priority = routing_priority(
        numbers.tallies.total_agree,
        numbers.tallies.total_passes,
        numbers.tallies.total_seen,
        extremity,
        is_meta,
    )
    sid = matrix.statement_ids.tolist()
    pid = matrix.participant_ids.tolist()
    moderated_list, meta_list = moderated.tolist(), is_meta.tolist()
    gac_list, bridging_list, priority_list, extremity_list, x_list, y_list = _finite_lists(
        np.vstack([gac, bridging_full, priority, extremity, projection.statements.T])
    )
    # A dict display per statement: several times faster than merging dicts built apart.
    statements = [
        {
            "id": s,
            "moderated_out": out,
            "is_meta": is_meta_j,
            **row,
            "group_informed_consensus": gac_j,
            "bridging": bridging_j,
            "priority": priority_j,
            "extremity": extremity_j,
            "x": x,
            "y": y,
            "bridging_votes": votes_j,
            "bridging_scored": scored_j,
            "bridging_interval": interval_j if scored_j else None,
        }
        for (
            s,
            out,
            is_meta_j,
            row,
            gac_j,
            bridging_j,
            priority_j,
            extremity_j,
            x,
            y,
            votes_j,
            scored_j,
            interval_j,
        ) in zip(
            sid,
            moderated_list,
            meta_list,
            numbers.rows(ids),
            gac_list,
            bridging_list,
            priority_list,
            extremity_list,
            x_list,
            y_list,
            bridging_votes,
            bridging_scored,
            bridging_intervals,
            strict=True,
        )
    ]
    pass_rates = _pass_rates(numbers.tallies, eligible)
    group_list = [
        {
            "id": int(ids[g]),
            "members": int((index == g).sum()),
            "members_interval": _members_interval(found.membership, g),
            "pass_rate": pass_rates[g],
            "centre": [_finite(v) for v in projection.participants[index == g].mean(axis=0)]
            if (index == g).any()
            else [0.0, 0.0],
            "representative": [
                {
                    **r.as_dict(),
                    "statement": sid[r.statement],
                    "interval": numbers.group_interval(g, r.statement, r.direction),
                    "selection": numbers.selection,
                }
                for r in representative[g]
            ],
        }
        for g in sorted(range(n_groups), key=lambda g: ids[g])
    ]
    confidence = _confidence(found.membership, index)
    timings["total"] = time.perf_counter() - started
    return Analysis(
        profile=profile,
        participants=[
            {"id": p, "group": g if g >= 0 else None, "confidence": c, "x": x, "y": y}
            for p, g, c, x, y in zip(
                pid,
                labels.tolist(),
                confidence,
                *_finite_lists(projection.participants.T),
                strict=True,
            )
        ],
        groups=group_list,
        consensus={direction: [sid[j] for j in js] for direction, js in consensus.items()},
        statements=statements,
        divisive=[sid[j] for j in numbers.divisive(eligible)],
        routing_priority={
            str(s): p
            for s, p, out in zip(sid, priority_list, moderated_list, strict=True)
            if not out
        },
        statement_extremity={str(s): e for s, e in zip(sid, extremity_list, strict=True)},
        counts={
            "participants": int(matrix.shape[0]),
            "grouped": int((labels >= 0).sum()),
            "statements": int(matrix.shape[1]),
            "votes": int(matrix.votes.nnz),
        },
        division=found.division,
        stability=group_ids.stability(labels, matrix.participant_ids, before),
        methodology={
            "profile": profile,
            "random_state": random_state,
            "parameters": {**parameters.to_dict(), **found.parameters},
            "versions": {
                "clustering": VERSION,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "scipy": scipy.__version__,
                "scikit-learn": sklearn.__version__,
            },
            "input_sha256": input_hash(matrix),
            "claims": claim_settings(numbers.selection, parameters),
            "seconds": {k: round(v, 4) for k, v in timings.items()},
        },
        state=found.state,
    )


def find_groups(
    matrix: VoteMatrix,
    moderated: NDArray[np.bool_],
    is_meta: NDArray[np.bool_],
    profile: str,
    state: dict[str, Any] | None,
    random_state: int,
    timings: dict[str, float],
    parameters: Parameters = DEFAULT,
    *,
    with_claims: bool = True,
) -> Found:
    """The profile's grouping; `state` is what the last update of this conversation left.

    Both profiles leave moderated-out and meta statements out (Polis's mod-out set).
    `with_claims` False skips what only claims need (a replay's updates before the last):
    the polis profile's split-half claim labels (the consult profile makes none here).
    Such a result is for its state only: `_analyze` always asks for claims.
    """
    left_out = moderated | is_meta
    if profile == "polis":
        return polis.find_groups(
            matrix,
            left_out,
            state,
            random_state,
            timings,
            parameters,
            with_claim_labels=with_claims,
        )
    return consult_profile.find_groups(matrix, left_out, state, random_state, timings, parameters)


def _pass_rates(tallies: Tallies, eligible: NDArray[np.bool_]) -> list[float]:
    """Passes / votes of each group's members on eligible statements: passing is reported
    apart from opinions. From the tallies the report numbers counted already."""
    cast = tallies.seen[:, eligible].sum(axis=1).astype(float)
    passed = tallies.passes[:, eligible].sum(axis=1).astype(float)
    return [round(float(p / c), 4) if c else 0.0 for p, c in zip(passed, cast, strict=True)]


def _members_interval(membership: NDArray | None, g: int) -> list[float] | None:
    """95 % interval of a group's size: Σ p ± 1.96 √Σ p(1 − p) over participants.

    The size is a sum of independent Bernoulli memberships (a Poisson-binomial); its
    normal approximation. None when the profile's groups are hard.
    """
    if membership is None or membership.shape[1] <= g:
        return None
    p = membership[:, g]
    centre, spread = float(p.sum()), 1.96 * float(np.sqrt(np.sum(p * (1 - p))))
    return [round(max(centre - spread, 0.0), 1), round(centre + spread, 1)]


def _confidence(membership: NDArray | None, index: NDArray) -> list[float | None]:
    """Each participant's probability of their group (of their best one when unassigned)."""
    if membership is None or membership.shape[1] == 0:
        return [None] * len(index)
    best = membership.max(axis=1)
    in_model = membership.sum(axis=1) > 0
    return [round(float(b), 4) if m else None for b, m in zip(best, in_model, strict=True)]


def _claim_labels(
    found: Found, matrix: VoteMatrix, labels: NDArray, n_groups: int
) -> NDArray[np.int64]:
    """The labels each statement's group claims are tested with (`claims` module).

    A grouping that can say how it would have grouped people without statement j gives
    `found.claim_labels` (any form `statement_numbers` takes, in the ids of `labels`);
    otherwise each participant is reassigned without their vote on j
    (`claims.leave_one_statement_out`), so no claim is tested on the vote that placed its
    voter in a group.
    """
    if found.claim_labels is not None:
        return found.claim_labels
    return leave_one_statement_out(matrix.votes, labels, n_groups)


def _bridging_columns(
    bridging: Bridging, eligible: NDArray[np.bool_]
) -> tuple[list[int], list[bool], list[list[float]]]:
    """Per statement: votes behind the bridging score, whether it is scored, its interval.

    `bridging` stays a float (0.0 when not scored) for the pages that rank by it;
    `bridging_scored` says whether it means anything (at least `min_statement_votes` votes),
    `bridging_interval` is its 95 % interval, None when not scored (set by the caller).
    """
    votes = np.zeros(eligible.size, dtype=np.int64)
    scored = np.zeros(eligible.size, dtype=bool)
    intervals = np.zeros((eligible.size, 2))
    votes[eligible], scored[eligible] = bridging.votes, bridging.scored
    intervals[eligible] = bridging.intervals
    return votes.tolist(), scored.tolist(), _finite_lists(intervals)


def _matrix_from_records(
    records: Iterable[tuple], statement_ids: Iterable[Hashable] | None
) -> VoteMatrix:
    rows = records if isinstance(records, list) else list(records)
    if not rows:
        return from_records([], [], [], statement_ids=np.asarray(list(statement_ids or [])))
    participants, statements, values, *rest = zip(*rows, strict=True)
    timestamps = rest[0] if rest else None
    return from_records(participants, statements, values, timestamps, statement_ids=statement_ids)


def _finite_lists(values: NDArray) -> list:
    """Rows of an array as lists of floats, NaN and infinity replaced by 0."""
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0).tolist()


def _finite(value: float) -> float:
    value = float(value)
    return value if np.isfinite(value) else 0.0
