"""The vectorised matrix builder gives what a plain reading of the records gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clustering import matrix as matrix_module
from clustering.matrix import from_records
from clustering.polis_export import read_export

DATA = Path(__file__).parent / "data" / "polis"


def _by_hand(participants, statements, values, timestamps, statement_ids=()):
    """The matrix the slow way: records in time order (stable), the last one of a pair wins."""
    order = sorted(range(len(values)), key=lambda i: timestamps[i])
    latest, rows = {}, []
    for i in order:
        if participants[i] not in rows:
            rows.append(participants[i])
        latest[participants[i], statements[i]] = values[i]
    columns = sorted(set(statements) | set(statement_ids))
    dense = np.full((len(rows), len(columns)), np.nan)
    for (p, s), v in latest.items():
        dense[rows.index(p), columns.index(s)] = v
    return rows, columns, dense


def _records(rng, n, participants, statements, times):
    return (
        rng.choice(participants, n).tolist(),
        rng.choice(statements, n).tolist(),
        rng.integers(-1, 2, n).tolist(),
        rng.choice(times, n).tolist(),  # few distinct times: many ties, out of order
    )


def _as_dense(matrix):
    dense = np.full(matrix.shape, np.nan)
    coo = matrix.votes.tocoo()
    dense[coo.row, coo.col] = coo.data
    return dense


@pytest.mark.parametrize(
    ("participants", "statements"),
    [
        (np.arange(30), np.arange(12)),  # compact integer ids: the lookup table
        (np.arange(30) * 10**9, np.arange(12) * 10**7 - 5),  # sparse span: sorted instead
        (np.array([f"p{i}" for i in range(30)]), np.array([f"s{i}" for i in range(12)])),
    ],
)
@pytest.mark.parametrize("seed", range(5))
def test_builder_matches_a_plain_reading_of_the_records(participants, statements, seed):
    rng = np.random.default_rng(seed)
    p, s, v, t = _records(rng, 300, participants, statements, np.arange(40))
    extra = [statements[0], statements[-1]]
    matrix = from_records(p, s, v, t, statement_ids=extra)
    rows, columns, dense = _by_hand(p, s, v, t, extra)
    assert matrix.participant_ids.tolist() == rows
    assert matrix.statement_ids.tolist() == columns
    np.testing.assert_array_equal(_as_dense(matrix), dense)
    assert matrix.votes.has_sorted_indices


@pytest.mark.parametrize("seed", range(3))
def test_one_sort_of_cell_numbers_gives_what_the_radix_sorts_give(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    records = _records(rng, 400, np.arange(40), np.arange(15), np.arange(30))
    radix = from_records(*records, statement_ids=[99])
    monkeypatch.setattr(matrix_module, "RADIX_SORTED", 0)  # as with 70,000 participants
    one_sort = from_records(*records, statement_ids=[99])
    assert one_sort.participant_ids.tolist() == radix.participant_ids.tolist()
    np.testing.assert_array_equal(_as_dense(one_sort), _as_dense(radix))
    rows, columns, dense = _by_hand(*records, [99])
    np.testing.assert_array_equal(_as_dense(one_sort), dense)


def test_ties_in_time_go_by_the_order_given():
    matrix = from_records([7, 7, 8, 7], [1, 1, 1, 1], [1, -1, 0, 0], [5, 5, 4, 5])
    assert matrix.participant_ids.tolist() == [8, 7]  # 8 voted first in time
    assert matrix.votes.toarray().ravel().tolist() == [0, 0]  # 7's last record at time 5


def test_records_in_order_need_no_timestamps():
    with_times = from_records([2, 1, 2], [3, 3, 3], [1, 1, -1], [0.0, 1.0, 2.0])
    without = from_records([2, 1, 2], [3, 3, 3], [1, 1, -1])
    assert with_times.participant_ids.tolist() == without.participant_ids.tolist() == [2, 1]
    assert with_times.votes.toarray().tolist() == without.votes.toarray().tolist()


def test_no_records_gives_columns_for_the_statements_only():
    matrix = from_records([], [], [], [], statement_ids=[4, 2])
    assert matrix.shape == (0, 2)
    assert matrix.statement_ids.tolist() == [2, 4]


@pytest.mark.parametrize(
    ("timestamps", "message"), [([1.0, np.nan], "NaN"), ([1.0], "one entry per record")]
)
def test_bad_timestamps_are_refused(timestamps, message):
    with pytest.raises(ValueError, match=message):
        from_records([1, 2], [1, 1], [1, 1], timestamps)


def test_export_matrix_is_the_matrix_of_its_records():
    export = read_export(DATA / "15-per-hour-seattle")
    p, s, v, t = zip(*export.records(), strict=True)
    rows, columns, dense = _by_hand(p, s, v, t, export.comment_ids.tolist())
    matrix = export.matrix()
    assert matrix.participant_ids.tolist() == rows
    assert matrix.statement_ids.tolist() == columns
    np.testing.assert_array_equal(_as_dense(matrix), dense)


@pytest.mark.parametrize("seed", range(6))
def test_columns_kept_is_scipys_column_indexing(seed):
    rng = np.random.default_rng(seed)
    dense = rng.choice([-1.0, 0.0, 1.0, np.nan], size=(30, 12), p=[0.2, 0.1, 0.2, 0.5])
    dense[rng.integers(30)] = np.nan  # a participant with no vote left
    votes = matrix_module.from_dense(dense).votes
    for keep in (rng.random(12) < 0.5, np.zeros(12, bool), np.ones(12, bool)):
        got, expected = matrix_module.columns_kept(votes, keep), votes[:, keep]
        assert got.shape == expected.shape
        assert got.dtype == expected.dtype == np.int8
        np.testing.assert_array_equal(got.indptr, expected.indptr)
        np.testing.assert_array_equal(got.indices, expected.indices)
        np.testing.assert_array_equal(got.data, expected.data)
