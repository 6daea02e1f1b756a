"""The seed-stability benchmark's synthetic conversations and margins (not its figures)."""

from __future__ import annotations

from clustering.bench.seed_stability import mean_pairwise_ari, runs, synthetic_conversation


def test_a_synthetic_conversation_is_the_same_for_the_same_number():
    first, again = synthetic_conversation(3), synthetic_conversation(3)
    assert first.name == again.name
    assert (first.matrix.votes != again.matrix.votes).nnz == 0
    assert first.name.startswith("generate 3 (")


def test_each_run_reports_the_rules_margins_on_both_sides_of_one():
    found = runs(synthetic_conversation(5), seeds=2, subsample=True, margins=True)
    assert len(found) == 2
    for _, _, _, k, _, (fewer, same) in found:
        assert same <= 1.0  # nothing beats the chosen k by more than one SE
        assert k == 1 or fewer > 1.0  # and something beats k − 1 by more
    assert 0.0 <= mean_pairwise_ari([f[0] for f in found]) <= 1.0
