"""Work the consult profile's choice of k no longer repeats gives the same fits."""

from __future__ import annotations

import numpy as np

from clustering import mixture, trait
from clustering.synthetic import planted


def opinions_of(kind: str, seed: int = 0) -> mixture.Opinions:
    conversation = planted(kind, 400, 40, n_groups=3, random_state=seed)
    return mixture.Opinions.from_votes(conversation.matrix.votes)


def test_resumed_em_follows_the_same_path_and_stops_no_later():
    opinions = opinions_of("groups")
    start = mixture.start_points(mixture.embed(opinions, 0), 3, n_starts=1, random_state=0)[0]
    short = mixture.fit(opinions, start, max_iter=3, tol=1e-3)
    assert not short.converged
    resumed = mixture.fit(
        opinions, short.responsibilities, tol=1e-3, log_likelihood=short.log_likelihood
    )
    restarted = mixture.fit(opinions, short.responsibilities, tol=1e-3)
    assert resumed.converged
    assert resumed.log_likelihood <= restarted.log_likelihood
    assert resumed.log_likelihood >= restarted.log_likelihood - 1e-3 * 400


def test_a_best_start_that_converged_in_the_short_run_is_returned_as_it_is():
    opinions = opinions_of("groups")
    embedding = mixture.embed(opinions, 0)
    converged = mixture.fit(
        opinions, mixture.start_points(embedding, 3, n_starts=1, random_state=0)[0], tol=1e-3
    )
    other = mixture.start_points(embedding, 3, n_starts=1, random_state=5)[0]
    starts = [other, converged.responsibilities]
    best = mixture.best_fit(opinions, starts, tol=1e-3, screen=5)
    alone = mixture.fit_each(opinions, starts, max_iter=5, tol=1e-3)
    winner = max(alone, key=lambda f: f.log_likelihood)
    assert winner.converged
    assert best.log_likelihood == winner.log_likelihood


def test_the_one_axis_fit_from_the_embedding_axis_is_the_fit_from_its_own_svd():
    opinions = opinions_of("spectrum")
    own = trait.fit_trait(opinions, random_state=0)
    given = trait.fit_trait(opinions, random_state=0, first_axis=mixture.embed(opinions, 0)[:, 0])
    assert abs(np.corrcoef(own.position, given.position)[0, 1]) > 0.999
    rows = np.repeat(np.arange(400), np.diff(opinions.signed.indptr))
    cols, agreed = opinions.signed.indices, opinions.signed.data > 0
    np.testing.assert_allclose(
        own.cell_log_likelihood(rows, cols, agreed).sum(),
        given.cell_log_likelihood(rows, cols, agreed).sum(),
        rtol=1e-3,
    )
