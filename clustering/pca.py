"""PCA of the vote matrix with mean imputation, as a sparse truncated SVD (DESIGN.md §4.3–4.4).

With missing cells set to the statement's mean and columns centred, the centred matrix is
zero on every missing cell; so the PCA is the SVD of a sparse matrix holding (vote − mean)
on the cells people voted on. No dense participants × statements array is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    data, _ = _centred_cells(votes)
    dense = np.zeros(votes.shape)
    dense[cell_rows(votes), votes.indices] = data
    return dense


def _centred_cells(votes: sp.csr_matrix) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(vote − statement mean) of each stored cell in storage order, and the means."""
    votes = votes.astype(np.float64, copy=False)  # read only: no copy needed
    counts = np.bincount(votes.indices, minlength=votes.shape[1]).astype(np.float64)
    sums = np.bincount(votes.indices, weights=votes.data, minlength=votes.shape[1]).astype(
        np.float64
    )
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return votes.data - means[votes.indices], means


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
    matrix, means = centred(votes)
    if (
        warm_components is not None
        and warm_components.shape == (2, n_statements)
        and np.any(warm_components)
    ):
        components = _refine(matrix, warm_components, warm_iterations, random_state)
    else:
        components = _top_components(matrix, random_state)
    if n_votes is None:
        n_votes = np.diff(votes.indptr)
    scale = np.sqrt(n_statements / np.maximum(n_votes, 1))
    participants = scale[:, None] * np.asarray(matrix @ components.T)
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


def _top_components(matrix: sp.csr_matrix, random_state: int) -> NDArray[np.float64]:
    n_components = 2
    if min(matrix.shape) == 0 or matrix.nnz == 0:
        return np.zeros((n_components, matrix.shape[1]))
    k = min(n_components, min(matrix.shape))
    singular, vt = top_right_singular(matrix, k, random_state=random_state)
    vt[singular < 1e-10] = 0.0
    components = np.zeros((n_components, matrix.shape[1]))
    components[:k] = vt
    # Deterministic signs (STYLE.md habit 7): the largest loading of each axis is positive.
    biggest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(n_components), biggest])
    return components * np.where(signs == 0, 1.0, signs)[:, None]
