"""Group ids that stay put across updates, and how much of the grouping carried over.

The app names groups from their ids ("Group A" for 0, ...), so a group must keep its id
from one update to the next while it exists (DESIGN.md §4.6: "match new groups to old
ones").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from clustering.matrix import plain


def stable_ids(
    labels: NDArray, participant_ids: NDArray, previous: Mapping[Any, int | None] | None
) -> NDArray[np.int64]:
    """The id of each group index: that of the previous group it shares most members with.

    Groups are matched one to one by the Hungarian method on the members they share
    (Kuhn 1955; scipy's `linear_sum_assignment`). A matched group keeps its old id, even
    when other groups vanished; an unmatched (new) group takes the smallest id that no
    matched group holds.

    Parameters
    ----------
    labels : ndarray of shape (n_participants,)
        Group index 0..n_groups − 1 of each participant, −1 when not grouped.
    participant_ids : ndarray of shape (n_participants,)
    previous : mapping of participant id to group id (or None), optional
        The last update's grouping (`Analysis.group_of()`).

    Returns
    -------
    ids : ndarray of shape (n_groups,)
        The id given to each group index.
    """
    n_new = int(labels.max(initial=-1) + 1)
    if not previous or n_new == 0:
        return np.arange(n_new, dtype=np.int64)
    old_ids = sorted({g for g in previous.values() if g is not None})
    if not old_ids:
        return np.arange(n_new, dtype=np.int64)
    index = {g: k for k, g in enumerate(old_ids)}
    overlap = np.zeros((n_new, len(old_ids)))
    for pid, label in zip(participant_ids.tolist(), labels.tolist(), strict=True):
        before = previous.get(plain(pid))
        if label >= 0 and before is not None:
            overlap[label, index[before]] += 1
    rows, cols = linear_sum_assignment(-overlap)
    ids = np.full(n_new, -1, dtype=np.int64)
    for r, c in zip(rows, cols, strict=True):
        if overlap[r, c] > 0:
            ids[r] = old_ids[c]
    taken = set(ids[ids >= 0].tolist())
    free = (g for g in range(n_new + len(old_ids)) if g not in taken)
    for label in range(n_new):
        if ids[label] < 0:
            ids[label] = next(free)
    return ids


def relabelled(labels: NDArray, reference: NDArray, n_groups: int) -> NDArray[np.int64]:
    """`labels` renamed to the `reference` groups they share most members with; per participant.

    One to one, by the Hungarian method on shared members, as `stable_ids`; a group with
    no match (or sharing no member with its match) becomes −1, as do ungrouped
    participants.

    Parameters
    ----------
    labels, reference : ndarray of shape (n_participants,)
        Group indices 0..n − 1, −1 when not grouped; `reference` has `n_groups` groups.
    """
    n_labels = int(labels.max(initial=-1) + 1)
    both = (labels >= 0) & (reference >= 0)
    pairs = labels[both] * n_groups + reference[both]
    overlap = np.bincount(pairs, minlength=n_labels * n_groups).reshape(n_labels, n_groups)
    rows, cols = linear_sum_assignment(-overlap)
    names = np.full(n_labels + 1, -1, dtype=np.int64)  # the last entry names −1
    for r, c in zip(rows, cols, strict=True):
        if overlap[r, c] > 0:
            names[r] = c
    return names[labels]


def stability(
    group_ids: NDArray, participant_ids: NDArray, previous: Mapping[Any, int | None] | None
) -> dict[str, Any]:
    """Share of participants grouped before and now who kept their group id.

    group_ids : ndarray of shape (n_participants,), the group id now (−1 when none).
    """
    if previous is None:
        return {"matched_previous": False, "share_kept": None}
    both = [
        (previous.get(plain(p)), g)
        for p, g in zip(participant_ids.tolist(), group_ids.tolist(), strict=True)
    ]
    both = [(a, b) for a, b in both if a is not None and b >= 0]
    kept = sum(a == b for a, b in both) / len(both) if both else None
    return {"matched_previous": True, "share_kept": kept}
