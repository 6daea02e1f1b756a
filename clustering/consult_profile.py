"""The `consult` profile's grouping: opinion groups from a latent-class model of the votes.

Cold analysis (no `previous` state): the number of groups, or a spectrum, is chosen by
cross-validation (`clustering.model_choice`), then the mixture is fitted on every in-conv
participant. Warm update: the last cold analysis's groups are refined by EM on today's
votes; the number of groups and the division are kept (the app re-runs a cold analysis
periodically). Each participant gets the probability of each group; whoever's best
probability is below `membership_threshold` is not assigned (group None): mostly people whose votes
look like coin flips (the background class). A spectrum is shown as one group that holds
every in-conv participant.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import kurtosis, skew

from clustering import mixture, model_choice
from clustering.grouping import Found, in_conv, previous_components, widen
from clustering.matrix import VoteMatrix, columns_kept, plain
from clustering.mixture import MixtureFit, Opinions
from clustering.parameters import DEFAULT, Parameters
from clustering.pca import project
from clustering.trait import fit_trait

FINAL_EM_ITERATIONS = 100
FINAL_SCREEN = 2  # EM iterations of each start of the final fit before the best runs on
AXIS_END_STATEMENTS = 5


def find_groups(
    matrix: VoteMatrix,
    left_out: NDArray[np.bool_],
    state: dict[str, Any] | None,
    random_state: int,
    timings: dict[str, float],
    parameters: Parameters = DEFAULT,
) -> Found:
    """Group the participants; `state` is what the last update of this conversation left.

    Parameters
    ----------
    matrix : VoteMatrix
    left_out : ndarray of shape (n_statements,), bool
        Moderated-out and meta statements: not part of the grouping.
    state : dict or None
        The last analysis's state; with a fitted mixture in it the update is warm.
    random_state : int
    timings : dict
        Filled with seconds per step.
    parameters : Parameters
        Who is grouped, the most groups, the cross-validation's folds and tests, the
        sample that chooses k, and `membership_threshold`: the least probability of the
        best group for a participant to be assigned to it.
    """
    tic = time.perf_counter()
    active = ~left_out
    votes = columns_kept(matrix.votes, active)
    n_votes = np.diff(votes.indptr)
    projection_active = project(
        votes,
        n_votes=n_votes,
        random_state=random_state,
        warm_components=previous_components(state, matrix.statement_ids[active]),
    )
    timings["projection"] = time.perf_counter() - tic

    tic = time.perf_counter()
    n = matrix.shape[0]
    members = in_conv(
        n_votes,
        int(active.sum()),
        min_votes=parameters.min_votes,
        min_in_conv=parameters.min_in_conv,
    )
    labels = np.full(n, -1, dtype=np.int64)
    membership = np.zeros((n, 0))
    division: dict[str, Any] = {
        "n_groups": 0,
        "strength": "none",
        "summary": "Too few votes to look for groups.",
    }
    state_out: dict[str, Any] = {
        "components": projection_active.components.tolist(),
        "component_statements": [plain(s) for s in matrix.statement_ids[active]],
    }
    active_ids = matrix.statement_ids[active]
    opinions = Opinions.from_votes(votes[members]) if members.sum() >= 2 else None
    if opinions is not None and opinions.signed.nnz > 0:
        warm = _warm_start(state, active_ids, opinions)
        if warm is None:
            fitted, division = _cold(opinions, active_ids, parameters, random_state)
        else:
            start, division = warm
            fitted = mixture.fit(opinions, start, max_iter=FINAL_EM_ITERATIONS)
            division["updates_since_cold"] = division.get("updates_since_cold", 0) + 1
        fitted = _by_expected_size(fitted)
        inside = fitted.membership
        if division.get("strength") == "spectrum":
            # One group by definition: people far out on the axis fit the one group's
            # average votes worse than coin flips, yet they are its ends, not noise.
            inside = np.ones((len(inside), 1))
        best = inside.argmax(axis=1)
        assigned = inside.max(axis=1) >= parameters.membership_threshold
        labels[members] = np.where(assigned, best, -1)
        kept = np.unique(labels[labels >= 0])  # groups nobody is assigned to are not shown
        labels = np.where(labels >= 0, np.searchsorted(kept, np.maximum(labels, 0)), -1)
        membership = np.zeros((n, len(kept)))
        membership[members] = inside[:, kept]
        division = {**division, "n_groups": len(kept)}
        state_out["mixture"] = {
            "statement_ids": [plain(s) for s in active_ids],
            "weights": fitted.weights.tolist(),
            "agree": np.round(fitted.agree, 6).tolist(),
            "division": division,
        }
    timings["grouping"] = time.perf_counter() - tic
    return Found(
        labels=labels,
        membership=membership,
        projection=widen(projection_active, active),
        division=division,
        parameters={
            "starts": model_choice.N_STARTS,
            "rule": "one standard error (paired over participants, against every k)",
            "prior": mixture.PRIOR,
        },
        state=state_out,
    )


def _cold(
    opinions: Opinions, statement_ids: NDArray, parameters: Parameters, random_state: int
) -> tuple[MixtureFit, dict[str, Any]]:
    """Choose the number of groups (or a spectrum) by cross-validation, then fit everyone."""
    n = opinions.n_participants
    rng = np.random.default_rng(random_state)
    most = parameters.selection_sample
    sample = np.sort(rng.choice(n, size=most, replace=False)) if n > most else np.arange(n)
    chosen_on = (
        opinions
        if len(sample) == n
        else Opinions.from_votes(opinions.signed[sample].astype(np.int8))
    )
    choice = model_choice.choose(chosen_on, parameters, random_state=random_state)
    positions = fit_trait(opinions, random_state=random_state) if choice.spectrum else None
    # One axis explains the votes as well as groups. If people sit in two clumps along it
    # (bimodal positions) and two groups clearly beat one, those are two camps: two
    # groups at its ends. Otherwise it is a spectrum, shown as one group: a cut of a
    # continuum moves with every resample.
    camps = (
        positions is not None
        and bimodality(positions.position) > BIMODAL
        and choice.two_groups_z >= parameters.clear_z
    )
    k = 2 if camps else (1 if choice.spectrum else choice.n_groups)
    fold_starts, fold_log_likelihoods = zip(
        *mixture.posteriors(opinions, [(f[k].weights, f[k].agree) for f in choice.fold_fits]),
        strict=True,
    )
    if len(sample) == n:
        embedding = mixture.embed(opinions, random_state)
        starts = mixture.start_points(
            embedding, k, n_starts=model_choice.FINAL_STARTS, random_state=random_state
        )
        # The fold fits start close to an optimum: two iterations tell the best of them.
        fitted = mixture.best_fit(
            opinions,
            [*fold_starts, *starts],
            max_iter=FINAL_EM_ITERATIONS,
            screen=FINAL_SCREEN,
        )
    else:
        # On a sample (large conversations) the fold fits are starts enough: k-means in a
        # fresh embedding of everyone would cost more than the rest of the fit. Each fold
        # fit is already converged (on the sample), so the likelihood of everyone's votes
        # under it tells the best start without an EM iteration on everyone for each.
        best = int(np.argmax(fold_log_likelihoods))
        fitted = mixture.fit(opinions, fold_starts[best], max_iter=FINAL_EM_ITERATIONS)
    labels = _labels(fitted.responsibilities)
    agreement = model_choice.agreement(labels, [_labels(r) for r in fold_starts])
    stability = {
        "folds": len(choice.fold_choices),
        "share_of_folds_with_this_k": round(
            float(np.mean([c == choice.n_groups for c in choice.fold_choices])), 3
        ),
        "fold_choices": choice.fold_choices,
        "grouping_agreement": round(agreement, 3),
    }
    strength = _strength(choice, camps)
    division: dict[str, Any] = {
        "n_groups": k,
        "strength": strength,
        "summary": _summary(choice, camps, strength),
        "chosen_n_groups": choice.n_groups,
        **choice.evidence(),
        "stability": stability,
        "updates_since_cold": 0,
    }
    if positions is not None:
        division["axis_ends"] = _axis_ends(positions.slope, statement_ids)
        division["axis_bimodality"] = round(bimodality(positions.position), 3)
    return fitted, division


# Sarle's bimodality coefficient above 5/9, its value for a uniform distribution, suggests
# two modes (SAS/STAT manual, PROC CLUSTER; Pfister et al. 2013, Front. Psychol. 4:700).
BIMODAL = 5 / 9


def bimodality(values: NDArray) -> float:
    """Sarle's bimodality coefficient (g² + 1) / (κ + 3(n − 1)² / ((n − 2)(n − 3))).

    g is the sample skewness and κ the sample excess kurtosis; 0 for fewer than 4 values.
    """
    n = len(values)
    if n < 4 or np.std(values) == 0:
        return 0.0
    g, kappa = skew(values), kurtosis(values)
    return float((g * g + 1) / (kappa + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def _strength(choice: model_choice.Choice, camps: bool) -> str:
    if camps:
        return "clear"  # camps need two groups to beat one by clear_z
    if choice.spectrum:
        return "spectrum"
    if choice.n_groups < 2:
        return "none"
    return "clear" if choice.clear else "weak"


def _summary(choice: model_choice.Choice, camps: bool, strength: str) -> str:
    if camps:
        return (
            f"2 opinion groups at the two ends of one axis; the division is {strength} "
            "(judged on held-out votes)."
        )
    if choice.spectrum:
        return (
            "Opinions spread along one axis rather than forming distinct groups "
            "(judged on held-out votes); the statements at its two ends are listed."
        )
    if choice.n_groups < 2:
        return "No real division: the votes are best explained by one group."
    return (
        f"{choice.n_groups} opinion groups; the division is {strength} (judged on held-out votes)."
    )


def _axis_ends(slope: NDArray, statement_ids: NDArray) -> dict[str, list]:
    """The statements that define the two ends of the axis: the steepest slopes each way."""
    order = np.argsort(slope, kind="stable")
    low = [plain(statement_ids[j]) for j in order[:AXIS_END_STATEMENTS] if slope[j] < 0]
    high = [plain(statement_ids[j]) for j in order[::-1][:AXIS_END_STATEMENTS] if slope[j] > 0]
    return {"low": low, "high": high}


def _labels(responsibilities: NDArray) -> NDArray[np.int64]:
    """Most probable class per participant; −1 for the background class."""
    best = responsibilities.argmax(axis=1)
    return np.where(best == responsibilities.shape[1] - 1, -1, best)


def _by_expected_size(fitted: MixtureFit) -> MixtureFit:
    """The same fit with groups ordered by expected members, largest first."""
    order = np.argsort(-fitted.membership.sum(axis=0), kind="stable")
    full = np.append(order, fitted.n_groups)
    return MixtureFit(
        fitted.weights[full],
        fitted.agree[order],
        fitted.responsibilities[:, full],
        fitted.log_likelihood,
    )


def _warm_start(
    state: dict[str, Any] | None, statement_ids: NDArray, opinions: Opinions
) -> tuple[NDArray, dict[str, Any]] | None:
    """Starting responsibilities from the last fit on today's statements, and its division.

    None when the last update left no fitted mixture: the update is then cold. A new
    statement starts at P(agree) = 1/2 in every group.
    """
    if not state or "mixture" not in state:
        return None
    last = state["mixture"]
    old = np.asarray(last["agree"], dtype=float).reshape(len(last["weights"]) - 1, -1)
    if old.shape[0] == 0:
        return None
    column = {sid: j for j, sid in enumerate(last["statement_ids"])}
    index = np.array([column.get(plain(s), -1) for s in statement_ids], dtype=np.int64)
    agree = np.where(index >= 0, old[:, np.maximum(index, 0)], 0.5)
    weights = np.asarray(last["weights"], dtype=float)
    return mixture.posterior(opinions, weights, agree), dict(last["division"])
