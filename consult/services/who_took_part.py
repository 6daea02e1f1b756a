"""Statistics about who took part: groups and statements across answers or segments,
representativeness against target shares, and post-stratified headline shares (issue 13).

Pure: plain Python and numpy in, dataclasses out; no database, no Flask, no words (the
templates translate the codes). A *category* is an answer to one question or a segment;
participants with no answer carry `None` and form the `NO_ANSWER` category. Every count
shown goes through `services.suppression` (see its docstring for the rule), and a share is
shown only when both its count and its base are: a share and its base give the count back.

Missing answers: they are a category of their own in the cross tables (so the tables add up
to the published totals), but are left out of representativeness and of post-stratification,
which need a category to compare with a target. So are the choices the facilitator gave no
target ("Prefer not to say": a census has no share for it). The results say how many were
left out (where that number is not itself suppressed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from clustering.stats import Z_95, benjamini_hochberg, homogeneity_test, wilson_interval
from consult.services.suppression import (
    MIN_CELL,
    TOTAL,
    Equation,
    SuppressedTable,
    suppress,
    two_way_counts,
    two_way_equations,
)

NO_ANSWER = "no_answer"
ANSWERED = "answered"  # the participation table's margin: everyone but NO_ANSWER
COMPARED = "compared"  # its margin of the choices with a target, where not all have one
LEFT_OUT = "left_out"  # and of the others (no target, or no answer): TOTAL − COMPARED
NO_GROUP = "no_group"  # participants the analysis put in no opinion group
TARGET_TOLERANCE = 0.01  # targets must sum to 1 within this (rounded census shares)
MIN_EXPECTED = 5.0  # Cochran's rule for the chi-square test, as in clustering.parameters
KIND_OF_VOTE = {1: "agree", -1: "disagree", 0: "pass"}  # DESIGN.md §4: the vote values
VOTE_KINDS = tuple(KIND_OF_VOTE.values())


class TargetsInvalid(ValueError):
    """Target shares that cannot be used; `code` says why (the service answers 400)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Share:
    """`count` of `base`, with its Wilson 95 % interval (Wilson 1927, as clustering.stats)."""

    count: int
    base: int
    value: float
    low: float
    high: float


def share(count: int, base: int) -> Share | None:
    """The share `count / base` with its interval; None when there is no base."""
    if base <= 0:
        return None
    low, high = wilson_interval(count, base)
    return Share(count, base, count / base, float(low), float(high))


def shown_share(table: SuppressedTable, count_key: Hashable, base_key: Hashable) -> Share | None:
    """The share of two cells of a suppressed table, None unless both are shown."""
    count, base = table.shown(count_key), table.shown(base_key)
    return None if count is None or base is None else share(count, base)


def with_no_answer(categories: Sequence[Hashable | None]) -> list[Hashable]:
    """Each participant's category, `NO_ANSWER` where they gave none."""
    return [NO_ANSWER if c is None else c for c in categories]


def participation_table(
    categories: Sequence[Hashable | None],
    choices: Sequence[Hashable],
    min_cell: int = MIN_CELL,
    compared: Sequence[Hashable] | None = None,
) -> SuppressedTable:
    """How many took part in each category (choices, then `NO_ANSWER`), answered, and in all.

    The total number of participants is published elsewhere, so it is never hidden.
    `ANSWERED` is a margin of its own: it is the base of the representativeness shares, so
    published with them, and with the total it would give a hidden "no answer" back.
    `compared`: the choices with a target, where not all have one; their sum (`COMPARED`)
    is then the base instead, and a margin too.
    """
    counted = Counter(with_no_answer(categories))
    counts: dict[Hashable, int] = {key: counted[key] for key in (*choices, NO_ANSWER)}
    counts[TOTAL] = len(categories)
    equations = [Equation(TOTAL, (ANSWERED, NO_ANSWER))]
    for margin, parts in category_margins(choices, compared).items():
        counts[margin] = sum(counted[c] for c in parts)
        equations.append(Equation(margin, parts))
    # The bases are worth less than the categories they are the base of.
    return suppress(counts, equations, min_cell, [TOTAL], hide_first=[COMPARED, ANSWERED, LEFT_OUT])


def category_margins(
    choices: Sequence[Hashable], compared: Sequence[Hashable] | None = None
) -> dict[Hashable, tuple[Hashable, ...]]:
    """The sums of categories that the participation table publishes beside them: those who
    answered; and where only some choices have a target, those compared and those left out
    (every table that splits the same people by category must carry them too)."""
    margins: dict[Hashable, tuple[Hashable, ...]] = {ANSWERED: tuple(choices)}
    if compared is not None and set(compared) != set(choices):
        margins[COMPARED] = tuple(compared)
        margins[LEFT_OUT] = (*(c for c in choices if c not in compared), NO_ANSWER)
    return margins


@dataclass
class CrossTable:
    """Rows (groups, or vote kinds) by categories: counts and shares both ways."""

    rows: list[Hashable]
    columns: list[Hashable]
    table: SuppressedTable
    share_of_row: dict[tuple[Hashable, Hashable], Share | None] = field(default_factory=dict)
    share_of_column: dict[tuple[Hashable, Hashable], Share | None] = field(default_factory=dict)


def cross_table(
    pairs: Sequence[tuple[Hashable, Hashable]],
    rows: Sequence[Hashable],
    columns: Sequence[Hashable],
    min_cell: int,
    published: Sequence[Hashable],
    already_hidden: Sequence[Hashable] = (),
    column_sums: Mapping[Hashable, Sequence[Hashable]] | None = None,
) -> CrossTable:
    """Count (row, column) pairs, suppress, and give each cell's share of its row and column.

    `column_sums`: margins published elsewhere as sums of columns (`category_margins`),
    tied to this table's column totals so that they count in its suppression.
    """
    counts = two_way_counts(Counter(pairs), rows, columns)
    equations = two_way_equations(rows, columns)
    for margin, parts in (column_sums or {}).items():
        counts[margin] = sum(counts["column", c] for c in parts)
        equations.append(Equation(margin, tuple(("column", c) for c in parts)))
    table = suppress(counts, equations, min_cell, published, already_hidden)
    result = CrossTable(list(rows), list(columns), table)
    for r in rows:
        for c in columns:
            result.share_of_row[r, c] = shown_share(table, (r, c), ("row", r))
            result.share_of_column[r, c] = shown_share(table, (r, c), ("column", c))
    return result


def groups_across(
    groups: Sequence[int | None],
    categories: Sequence[Hashable | None],
    choices: Sequence[Hashable],
    min_cell: int = MIN_CELL,
    ungrouped_published: bool = False,
    compared: Sequence[Hashable] | None = None,
) -> CrossTable:
    """Each opinion group's make-up by category (`share_of_row`), each category's by group.

    `groups[i]`, `categories[i]`: participant i's group (None: none) and category. Group
    sizes and the number of participants are published in the report, so they stay shown;
    so do the categories' counts that `participation_table` shows (published beside this
    table), and those it hides stay hidden here. `ungrouped_published`: the number in no
    group is published too (the report shows the participants and how many are grouped),
    so its row stays shown; else a few ungrouped people would withhold the whole table.
    `compared`: as for `participation_table`, whose counts this table must agree with.
    """
    _same_length(groups, categories)
    rows = [*sorted({g for g in groups if g is not None}), NO_GROUP]
    columns = [*choices, NO_ANSWER]
    pairs = [
        (NO_GROUP if g is None else g, c)
        for g, c in zip(groups, with_no_answer(categories), strict=True)
    ]
    participation = participation_table(categories, choices, min_cell, compared)
    margins = category_margins(choices, compared)
    shown = [c for c in [*columns, *margins] if participation.shown(c) is not None]
    return cross_table(
        pairs,
        rows,
        columns,
        min_cell,
        published=[
            *(("row", g) for g in rows if g != NO_GROUP or ungrouped_published),
            *(("column", c) for c in shown if c in columns),
            *(m for m in margins if m in shown),
            TOTAL,
        ],
        already_hidden=[
            *(("column", c) for c in columns if c not in shown),
            *(m for m in margins if m not in shown),
        ],
        column_sums=margins,
    )


@dataclass
class StatementAcross:
    """One statement's votes by category: the agree share per category and the test."""

    votes: CrossTable  # rows: VOTE_KINDS; share_of_column[("agree", c)] is c's agree share
    testable: bool  # the chi-square test's conditions hold (Cochran's rule, ≥ 2 categories)
    p_value: float  # 1 where not testable
    q_value: float = 1.0  # after Benjamini–Hochberg over the statements compared together

    def agree_share(self, category: Hashable) -> Share | None:
        """The category's agree share among its votes; None where suppressed."""
        return self.votes.share_of_column["agree", category]


def statement_across(
    votes: Sequence[int],
    categories: Sequence[Hashable | None],
    choices: Sequence[Hashable],
    min_cell: int = MIN_CELL,
    hidden_categories: Sequence[Hashable] = (),
    shown_sizes: Mapping[Hashable, int] | None = None,
) -> StatementAcross:
    """Agree share per category (among agree, disagree and pass votes) and whether they differ.

    `votes[i]`, `categories[i]`: one voter's vote (1, −1, 0) on the statement and category.
    The statement's vote totals are published in the report, so the vote kinds' margins stay
    shown. `hidden_categories`: those the participation table hides; their number of votes
    stays hidden here (where everyone voted, it is their number of participants).
    `shown_sizes`: the categories' participant counts shown beside this table; a category
    whose every member voted has that count as its number of votes, published already.
    The test compares agree against the other votes across the categories whose agree
    share is shown (a p-value over a hidden count would hint at it), by Pearson's chi-square
    only where Cochran's rule holds (`clustering.stats.homogeneity_test`), else not testable.
    """
    _same_length(votes, categories)
    columns = [*choices, NO_ANSWER]
    pairs = [(KIND_OF_VOTE[v], c) for v, c in zip(votes, with_no_answer(categories), strict=True)]
    votes_in = Counter(c for _, c in pairs)
    everyone_voted = [("column", c) for c, n in (shown_sizes or {}).items() if votes_in[c] == n]
    table = cross_table(
        pairs,
        VOTE_KINDS,
        columns,
        min_cell,
        published=[*(("row", kind) for kind in VOTE_KINDS), TOTAL, *everyone_voted],
        already_hidden=[("column", c) for c in hidden_categories],
    )
    shown = [c for c in choices if table.share_of_column["agree", c] is not None]
    # One test: the shown categories × (agree, other votes), a column of each.
    agreed = np.array([table.table.counts["agree", c] for c in shown], dtype=float)
    voted = np.array([table.table.counts["column", c] for c in shown], dtype=float)
    p, testable = homogeneity_test(agreed[:, None], voted[:, None], MIN_EXPECTED)
    return StatementAcross(table, bool(testable[0]), float(p[0]))


def compare_statements(statements: Sequence[StatementAcross]) -> None:
    """Set each q-value by Benjamini–Hochberg over the testable statements claimed together."""
    tested = [s for s in statements if s.testable]
    for statement, q in zip(tested, benjamini_hochberg([s.p_value for s in tested]), strict=True):
        statement.q_value = float(q)


def _same_length(first: Sequence[object], second: Sequence[object]) -> None:
    if len(first) != len(second):
        raise ValueError("one entry per participant in each sequence")


@dataclass
class Representation:
    """One category's participation share beside its target."""

    category: Hashable
    target: float
    participation: Share | None  # None where its count is suppressed or nobody answered
    # "under", "over", "in_line"; "no_base" (shares of everyone: the base is hidden),
    # "suppressed", or "no_answers" (nobody answered)
    status: str
    difference: float | None = None  # participation − target
    ratio: float | None = None  # participation / target; None where the target is 0


@dataclass
class Representativeness:
    """Participation against the targets, one row per choice."""

    categories: list[Representation]  # the choices with a target, in order
    base: str  # "answered": shares of those compared; "everyone" when that count is hidden
    answered: int | None  # those whose answer has a target; None where suppressed
    left_out: int | None  # the others (no answer, or no target); None where suppressed


def check_targets(targets: Mapping[Hashable, float], choices: Sequence[Hashable]) -> None:
    """Raise TargetsInvalid unless the targets name some of the choices, each a share in
    [0, 1], summing to 1. A choice without a target ("Prefer not to say") is not compared."""
    if not targets or not set(targets) <= set(choices):
        raise TargetsInvalid("targets_must_name_choices")
    values = list(targets.values())
    if any(
        isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1 for v in values
    ):
        raise TargetsInvalid("targets_must_be_shares")
    if abs(sum(values) - 1) > TARGET_TOLERANCE + 1e-9:  # 0.99 is within a hundredth
        raise TargetsInvalid("targets_must_sum_to_one")


def representativeness(
    categories: Sequence[Hashable | None],
    choices: Sequence[Hashable],
    targets: Mapping[Hashable, float],
    min_cell: int = MIN_CELL,
) -> Representativeness:
    """Each category's share of those compared, its interval, and its target.

    A category is "under" represented when its target lies above the interval, "over" when
    below. The shares are of those whose answer has a target (the targets describe a
    population where everyone has such a category). Where that number is suppressed (1 to
    `min_cell` − 1 were left out, and the total would give them back), the shares are of
    everyone and carry no flag ("no_base"): they add up to less than the targets, so every
    category would lean "under". A category whose count is suppressed gets no share.
    """
    check_targets(targets, choices)
    compared = [c for c in choices if c in targets]
    table = participation_table(categories, choices, min_cell, compared)
    partial = COMPARED in table.counts
    answered = table.shown(COMPARED if partial else ANSWERED)
    base = len(categories) if answered is None else answered
    rows = []
    for category in compared:
        count = table.shown(category)
        observed = None if count is None else share(count, base)
        representation = _representation(category, float(targets[category]), observed, base)
        if answered is None and observed is not None:
            representation.status = "no_base"
        rows.append(representation)
    base_code = "everyone" if answered is None else "answered"
    left_out = table.shown(LEFT_OUT if partial else NO_ANSWER)
    return Representativeness(rows, base_code, answered, left_out)


def _representation(
    category: Hashable, target: float, observed: Share | None, base: int
) -> Representation:
    if observed is None:
        return Representation(category, target, None, "suppressed" if base else "no_answers")
    status = "under" if target > observed.high else "over" if target < observed.low else "in_line"
    ratio = observed.value / target if target > 0 else None
    return Representation(category, target, observed, status, observed.value - target, ratio)


@dataclass
class Reweighted:
    """A headline share, unweighted and post-stratified to the targets."""

    label: str  # "post_stratified": the templates say "reweighted to the targets"
    unweighted: Share | None  # everyone, those with no answer included
    possible: bool  # False where a category with a target has nobody to stand for it
    value: float | None = None
    low: float | None = None
    high: float | None = None
    # The weights and `left_out` give counts back (n_c = target_c × answered / weight_c):
    # publish them only beside a participation table that shows those counts.
    weights: dict[Hashable, float] = field(default_factory=dict)  # per participant of c
    empty_categories: list[Hashable] = field(default_factory=list)
    left_out: int = 0  # with no answer, outside the reweighting


def post_stratify(
    successes: Mapping[Hashable, int],
    trials: Mapping[Hashable, int],
    targets: Mapping[Hashable, float],
    z: float = Z_95,
) -> Reweighted:
    """Reweight a share to the targets: Σ_c w_c × (successes_c / trials_c), w_c = target_c / T.

    `successes`, `trials`: per category, `NO_ANSWER` included (say, those agreeing with a
    statement among those who voted on it). T is the sum of the targets (1 within the
    tolerance; dividing by it keeps the share inside [0, 1]). Someone in category c weighs
    w_c / sample_share_c, with sample shares among those compared; those with no answer or
    an answer without a target are left out and counted in `left_out`.

    Interval: Wilson's at the effective sample size n* = p (1 − p) / v (Korn and Graubard
    1998), where v = Σ_c w_c² p_c (1 − p_c) / n_c is the stratified variance (Cochran 1977,
    §5.3), n* at most the number compared; where v is 0 (every p_c is 0 or 1) n* is Kish's
    1 / Σ_c w_c² / n_c. So it stays inside [0, 1] and is never of zero width, as the
    report's other intervals (Wilson's) are not.
    """
    choices = list(targets)
    check_targets(targets, choices)
    unweighted = share(sum(successes.values()), sum(trials.values()))
    left_out = int(sum(n for c, n in trials.items() if c not in targets))
    empty = [c for c in choices if targets[c] > 0 and trials.get(c, 0) == 0]
    if empty:
        return Reweighted(
            "post_stratified", unweighted, False, empty_categories=empty, left_out=left_out
        )
    answered = sum(trials.get(c, 0) for c in choices)
    strata = [c for c in choices if targets[c] > 0]
    total = sum(targets[c] for c in strata)
    w = {c: targets[c] / total for c in strata}
    p = {c: successes.get(c, 0) / trials[c] for c in strata}
    value = sum(w[c] * p[c] for c in strata)
    variance = sum(w[c] ** 2 * p[c] * (1 - p[c]) / trials[c] for c in strata)
    kish = 1 / sum(w[c] ** 2 / trials[c] for c in strata)
    effective = min(value * (1 - value) / variance, answered) if variance > 0 else kish
    low, high = wilson_interval(value * effective, effective, z)
    return Reweighted(
        "post_stratified",
        unweighted,
        possible=True,
        value=value,
        low=float(low),
        high=float(high),
        weights={c: w[c] / (trials[c] / answered) for c in strata},
        left_out=left_out,
    )
