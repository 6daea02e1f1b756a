"""The choices an analysis is made with: arguments with defaults, as scikit-learn takes them.

`analyze(votes, parameters=Parameters(max_groups=3))`. Every value is written into the
analysis's methodology (`Analysis.methodology["parameters"]`), so a report says what it
was made with and `Parameters.from_dict` makes it again. The constants of the algorithms
themselves (tolerances, penalties, iteration caps, numbers of starts) stay in their
modules: they change how exactly an answer is found, not what is claimed or who is grouped.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Parameters:
    """
    Attributes
    ----------
    min_votes, min_in_conv : int
        Who is grouped (both profiles, DESIGN.md §4.2): participants with at least
        min(min_votes, statements) votes, topped up to the min_in_conv most active.
    max_groups : int
        The most groups either profile shows (DESIGN.md §4.6, Polis's 5).
    false_discovery_rate : float
        Benjamini–Hochberg q below which a claim is made (`clustering.claims`).
    min_group_votes : int
        Agree + disagree votes a group, and the rest, need for a claim about the group.
    min_statement_votes : int
        Votes (passes included) a statement needs for consensus, divisive, bridging.
    consensus_share : float
        Consensus: more than this share of voters agree (disagree).
    min_expected : float
        Cochran's rule for the chi-square test across groups (every expected count).
    folds, cv_repeats : int
        consult profile: folds of the cross-validation that chooses the number of groups,
        and how many random splits into folds are averaged.
    spectrum_z, clear_z : float
        consult profile: paired z by which groups must beat the one-axis model (else
        "spectrum"), and beat every simpler model to be "clear".
    membership_threshold : float
        consult profile: a participant whose best group probability is below this is
        unassigned.
    selection_sample : int
        consult profile: at most this many participants (a seeded sample) choose k.
    base_clusters : int
        polis profile: k of the base clusters (§4.5).
    k_switch_updates : int
        polis profile: the shown k changes after the same new k won this many updates.
    """

    min_votes: int = 7
    min_in_conv: int = 15
    max_groups: int = 5
    false_discovery_rate: float = 0.05
    min_group_votes: int = 8
    min_statement_votes: int = 10
    consensus_share: float = 0.5
    min_expected: float = 5.0
    folds: int = 5
    cv_repeats: int = 3
    spectrum_z: float = 3.0
    clear_z: float = 4.0
    membership_threshold: float = 0.5
    selection_sample: int = 4000
    base_clusters: int = 100
    k_switch_updates: int = 4

    def __post_init__(self) -> None:
        at_least = {
            "min_votes": 1,
            "min_in_conv": 0,
            "max_groups": 1,
            "min_group_votes": 1,
            "min_statement_votes": 1,
            "folds": 2,
            "cv_repeats": 1,
            "selection_sample": 2,
            "base_clusters": 2,
            "k_switch_updates": 1,
        }
        for name, low in at_least.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer ≥ {low}, not {value!r}")
        for name in ("false_discovery_rate", "consensus_share", "membership_threshold"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)!r}")
        for name in ("min_expected", "spectrum_z", "clear_z"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)!r}")

    def to_dict(self) -> dict[str, Any]:
        """The fields in order, as `dataclasses.asdict` gives them, without its deep copies
        (every field is a plain scalar)."""
        return dict(vars(self))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Parameters:
        """The parameters a methodology recorded; other keys (a profile's own) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


DEFAULT = Parameters()
