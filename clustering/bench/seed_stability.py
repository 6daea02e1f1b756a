"""Does the consult profile give the same groups whatever the seed, and on 90 % subsamples?

Run by hand: `python -m clustering.bench.seed_stability [FOLDER ...] [--seeds 10]
[--cv-repeats R] [--margins] [--synthetic N]` (default: every conversation in
tests/data/polis). For each conversation, a cold analysis with seeds 0..N−1 of all
participants, then of N subsamples of 90 % of the participants (subsample s drawn with
seed s, analysed with random_state s). Prints the numbers of groups found (and
strengths) and the mean adjusted Rand index over all pairs of runs, over the
participants grouped in both runs of a pair.
`--cv-repeats` analyses with that many splits into folds instead of the default's.
`--synthetic N` runs N conversations of `clustering.synthetic.generate` (planted groups,
weak to strong; `synthetic_conversation`) instead of the Polis folders. `--margins` also
prints, per run, how near the one-SE rule was to another k: the largest paired z by
which any number of groups beats the chosen k − 1, and the chosen k (the rule takes the
smallest k that nothing beats by more than 1).
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from clustering import model_choice
from clustering.analysis import analyze
from clustering.matrix import VoteMatrix, from_records
from clustering.parameters import DEFAULT, Parameters
from clustering.polis_export import read_export
from clustering.synthetic import generate

POLIS_DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "polis"
SUBSAMPLE = 0.9


@dataclass(frozen=True)
class Conversation:
    name: str
    matrix: VoteMatrix
    moderated_out: tuple = ()
    meta: tuple = ()


def polis_conversation(folder: Path) -> Conversation:
    """A Polis export folder's votes, with its moderated-out and meta statements."""
    export = read_export(folder)
    statements = export.statements()
    records = export.records()
    full = from_records(*zip(*records, strict=True), statement_ids=statements["statement_ids"])
    return Conversation(
        folder.name, full, tuple(statements["moderated_out"]), tuple(statements["meta"])
    )


def synthetic_conversation(number: int) -> Conversation:
    """A `synthetic.generate` conversation drawn before looking at any result: 600
    participants × 60 statements, about 20 votes each, 2–5 planted groups of unequal
    sizes, separation uniform in 0.4..1 (weak to strong), all from seed 1000 + number."""
    rng = np.random.default_rng(1000 + number)
    n_groups, separation = int(rng.integers(2, 6)), float(rng.uniform(0.4, 1.0))
    drawn = generate(
        600, 60, n_groups, mean_votes=20, separation=separation, random_state=1000 + number
    )
    return Conversation(
        f"generate {number} ({n_groups} planted, separation {separation:.2f})", drawn.matrix
    )


def runs(
    conversation: Conversation,
    seeds: int,
    subsample: bool,
    parameters: Parameters = DEFAULT,
    margins: bool = False,
) -> list[tuple]:
    """(group of each participant id, strength, n_groups, k by the one-SE rule, z of the
    groups against the one-axis model, the one-SE rule's margins or None) for each seed."""
    full = conversation.matrix
    out = []
    for seed in range(seeds):
        matrix = full
        if subsample:
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(full.shape[0], int(SUBSAMPLE * full.shape[0]), replace=False))
            matrix = VoteMatrix(full.votes[rows], full.participant_ids[rows], full.statement_ids)
        with _choices_kept() as choices:
            analysis = analyze(
                matrix,
                moderated_out=conversation.moderated_out,
                meta=conversation.meta,
                random_state=seed,
                parameters=parameters,
            )
        division = analysis.division
        out.append(
            (
                analysis.group_of(),
                division["strength"],
                division["n_groups"],
                division.get("chosen_n_groups"),
                division.get("z_groups_versus_spectrum"),
                one_se_margins(choices[-1]) if margins and choices else None,
            )
        )
    return out


def one_se_margins(choice: model_choice.Choice) -> tuple[float | None, float]:
    """The largest paired z by which any model beats the chosen k − 1 (None for one
    group), and the same for the chosen k: the one-SE rule took k because the first is
    above 1 and the second is not."""
    scores = choice.repeat_scores[:, :-1]
    k = choice.n_groups
    fewer = model_choice.largest_z_over(scores, k - 1) if k >= 2 else None
    return fewer, model_choice.largest_z_over(scores, k)


@contextmanager
def _choices_kept() -> Iterator[list[model_choice.Choice]]:
    """The Choice of every cold consult analysis run inside (the bench only: the analysis
    keeps its z's, not the per-participant scores this margin needs)."""
    kept: list[model_choice.Choice] = []
    choose = model_choice.choose

    def keeping(*args, **kwargs) -> model_choice.Choice:
        kept.append(choose(*args, **kwargs))
        return kept[-1]

    model_choice.choose = keeping
    try:
        yield kept
    finally:
        model_choice.choose = choose


def mean_pairwise_ari(groupings: list[dict]) -> float:
    """Mean ARI over pairs of runs, over participants grouped in both runs of a pair."""
    values = []
    for a, b in itertools.combinations(groupings, 2):
        both = [p for p in a if a[p] is not None and b.get(p) is not None]
        if len(both) >= 2:
            values.append(adjusted_rand_score([a[p] for p in both], [b[p] for p in both]))
    return float(np.mean(values)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--cv-repeats", type=int, default=Parameters().cv_repeats)
    parser.add_argument("--margins", action="store_true")
    parser.add_argument(
        "--synthetic", type=int, default=0, metavar="N", help="N generated conversations instead"
    )
    args = parser.parse_args()
    if args.synthetic:
        conversations = map(synthetic_conversation, range(args.synthetic))
    else:
        folders = args.folders or sorted(p for p in POLIS_DATA.iterdir() if p.is_dir())
        conversations = map(polis_conversation, folders)
    parameters = Parameters(cv_repeats=args.cv_repeats)
    print(
        "| conversation | runs | groups found (strength) | mean pairwise ARI "
        "| k by one-SE rule | z groups vs axis | seconds |"
    )
    print("|---|---|---|---|---|---|---|")
    for conversation in conversations:
        for subsample in (False, True):
            started = time.perf_counter()
            found = runs(conversation, args.seeds, subsample, parameters, args.margins)
            ks = Counter(f"{f[2]} ({f[1]})" for f in found)
            rule = Counter(str(f[3]) for f in found)
            z = [f[4] for f in found if f[4] is not None]
            print(
                f"| {conversation.name} | {'90 % subsamples' if subsample else 'seeds'} "
                f"| {', '.join(f'{k} ×{n}' for k, n in sorted(ks.items()))} "
                f"| {mean_pairwise_ari([f[0] for f in found]):.3f} "
                f"| {', '.join(f'{k} ×{n}' for k, n in sorted(rule.items()))} "
                f"| {min(z):.1f} to {max(z):.1f} "
                f"| {time.perf_counter() - started:.0f} |",
                flush=True,
            )
            if args.margins:
                margins = ", ".join(
                    f"{'-' if fewer is None else f'{fewer:.2f}'} / {same:.2f}"
                    for fewer, same in (f[5] for f in found if f[5] is not None)
                )
                print(f"|  | largest z over k − 1 / over k, run by run: {margins} |", flush=True)


if __name__ == "__main__":
    main()
