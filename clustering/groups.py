"""Finding the opinion groups for either profile, and keeping group ids stable over updates."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from clustering import mixture, polis
from clustering.matrix import VoteMatrix, cell_rows, plain
from clustering.pca import Projection, project

if TYPE_CHECKING:
    from clustering.analysis import Analysis

MAX_GROUPS = 6  # the consult profile tries 1..6 groups
SELECTION_SAMPLE = 4000  # participants used to choose the number of groups (speed)
CLEAR_DIVISION_Z = 4.0
FINAL_EM_ITERATIONS = 40


@dataclass(frozen=True)
class Found:
    labels: NDArray[np.int64]  # group index per participant, −1 when not grouped
    projection: Projection
    division: dict[str, Any]
    parameters: dict[str, Any]
    state: dict[str, Any]


def find_groups(
    matrix: VoteMatrix,
    moderated: NDArray[np.bool_],
    is_meta: NDArray[np.bool_],
    profile: str,
    state: dict[str, Any] | None,
    random_state: int,
    timings: dict[str, float],
) -> Found:
    """Group the participants; `state` is what the last update of this conversation left."""
    if profile == "polis":
        # Polis moves meta statements out with the moderated ones (its mod-out set).
        return _polis(matrix, moderated | is_meta, state, random_state, timings)
    return _consult(matrix, moderated | is_meta, state, random_state, timings)


def _polis(matrix, left_out, state, random_state, timings) -> Found:
    tic = time.perf_counter()
    history = polis.PolisHistory.from_state(state["polis"]) if state and "polis" in state else None
    votes = matrix.votes
    voted = np.bincount(votes.indices, minlength=matrix.shape[1]) > 0
    # Polis's matrix has a column per statement with votes, and sets the moderated-out ones
    # to 0 for everyone: in the projection those cells count as votes of every participant.
    columns = np.flatnonzero(voted)
    out = left_out[columns]
    zeroed = (votes if voted.all() else votes[:, columns]).astype(np.float64)
    zeroed.data[out[zeroed.indices]] = 0.0
    n_votes = matrix.n_votes - _per_row(zeroed, out[zeroed.indices]) + int(out.sum())
    order = polis.row_order(matrix.participant_ids, _first_column(zeroed), history)
    projection = project(
        zeroed[order], n_votes=n_votes[order], random_state=random_state,
        warm_components=_previous_components(state, matrix.statement_ids[columns]),
        warm_iterations=POLIS_PCA_ITERATIONS,
    )
    timings["projection"] = time.perf_counter() - tic
    tic = time.perf_counter()
    found = polis.group(projection.participants, matrix.n_votes[order], len(columns),
                        matrix.participant_ids[order], history=history)
    timings["grouping"] = time.perf_counter() - tic
    back = np.argsort(order)
    labels = _compact_keeping(found.labels[back])
    return Found(
        labels=labels,
        projection=_widen(
            Projection(
                projection.means,
                projection.components,
                projection.participants[back],
                projection.statements,
            ),
            voted,
        ),
        division={
            "n_groups": found.n_groups,
            "silhouette": round(found.silhouette, 4),
            "strength": "none"
            if found.n_groups < 2
            else ("clear" if found.silhouette >= 0.5 else "weak"),
            "summary": _summary(found.n_groups, found.silhouette >= 0.5, "silhouette"),
        },
        parameters={
            "min_votes": polis.MIN_VOTES,
            "min_in_conv": polis.MIN_IN_CONV,
            "base_clusters": polis.BASE_CLUSTERS,
            "max_groups": polis.MAX_GROUPS,
            "base_iterations": polis.BASE_ITERATIONS,
            "group_iterations": polis.GROUP_ITERATIONS,
            "k_switch_updates": polis.K_SWITCH_UPDATES,
        },
        state={
            "components": projection.components.tolist(),
            "component_statements": [plain(s) for s in matrix.statement_ids[columns]],
            "polis": found.history.to_state(),
        },
    )


POLIS_PCA_ITERATIONS = 100  # Polis's power iterations per update


def _per_row(matrix, cell_values: NDArray) -> NDArray[np.int64]:
    """Sum of a value given per stored cell, for each row of a CSR matrix."""
    sums = np.bincount(cell_rows(matrix), weights=cell_values, minlength=matrix.shape[0])
    return sums.astype(np.int64)


def _first_column(votes) -> NDArray[np.int64]:
    """The lowest column each row voted on (the number of columns for a row without votes)."""
    first = np.full(votes.shape[0], votes.shape[1], dtype=np.int64)
    has = np.diff(votes.indptr) > 0
    if votes.nnz:
        first[has] = np.minimum.reduceat(votes.indices, votes.indptr[:-1][has])
    return first


def _consult(matrix, left_out, state, random_state, timings) -> Found:
    tic = time.perf_counter()
    active = ~left_out
    votes = matrix.votes[:, active]
    n_votes = np.diff(votes.indptr)
    projection_active = project(
        votes,
        n_votes=n_votes,
        random_state=random_state,
        warm_components=_previous_components(state, matrix.statement_ids[active]),
    )
    projection = _widen(projection_active, active)
    timings["projection"] = time.perf_counter() - tic

    tic = time.perf_counter()
    members = polis.in_conv(n_votes, int(active.sum()))
    labels = np.full(matrix.shape[0], -1, dtype=np.int64)
    division: dict[str, Any] = {
        "n_groups": 0,
        "strength": "none",
        "summary": "Too few votes to look for groups.",
    }
    state_out: dict[str, Any] = {
        "components": projection_active.components.tolist(),
        "component_statements": [plain(s) for s in matrix.statement_ids[active]],
    }
    if members.sum() >= 2 and votes[members].nnz > 0:
        inside = votes[members]
        indicators = mixture.Indicators.from_votes(inside)
        active_ids = matrix.statement_ids[active]
        warm = _warm_mixture(state, active_ids, int(members.sum()))
        if warm is None:
            rng = np.random.default_rng(random_state)
            size = min(SELECTION_SAMPLE, inside.shape[0])
            sample = np.sort(rng.choice(inside.shape[0], size=size, replace=False))
            chosen = mixture.select(inside[sample], MAX_GROUPS, random_state=random_state)
            weights, probabilities = chosen.fit.weights, chosen.fit.probabilities
            evidence = {
                "held_out_log_likelihood": {
                    str(k): round(v, 4) for k, v in chosen.held_out.items()
                },
                "z_gain": {str(k): round(v, 2) for k, v in chosen.z_gain.items()},
            }
            selection = {
                "updates_since": 0,
                "participants": int(members.sum()),
                "evidence": evidence,
                "pass_strength": chosen.pass_strength,
            }
        else:
            weights, probabilities, selection = warm
        start = mixture.posterior(indicators, weights, probabilities)
        # Started from a good fit, EM needs few iterations on everyone (cap for speed).
        fitted = mixture.fit(
            indicators,
            start,
            pass_strength=selection["pass_strength"],
            max_iter=FINAL_EM_ITERATIONS,
        )
        labels[members] = fitted.responsibilities.argmax(axis=1)
        labels = _compact(labels)
        gains = [selection["evidence"]["z_gain"][str(k)] for k in range(2, fitted.n_groups + 1)]
        clear = bool(gains) and min(gains) >= CLEAR_DIVISION_Z
        n_groups = len(np.unique(labels[members]))
        division = {
            "n_groups": n_groups,
            "strength": "none" if n_groups < 2 else ("clear" if clear else "weak"),
            **selection["evidence"],
            "pass_strength": selection["pass_strength"],
            "summary": _summary(n_groups, clear, "held-out votes"),
        }
        state_out["mixture"] = {
            "statement_ids": [plain(s) for s in active_ids],
            "weights": fitted.weights.tolist(),
            "probabilities": np.round(fitted.probabilities, 6).tolist(),
            "selection": selection,
        }
    timings["grouping"] = time.perf_counter() - tic
    return Found(
        labels=labels,
        projection=projection,
        division=division,
        parameters={
            "min_votes": polis.MIN_VOTES,
            "max_groups": MAX_GROUPS,
            "selection_sample": SELECTION_SAMPLE,
            "held_out_share": mixture.HELD_OUT_SHARE,
            "z_to_add_a_group": mixture.Z_TO_ADD_A_GROUP,
            "prior": mixture.PRIOR,
        },
        state=state_out,
    )


RESELECT_AFTER_UPDATES = 20
RESELECT_GROWTH = 1.25


def _warm_mixture(state: dict[str, Any] | None, statement_ids: NDArray, n_members: int):
    """Last update's parameters on today's statements, unless it is time to choose k anew.

    The number of groups is chosen again every 20 updates, or once in-conv participants
    grew by a quarter since it was last chosen; in between, EM starts from the last fit.
    """
    if not state or "mixture" not in state:
        return None
    last = state["mixture"]
    selection = dict(last["selection"])
    if (
        selection["updates_since"] + 1 >= RESELECT_AFTER_UPDATES
        or n_members >= RESELECT_GROWTH * selection["participants"]
    ):
        return None
    old_probabilities = np.asarray(last["probabilities"], dtype=float)
    column = {sid: k for k, sid in enumerate(last["statement_ids"])}
    probabilities = np.full((old_probabilities.shape[0], len(statement_ids), 3), 1 / 3)
    for j, sid in enumerate(statement_ids):
        k = column.get(plain(sid))
        if k is not None:
            probabilities[:, j] = old_probabilities[:, k]
    selection["updates_since"] += 1
    return np.asarray(last["weights"], dtype=float), probabilities, selection


def stable_labels(labels: NDArray, participant_ids: NDArray, previous: Analysis | None) -> NDArray:
    """Renumber groups so each keeps the id of the previous group it shares most members with."""
    if previous is None or not previous.groups or labels.max(initial=-1) < 0:
        return labels
    old = previous.group_of()
    n_new = int(labels.max() + 1)
    old_ids = sorted({g for g in old.values() if g is not None})
    overlap = np.zeros((n_new, len(old_ids)))
    index = {g: k for k, g in enumerate(old_ids)}
    for pid, label in zip(participant_ids, labels, strict=True):
        before = old.get(plain(pid))
        if label >= 0 and before is not None:
            overlap[label, index[before]] += 1
    rows, cols = linear_sum_assignment(-overlap)
    mapping = {int(r): old_ids[c] for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0}
    next_id = max(old_ids, default=-1) + 1
    for label in range(n_new):
        if label not in mapping:
            mapping[label] = next_id
            next_id += 1
    # Ids stay small: the largest possible is n_old + n_new.
    renumbered = np.array(
        [mapping.get(int(x), -1) if x >= 0 else -1 for x in labels], dtype=np.int64
    )
    return _compact_keeping(renumbered)


def stability(
    labels: NDArray, participant_ids: NDArray, previous: Analysis | None
) -> dict[str, Any]:
    """Share of participants grouped before and now who kept their group id."""
    if previous is None:
        return {"matched_previous": False, "share_kept": None}
    old = previous.group_of()
    both = [
        (old.get(plain(p)), int(label))
        for p, label in zip(participant_ids, labels, strict=True)
    ]
    both = [(a, b) for a, b in both if a is not None and b >= 0]
    kept = sum(a == b for a, b in both) / len(both) if both else None
    return {"matched_previous": True, "share_kept": kept}


def _compact(labels: NDArray) -> NDArray:
    """Groups numbered 0..k−1 by size (largest first), dropping empty ones."""
    present = labels[labels >= 0]
    if present.size == 0:
        return labels
    sizes = np.bincount(present)
    order = [g for g in np.argsort(-sizes, kind="stable") if sizes[g] > 0]
    mapping = np.full(sizes.size, -1)
    mapping[order] = np.arange(len(order))
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], -1)


def _compact_keeping(labels: NDArray) -> NDArray:
    """Close gaps in ids (a group that vanished) while keeping their order."""
    present = np.unique(labels[labels >= 0])
    mapping = {int(g): k for k, g in enumerate(present)}
    return np.array([mapping[int(x)] if x >= 0 else -1 for x in labels], dtype=np.int64)


def _widen(projection: Projection, active: NDArray[np.bool_]) -> Projection:
    """The projection with zero rows for statements left out of it."""
    n = active.size
    components = np.zeros((2, n))
    components[:, active] = projection.components
    means = np.zeros(n)
    means[active] = projection.means
    statements = np.zeros((n, 2))
    statements[active] = projection.statements
    return Projection(means, components, projection.participants, statements)


def _previous_components(state: dict[str, Any] | None, statement_ids: NDArray) -> NDArray | None:
    """Last update's axes on today's statements, or None to start cold.

    New statements start at 1 on both axes, as Polis pads its power iteration's start:
    a start with no weight on them could never turn towards them.
    """
    if not state or "components" not in state or "component_statements" not in state:
        return None
    last = np.asarray(state["components"], dtype=float).reshape(2, -1)
    column = {sid: j for j, sid in enumerate(state["component_statements"])}
    index = np.array([column.get(plain(s), -1) for s in statement_ids], dtype=np.int64)
    components = np.where(index >= 0, last[:, np.maximum(index, 0)], 1.0)
    return components if np.any(last) else None


def _summary(n_groups: int, clear: bool, evidence: str) -> str:
    if n_groups < 2:
        return "No real division: the votes are best explained by one group."
    strength = "clear" if clear else "weak"
    return f"{n_groups} opinion groups; the division is {strength} (judged on {evidence})."
