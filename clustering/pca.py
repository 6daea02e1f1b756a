"""PCA of the vote matrix with mean imputation, as a sparse truncated SVD (DESIGN.md §4.3–4.4).

With missing cells set to the statement's mean and columns centred, the centred matrix is
zero on every missing cell; so the PCA is the SVD of a sparse matrix holding (vote − mean)
on the cells people voted on. No dense participants × statements array is ever built.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse as sp
from numpy.typing import NDArray

from clustering.matrix import cell_rows


@dataclass(frozen=True)
class Projection:
    """
    Attributes
    ----------
    means : ndarray of shape (n_statements,)
        Mean vote per statement over those who voted on it (0 when nobody did).
    components : ndarray of shape (2, n_statements)
        Unit principal axes, signs fixed so the largest loading of each is positive.
    participants : ndarray of shape (n_participants, 2)
        Each participant's place in the opinion map (§4.4).
    statements : ndarray of shape (n_statements, 2)
        Each statement projected as a participant who agreed with it alone.
    """

    means: NDArray[np.float64]
    components: NDArray[np.float64]
    participants: NDArray[np.float64]
    statements: NDArray[np.float64]

    @property
    def extremity(self) -> NDArray[np.float64]:
        """Distance of each statement's projection from the centre."""
        return np.linalg.norm(self.statements, axis=1)


def centred(votes: sp.csr_matrix) -> tuple[sp.csr_matrix, NDArray[np.float64]]:
    """(vote − statement mean) on the voted cells, and the means."""
    data, means = _centred_cells(votes)
    return sp.csr_matrix((data, votes.indices, votes.indptr), shape=votes.shape), means


def centred_dense(votes: sp.csr_matrix) -> NDArray[np.float64]:
    """`centred(votes)[0].toarray()`, written straight into the dense array."""
    return _dense_of_cells(votes, _centred_cells(votes)[0])


def _dense_of_cells(votes: sp.csr_matrix, data: NDArray[np.float64]) -> NDArray[np.float64]:
    """The dense matrix of `votes`' shape holding `data` in its stored cells."""
    dense = np.zeros(votes.shape)
    dense[cell_rows(votes), votes.indices] = data
    return dense


def _centred_dense_of_used_columns(
    votes: sp.csr_matrix,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """The centred dense matrix without its columns of zeros, the means, the columns kept.

    A column whose centred cells are all 0 (a statement the polis profile zeroes out, as
    Polis does with moderated ones: 78 of vtaiwan's 197) adds nothing to the Gram matrix
    or to the map, and the Gram product's cost grows with the square of the columns.
    With fewer than two columns left, all are kept (the eigensolver needs two).
    """
    data, means = _centred_cells(votes)
    stored = data != 0
    used = np.flatnonzero(np.bincount(votes.indices[stored], minlength=votes.shape[1]))
    if len(used) < N_COMPONENTS:
        return _dense_of_cells(votes, data), means, np.arange(votes.shape[1])
    column = np.full(votes.shape[1], -1, dtype=np.int64)
    column[used] = np.arange(len(used))
    dense = np.zeros((votes.shape[0], len(used)))
    dense[cell_rows(votes)[stored], column[votes.indices[stored]]] = data[stored]
    return dense, means, used


def _centred_cells(votes: sp.csr_matrix) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(vote − statement mean) of each stored cell in storage order, and the means."""
    votes = votes.astype(np.float64, copy=False)  # read only: no copy needed
    return centred_values(votes.indices, votes.data, votes.shape[1])


def centred_values(
    columns: NDArray, values: NDArray[np.float64], n_columns: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(value − its column's mean) of each cell, and the column means (0 when empty).

    Parameters
    ----------
    columns : ndarray of shape (n_cells,)
    values : ndarray of shape (n_cells,)
    n_columns : int
    """
    counts = np.bincount(columns, minlength=n_columns).astype(np.float64)
    sums = np.bincount(columns, weights=values, minlength=n_columns).astype(np.float64)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return values - means[columns], means


def project(
    votes: sp.csr_matrix,
    *,
    n_votes: NDArray | None = None,
    random_state: int = 0,
    warm_components: NDArray | None = None,
    warm_iterations: int = 3,
) -> Projection:
    """Two-component PCA of the imputed matrix and the §4.4 projection.

    Parameters
    ----------
    votes : csr_matrix of shape (n_participants, n_statements)
        Votes with passes stored as explicit zeros.
    n_votes : ndarray of shape (n_participants,), optional
        Votes counted per participant for the scaling (defaults to the stored cells).
    random_state : int
        Seed of the randomized SVD.
    warm_components : ndarray of shape (2, n_statements), optional
        Last update's axes: the start of a few power iterations, and the signs to keep
        (so the map does not flip between updates).
    warm_iterations : int
        At most this many power iterations from the warm start; they stop early once the
        axes stop moving. Polis runs up to 100 per update.
    """
    n_participants, n_statements = votes.shape
    warm = (
        warm_components is not None
        and warm_components.shape == (2, n_statements)
        and np.any(warm_components)
    )
    if not warm and _exact_is_cheaper(votes):
        matrix, means, used = _centred_dense_of_used_columns(votes)
        on_used = _exact_components(matrix)
        components = np.zeros((N_COMPONENTS, n_statements))
        components[:, used] = on_used
    else:
        matrix, means = centred(votes)
        if warm:
            components = _refine(matrix, warm_components, warm_iterations, random_state)
        else:
            components = _top_components(matrix, random_state)
        on_used = components
    if n_votes is None:
        n_votes = np.diff(votes.indptr)
    scale = np.sqrt(n_statements / np.maximum(n_votes, 1))
    participants = scale[:, None] * np.asarray(matrix @ on_used.T)
    # A participant who agreed with statement j alone: (1 − mean_j) on j, scaled by sqrt(n/1).
    statements = (np.sqrt(n_statements) * (1.0 - means))[:, None] * components.T
    return Projection(means, components, participants, statements)


CONVERGED = 1e-10  # subspace change (1 − cosine) below which the power iterations stop


def _refine(
    matrix: sp.csr_matrix, start: NDArray, iterations: int, random_state: int
) -> NDArray[np.float64]:
    """Subspace (power) iterations from last update's axes, as Polis does (§4.3).

    After a few new votes the axes barely move, so this costs a fraction of a cold SVD;
    signs follow the previous axes so the map does not flip between updates. An axis that
    was all zeros (the votes had a single dimension) starts from a seeded random vector,
    as Polis starts one from a random vector: from zeros it could not grow.
    """
    start = start.copy()
    empty = ~start.any(axis=1)
    start[empty] = np.random.default_rng(random_state).random((int(empty.sum()), start.shape[1]))
    basis = orthonormal_columns(start.T)
    for _ in range(iterations):
        moved = orthonormal_columns(matrix.T @ (matrix @ basis))
        change = 1 - np.linalg.svd(basis.T @ moved, compute_uv=False).min()
        basis = moved
        if change < CONVERGED:
            break
    # Order and orient the axes: by variance explained, pointing like the previous ones.
    _, singular, vt = np.linalg.svd(matrix @ basis, full_matrices=False)
    components = (basis @ vt.T).T
    flip = np.sign(np.sum(components * start, axis=1))
    return components * np.where(flip == 0, 1.0, flip)[:, None]


def top_right_singular(
    matrix: sp.csr_matrix, k: int, *, n_iter: int = 6, oversample: int = 8, random_state: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The k largest singular values and right singular vectors of a sparse matrix.

    Randomized subspace iteration (Halko, Martinsson & Tropp 2011, algorithm 4.4): a
    seeded Gaussian sketch of k + `oversample` columns, `n_iter` power iterations with
    re-orthonormalisation, then an exact SVD of the small projected matrix.

    Returns
    -------
    singular : ndarray of shape (k,)
    vt : ndarray of shape (k, n_columns)
    """
    width = min(k + oversample, min(matrix.shape))
    # A view, not a CSR copy: the CSC product sums each column in the same row order.
    transposed = matrix.T
    sketch = np.random.default_rng(random_state).standard_normal((matrix.shape[1], width))
    basis = orthonormal_columns(matrix @ sketch)
    for _ in range(n_iter):
        basis = orthonormal_columns(transposed @ basis)
        basis = orthonormal_columns(matrix @ basis)
    _, singular, vt = np.linalg.svd((transposed @ basis).T, full_matrices=False)
    return singular[:k], vt[:k]


ILL_CONDITIONED = 1e-7  # smallest / largest Cholesky pivot below which Householder QR is used


def orthonormal_columns(tall: NDArray) -> NDArray[np.float64]:
    """An orthonormal basis of the columns of a tall, thin matrix (the Q of its QR).

    Cholesky QR, twice: the Gram matrix is only width × width, so this costs two small
    products where Householder QR walks the tall matrix column by column; it was 2–8 times
    faster here on 2,000–50,000 rows × 10 columns, and far less hurt by a busy machine.
    The second pass restores orthogonality to machine precision (CholeskyQR2, Fukaya et
    al. 2014). Columns that are nearly dependent (a small conversation of lower rank
    than the sketch) would break the Cholesky factor; Householder QR handles those.
    """
    basis = tall
    for _ in range(2):
        try:
            factor = np.linalg.cholesky(basis.T @ basis)
        except np.linalg.LinAlgError:
            return np.linalg.qr(tall)[0]
        pivots = np.diagonal(factor)
        if pivots.min() <= ILL_CONDITIONED * pivots.max():
            return np.linalg.qr(tall)[0]
        # The factor is small and well conditioned here; numpy's inverse of it costs
        # microseconds where scipy's triangular solve cost milliseconds on a busy machine.
        basis = basis @ np.linalg.inv(factor).T
    return basis


N_COMPONENTS = 2
ZERO_SINGULAR = 1e-10  # an axis with a smaller singular value is set to zeros
# A cold start's axes come exactly from the dense statements × statements Gram matrix when
# that is cheaper than the randomized SVD, whose thirteen orthonormalisations and fourteen
# sparse products cost about 1-4 ms however small the conversation. Measured on the shared
# conversations (one thread, load 2-3): the Gram product and LAPACK's evr for the top two
# eigenpairs took 0.2-0.7 ms where the randomized SVD took 2.2-3.3 ms at 36-70 statements,
# 1.9 against 4.5 ms on canadian-electoral-reform (448 × 174), 7.5 against 9.8 ms on
# vtaiwan.uberx (1,921 × 197: 7.5e7 for the product), and twice the SVD's time on
# football-concussions (3 % stored). The maps move by up to 0.008 (canadian).
EXACT_AXES_UP_TO = 250  # statements; the eigensolver's m³ grows past the SVD's cost
# Stored share of cells from which a Gram matrix is a dense product: on the shared
# conversations' split halves (`held_out_groups`) BLAS on the dense half took a quarter to
# a half of the sparse product's time at 13-16 % stored, three times as long at 3 %.
DENSE_GRAM_FROM = 0.08
DENSE_PRODUCT_UP_TO = 100_000_000  # participants × statements²: the product's work, ~10 ms


def _exact_is_cheaper(votes: sp.csr_matrix) -> bool:
    n_participants, n_statements = votes.shape
    cells = n_participants * n_statements
    return (
        2 <= n_statements <= EXACT_AXES_UP_TO
        and cells * n_statements <= DENSE_PRODUCT_UP_TO
        and votes.nnz >= DENSE_GRAM_FROM * cells
    )


def _exact_components(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """The two top right singular vectors of a dense centred matrix, signs fixed.

    From the top eigenpairs of its Gram matrix (BLAS's syrk, one triangle, was no faster
    than the full product here). An eigenvalue at the Gram matrix's rounding level
    (its columns · eps · the largest; the columns kept, `_centred_dense_of_used_columns`)
    is a zero singular value here, as one under
    ZERO_SINGULAR is for the randomized SVD.
    """
    n_statements = matrix.shape[1]
    values, vectors = top_eigenpairs(matrix.T @ matrix, N_COMPONENTS)
    components = vectors.T.copy()
    rounding = n_statements * np.finfo(float).eps * max(values[0], 0.0)
    components[(values <= rounding) | (values < ZERO_SINGULAR**2)] = 0.0
    return _signs_fixed(components)


def top_eigenpairs(
    gram: NDArray[np.float64], k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The k largest eigenvalues (largest first) and their eigenvectors (columns).

    Only those k: LAPACK's evr with a subset finds them in half the time eigh takes for
    all of them on a hundred columns. Called as `scipy.linalg.eigh(gram, subset_by_index=
    [n − k, n − 1], driver="evr")` calls it, with the same workspace, without its checks
    and its workspace query on every call (a tenth of the time on fifty columns). `gram`
    is overwritten (no copy) and not checked for NaN (built from votes, it is finite).
    """
    n = gram.shape[0]
    lwork, liwork = _evr_workspace(n)
    values, vectors, found, _, info = _SYEVR(
        gram,
        compute_v=1,
        range="I",
        lower=1,
        il=n - k + 1,
        iu=n,
        lwork=lwork,
        liwork=liwork,
        overwrite_a=1,
    )
    if info != 0:
        raise np.linalg.LinAlgError(f"LAPACK dsyevr failed (info {info})")
    return values[:found][::-1], vectors[:, :found][:, ::-1]


_SYEVR, _SYEVR_LWORK = scipy.linalg.lapack.get_lapack_funcs(
    ("syevr", "syevr_lwork"), dtype=np.float64
)


@functools.lru_cache(maxsize=64)
def _evr_workspace(n: int) -> tuple[int, int]:
    """LAPACK's optimal workspace sizes for dsyevr on an n × n matrix, asked once per n."""
    work, iwork, info = _SYEVR_LWORK(n=n, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"LAPACK dsyevr workspace query failed (info {info})")
    return int(work), int(iwork)


def _top_components(matrix: sp.csr_matrix, random_state: int) -> NDArray[np.float64]:
    if min(matrix.shape) == 0 or matrix.nnz == 0:
        return np.zeros((N_COMPONENTS, matrix.shape[1]))
    k = min(N_COMPONENTS, min(matrix.shape))
    singular, vt = top_right_singular(matrix, k, random_state=random_state)
    vt[singular < ZERO_SINGULAR] = 0.0
    components = np.zeros((N_COMPONENTS, matrix.shape[1]))
    components[:k] = vt
    return _signs_fixed(components)


def _signs_fixed(components: NDArray[np.float64]) -> NDArray[np.float64]:
    """Deterministic signs (STYLE.md habit 7): the largest loading of each axis is positive."""
    biggest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(len(components)), biggest])
    return components * np.where(signs == 0, 1.0, signs)[:, None]
