"""The consult profile's latent-class model, its one-axis rival, and the choice between them."""

from __future__ import annotations

import numpy as np

from clustering import mixture, model_choice
from clustering.matrix import from_dense
from clustering.parameters import DEFAULT, Parameters
from clustering.synthetic import planted
from clustering.trait import fit_trait

NAN = np.nan


def test_the_estimate_is_the_beta_one_and_passes_are_not_counted():
    dense = np.array([[1, -1], [1, 0], [0, NAN], [-1, 1]], float)
    opinions = mixture.Opinions.from_votes(from_dense(dense).votes)
    r = np.column_stack([np.array([[1, 0], [1, 0], [0, 1], [0, 1]], float), np.zeros(4)])
    weights, agree = mixture._m_step(opinions, r)
    # Group 0 on statement 0: two agrees of two opinions; (2+1) / (2+2).
    np.testing.assert_allclose(agree[0, 0], 3 / 4)
    # Group 0 on statement 1: one disagree; row 1's pass is not an opinion: (0+1) / (1+2).
    np.testing.assert_allclose(agree[0, 1], 1 / 3)
    # Group 1 on statement 0: row 2's pass is left out, one disagree: (0+1) / (1+2).
    np.testing.assert_allclose(agree[1, 0], 1 / 3)
    # One pseudo-member per class, the background included.
    np.testing.assert_allclose(weights, [3 / 7, 3 / 7, 1 / 7])


def passing_groups(n: int = 600, statements: int = 60, seed: int = 0) -> np.ndarray:
    """Two groups that agree alike but one passes far more: passes are the only signal."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, size=n)
    pass_rate = np.where(group == 0, 0.6, 0.05)[:, None]
    outcome = np.where(
        rng.random((n, statements)) < pass_rate,
        0.0,
        np.where(rng.random((n, statements)) < 0.7, 1.0, -1.0),
    )
    outcome[rng.random((n, statements)) < 0.5] = NAN
    return outcome


def test_people_who_pass_more_are_not_a_group_of_their_own():
    opinions = mixture.Opinions.from_votes(from_dense(passing_groups()).votes)
    assert model_choice.choose(opinions, Parameters(max_groups=3), random_state=0).n_groups == 1


def test_cross_validation_finds_planted_groups_and_every_fold_agrees():
    conversation = planted("groups", 400, 40, n_groups=3, random_state=0)
    choice = model_choice.choose(
        mixture.Opinions.from_votes(conversation.matrix.votes), DEFAULT, random_state=0
    )
    assert choice.n_groups == 3
    assert not choice.spectrum
    assert choice.fold_choices == [3] * (DEFAULT.folds * DEFAULT.cv_repeats)


def test_one_se_rule_takes_the_smallest_k_within_one_standard_error():
    # Per-participant scores; paired differences have a standard error of about 0.07.
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 1, size=(4, 400)) + np.array([[0.0], [0.5], [0.55], [0.52]])
    scores -= scores.mean(axis=1, keepdims=True) - np.array([[0.0], [0.5], [0.55], [0.52]])
    assert model_choice.one_se_rule(scores) == 2  # k = 3 is best, but k = 2 is as good
    scores[1] -= 0.3
    assert model_choice.one_se_rule(scores) == 3


def exact_gain(rng: np.random.Generator, mean: float, sd: float, n: int = 400) -> np.ndarray:
    """Per-participant differences with exactly this mean and standard deviation."""
    noise = rng.standard_normal(n)
    return mean + sd * (noise - noise.mean()) / noise.std(ddof=1)


def test_one_se_rule_does_not_take_a_k_that_another_model_beats_clearly():
    # 4 groups beat 3 by z = 1.4; 5 ties with 4 (mean best by a hair) but its gain over 3
    # is noisier (z = 0.7). Against the argmax alone, 3 would pass; 4 beats it clearly.
    rng = np.random.default_rng(0)
    three = rng.standard_normal(400)
    four = three + exact_gain(rng, 0.035, 0.5)
    five = four + exact_gain(rng, 0.003, 1.0)
    scores = np.stack([three - 1.0, three - 0.5, three, four, five])
    assert scores.mean(axis=1).argmax() == 4
    assert model_choice.largest_z_over(scores[None], 3) > 1
    assert model_choice.one_se_rule(scores) == 4


def test_trait_model_recovers_the_axis():
    conversation = planted("spectrum", 400, 40, random_state=1)
    fitted = fit_trait(mixture.Opinions.from_votes(conversation.matrix.votes))
    assert abs(np.corrcoef(fitted.position, conversation.position)[0, 1]) > 0.85


def test_starts_run_side_by_side_give_the_fits_each_would_alone():
    conversation = planted("random_voters", 300, 30, n_groups=3, random_state=2)
    opinions = mixture.Opinions.from_votes(conversation.matrix.votes)
    embedding = mixture.embed(opinions, 0)
    starts = mixture.start_points(embedding, 3, n_starts=3, random_state=0)
    # Different tolerances stop different starts at different iterations.
    together = mixture.fit_each(opinions, starts, max_iter=40, tol=1e-3)
    for start, fitted in zip(starts, together, strict=True):
        alone = mixture.fit(opinions, start, max_iter=40, tol=1e-3)
        np.testing.assert_array_equal(fitted.responsibilities, alone.responsibilities)
        np.testing.assert_array_equal(fitted.agree, alone.agree)
        assert fitted.log_likelihood == alone.log_likelihood


def test_posteriors_give_the_log_likelihood_of_the_votes():
    dense = np.array([[1, -1, NAN], [1, 0, 1], [-1, -1, NAN]], float)
    opinions = mixture.Opinions.from_votes(from_dense(dense).votes)
    weights = np.array([0.5, 0.3, 0.2])
    agree = np.array([[0.9, 0.2, 0.6], [0.1, 0.7, 0.5]])
    (responsibilities, log_likelihood), (alone, _) = mixture.posteriors(
        opinions, [(weights, agree), (weights, agree)]
    )
    # By hand: each class's probability of each row's agree/disagree votes (passes left out).
    votes = [[(0, 1), (1, 0)], [(0, 1), (2, 1)], [(0, 0), (1, 0)]]
    joint = np.array(
        [
            [
                weights[g] * np.prod([agree[g, j] if a else 1 - agree[g, j] for j, a in row])
                for g in range(2)
            ]
            + [weights[2] * 0.5 ** len(row)]
            for row in votes
        ]
    )
    np.testing.assert_allclose(log_likelihood, np.log(joint.sum(axis=1)).sum())
    np.testing.assert_allclose(responsibilities, joint / joint.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(alone, responsibilities)
    np.testing.assert_array_equal(mixture.posterior(opinions, weights, agree), responsibilities)


def test_a_start_needs_as_many_distinct_voting_patterns_as_groups():
    # Two voting patterns cannot seed three k-means groups: soft random starts instead.
    embedding = np.repeat(np.array([[0.0, 1.0], [1.0, 0.0]]), 5, axis=0)
    soft = mixture.start_points(embedding, 3, n_starts=1, random_state=0)[0]
    assert soft[:, :-1].max() < 0.95
    hard = mixture.start_points(embedding, 2, n_starts=1, random_state=0)[0]
    assert len(np.unique(hard.argmax(axis=1))) == 2
