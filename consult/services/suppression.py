"""Small-cell suppression for counts about who took part, including suppression by difference.

The rule (issue 13, "Privacy"):

1. **Primary suppression.** Every count from 1 to `min_cell − 1` (default 10) is hidden.
   Zeros are shown: they point at nobody, and hiding them would hide a second cell beside
   every empty "no answer" (when everyone answered, the smallest category would go). Nor
   is a cell of a line whose total is 0 ever a complement: counts are never negative, so
   each is known to be 0 (the passes on a statement nobody passed on, whose vote totals
   are published, would otherwise hide a 2 that the column then gives back).
2. **Complementary suppression.** A table is published with its margins (row and column
   totals, the grand total), and some margins are published elsewhere anyway (a group's size
   in the report, a statement's vote totals). A hidden cell must not be recoverable from
   everything published by linear differences (a total minus the other cells). Each margin
   is one linear equation between cells; a hidden cell is recoverable exactly when its unit
   vector lies in the row space of those equations restricted to the hidden cells, i.e. when
   every vector of their null space is zero at that cell (`recoverable_cells`). While some
   hidden cell is recoverable, the smallest shown cell that shares an equation with it is
   hidden as well (an inner cell before a margin, the grand total last), until none is. This
   covers the one-line rule (a line with a single hidden cell gets a second) and the cases it
   misses in two-way tables (two blocks of hidden cells joined by one hidden cell).
3. **Published elsewhere stays shown.** Cells the caller marks `published` are never hidden
   (hiding them here would protect nothing); if the hidden cells are still recoverable once
   everything else is hidden, the whole table is `withheld`.

This protects against exact recovery by linear algebra, not against bounds: two hidden cells
summing to 12 still tell that each is at most 12. Rounding was not chosen: the report's
shares and intervals are computed from exact counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import null_space

MIN_CELL = 10  # issue 13: default minimum cell size, a setting
TOTAL = "total"  # the key of a table's grand total
TOLERANCE = 1e-9  # null-space components below this are zero
PAIR_SEARCH = 8  # the cheapest cells tried two at a time where none protects alone


@dataclass(frozen=True)
class Equation:
    """A published margin: `total` is the sum of `parts`."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass
class SuppressedTable:
    """Counts keyed by cell, the margins that tie them, and which cells are hidden."""

    counts: dict[Hashable, int]
    equations: list[Equation]
    hidden: set[Hashable]
    withheld: bool = False  # nothing of the table may be shown
    hide_first: set[Hashable] = field(default_factory=set)  # see `suppress`

    def shown(self, key: Hashable) -> int | None:
        """The count of `key`, or None where it is hidden."""
        return None if self.withheld or key in self.hidden else self.counts[key]


def one_way_equations(categories: Iterable[Hashable]) -> list[Equation]:
    """A list of counts and their total."""
    return [Equation(TOTAL, tuple(categories))]


def two_way_equations(rows: Sequence[Hashable], columns: Sequence[Hashable]) -> list[Equation]:
    """Cells `(row, column)`, margins `("row", row)` and `("column", column)`, and TOTAL."""
    equations = [Equation(("row", r), tuple((r, c) for c in columns)) for r in rows]
    equations += [Equation(("column", c), tuple((r, c) for r in rows)) for c in columns]
    equations.append(Equation(TOTAL, tuple(("row", r) for r in rows)))
    equations.append(Equation(TOTAL, tuple(("column", c) for c in columns)))
    return equations


def two_way_counts(
    cells: Mapping[tuple[Hashable, Hashable], int],
    rows: Sequence[Hashable],
    columns: Sequence[Hashable],
) -> dict[Hashable, int]:
    """The inner cells with their margins, keyed as `two_way_equations` expects."""
    counts: dict[Hashable, int] = {(r, c): int(cells.get((r, c), 0)) for r in rows for c in columns}
    for r in rows:
        counts["row", r] = sum(counts[r, c] for c in columns)
    for c in columns:
        counts["column", c] = sum(counts[r, c] for r in rows)
    counts[TOTAL] = sum(counts["row", r] for r in rows)
    return counts


def recoverable_cells(table: SuppressedTable) -> set[Hashable]:
    """The hidden cells that everything shown determines exactly, by linear differences."""
    hidden = sorted(table.hidden, key=repr)
    if not hidden:
        return set()
    column_of = {key: i for i, key in enumerate(hidden)}
    rows = []
    for equation in table.equations:
        row = np.zeros(len(hidden))
        if equation.total in column_of:
            row[column_of[equation.total]] -= 1
        for part in equation.parts:
            if part in column_of:
                row[column_of[part]] += 1
        rows.append(row)
    # A hidden cell is free exactly when some solution of the homogeneous system moves it.
    free = null_space(np.array(rows)) if rows else np.eye(len(hidden))
    moves = np.abs(free).max(axis=1, initial=0.0) if free.size else np.zeros(len(hidden))
    return {key for key, move in zip(hidden, moves, strict=True) if move <= TOLERANCE}


def suppress(
    counts: Mapping[Hashable, int],
    equations: list[Equation],
    min_cell: int = MIN_CELL,
    published: Iterable[Hashable] = (),
    already_hidden: Iterable[Hashable] = (),
    hide_first: Iterable[Hashable] = (),
) -> SuppressedTable:
    """Hide small counts, then protect them against recovery by difference (module docstring).

    `published`: cells shown elsewhere, never hidden. `already_hidden`: cells hidden by
    another table (a category hidden in the participation table stays hidden here).
    `hide_first`: margins worth less than any inner cell (a base no one reads on its own),
    hidden before them where either would do.
    """
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    published, already_hidden = set(published), set(already_hidden)
    published |= _known_zeros(counts, equations, already_hidden)
    table = SuppressedTable(
        counts={key: int(value) for key, value in counts.items()},
        equations=equations,
        hide_first=set(hide_first),
        hidden={
            key
            for key, value in counts.items()
            if key not in published and (0 < value < min_cell or key in already_hidden)
        },
    )
    while recovered := recoverable_cells(table):
        complement = _complement(table, recovered, published)
        if complement is None:
            table.withheld = True
            break
        table.hidden.add(complement)
    return table


def _known_zeros(
    counts: Mapping[Hashable, int], equations: Sequence[Equation], already_hidden: set[Hashable]
) -> set[Hashable]:
    """The cells of a line whose total is 0 (and not hidden elsewhere): counts are never
    negative, so each is known to be 0 whether shown or not, and protects nothing."""
    return {
        key
        for equation in equations
        if counts[equation.total] == 0 and equation.total not in already_hidden
        for key in (equation.total, *equation.parts)
        if key not in already_hidden
    }


def _complement(
    table: SuppressedTable, recovered: set[Hashable], published: set[Hashable]
) -> Hashable | None:
    """The cell to hide next: the least informative shown one beside a recoverable cell
    (else anywhere) whose hiding protects something; the least informative where none does.

    The look ahead keeps a cheap margin from being hidden where it protects nothing (a base
    that the total minus "no answer" gives back anyway) at the cost of a second hiding;
    where no one cell protects, it looks two cells ahead.
    """
    hideable = [k for k in table.counts if k not in table.hidden and k not in published]
    beside = {
        key
        for equation in table.equations
        if recovered & {equation.total, *equation.parts}
        for key in (equation.total, *equation.parts)
    }
    candidates = [k for k in hideable if k in beside] or hideable
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda k: (_rank(table, k), table.counts[k], repr(k)))
    for candidate in ordered:
        if _protects(table, recovered, candidate):
            return candidate
    # No one cell protects alone (a base that two lines give back): the cheapest pair that
    # does, among the first few, rather than the first cell whatever it protects.
    pairs = itertools.combinations(ordered[:PAIR_SEARCH], 2)
    for first, second in sorted(pairs, key=lambda pair: _pair_cost(table, pair)):
        if _protects(table, recovered, first, second):
            return first
    return ordered[0]


def _protects(table: SuppressedTable, recovered: set[Hashable], *cells: Hashable) -> bool:
    """Whether hiding `cells` as well leaves fewer cells recoverable."""
    table.hidden.update(cells)
    fewer = len(recoverable_cells(table)) < len(recovered)
    table.hidden.difference_update(cells)
    return fewer


def _pair_cost(table: SuppressedTable, pair: tuple[Hashable, Hashable]) -> tuple[int, int, str]:
    first, second = pair
    rank = _rank(table, first) + _rank(table, second)
    return rank, table.counts[first] + table.counts[second], repr(pair)


def _rank(table: SuppressedTable, key: Hashable) -> int:
    """Inner cells before margins, the grand total last: hide the least informative first."""
    if key in table.hide_first:
        return -1
    if key == TOTAL:
        return 2
    return 1 if any(equation.total == key for equation in table.equations) else 0
