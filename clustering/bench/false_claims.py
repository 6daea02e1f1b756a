"""How often a report claims what the votes do not support, and finds what is there.

Run by hand: `python -m clustering.bench.false_claims --conversations 100 --planted 10`.

(a) Noise: conversations with no structure at all (300 participants × 40 statements, each
participant voting on a random 60 %; every vote agree or disagree with equal chance after a
pass chance). In half of them the pass chance is the statement's (5–30 %); in the other half
it is the person's (pass-prone people: Beta(1, 2) × 0.9). No group differs from another,
and no statement has a majority of agree (or disagree) votes, so every claim is false. For
each profile it prints the share of conversations in which *any* statement is flagged:
a group differing from the rest, a significant representative statement, consensus, a
divisive statement, or "groups differ"; and each kind on its own.

(b) Planted groups (`clustering.synthetic.generate`, 2,000 participants, 100 statements,
2–4 groups, about 30 votes each): a statement truly differs when the planted agree
probabilities of two groups differ by at least 0.2; prints the share of those statements
flagged "groups differ", and the share of the others flagged (which are not all false:
differences under 0.2 are real too).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable

import numpy as np

from clustering.analysis import PROFILES, Analysis, analyze
from clustering.matrix import VoteMatrix, from_records
from clustering.synthetic import generate

KINDS = ("differs", "representative", "consensus", "divisive", "groups_differ")
TRULY_DIFFERS = 0.2


def noise(
    seed: int, pass_prone: bool, n_participants: int = 300, n_statements: int = 40
) -> VoteMatrix:
    """Independent votes: agree and disagree equally likely after a pass chance."""
    rng = np.random.default_rng(seed)
    if pass_prone:
        passing = np.broadcast_to(
            rng.beta(1, 2, size=(n_participants, 1)) * 0.9, (n_participants, n_statements)
        )
    else:
        passing = np.broadcast_to(
            rng.uniform(0.05, 0.3, size=n_statements), (n_participants, n_statements)
        )
    seen = rng.random((n_participants, n_statements)) < 0.6
    draw = rng.random((n_participants, n_statements))
    vote = np.where(draw < passing, 0, np.where(draw < passing + (1 - passing) / 2, 1, -1))
    rows, columns = np.nonzero(seen)
    return from_records(rows, columns, vote[rows, columns], statement_ids=np.arange(n_statements))


def claims(analysis: Analysis) -> dict[str, bool]:
    """Which kinds of claim the analysis makes on at least one statement."""
    rows = analysis.statements
    return {
        "differs": any(g["differs_from_rest"] for row in rows for g in row["groups"]),
        "representative": any(
            r["significant"] for g in analysis.groups for r in g["representative"]
        ),
        "consensus": bool(analysis.consensus["agree"] or analysis.consensus["disagree"]),
        "divisive": bool(analysis.divisive),
        "groups_differ": any(row["groups_differ"] for row in rows),
    }


def false_claims(n_conversations: int, profiles: Iterable[str]) -> dict[str, dict[str, float]]:
    """Per profile: the share of noise conversations with any claim, and with each kind."""
    result = {}
    for profile in profiles:
        flagged = {kind: 0 for kind in (*KINDS, "any")}
        groups = []
        for seed in range(n_conversations):
            analysis = analyze(
                noise(seed, pass_prone=seed % 2 == 1), profile=profile, random_state=seed
            )
            made = claims(analysis)
            groups.append(analysis.division["n_groups"])
            for kind, value in made.items():
                flagged[kind] += value
            flagged["any"] += any(made.values())
        result[profile] = {kind: count / n_conversations for kind, count in flagged.items()}
        result[profile]["one_group"] = float(np.mean(np.asarray(groups) <= 1))
    return result


def power(n_conversations: int, profiles: Iterable[str]) -> dict[str, tuple[float, float, int]]:
    """Per profile: share of truly differing statements flagged, of the others, and their count."""
    result = {}
    for profile in profiles:
        hits = misses = other_flagged = others = 0
        for seed in range(n_conversations):
            conversation = generate(2000, 100, 2 + seed % 3, random_state=seed)
            agree = conversation.probabilities[:, :, 0]
            truly = agree.max(axis=0) - agree.min(axis=0) >= TRULY_DIFFERS
            analysis = analyze(conversation.matrix, profile=profile, random_state=seed)
            flagged = np.array([row["groups_differ"] for row in analysis.statements])
            hits += int((flagged & truly).sum())
            misses += int((~flagged & truly).sum())
            other_flagged += int((flagged & ~truly).sum())
            others += int((~truly).sum())
        result[profile] = (
            hits / max(hits + misses, 1),
            other_flagged / max(others, 1),
            hits + misses,
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m clustering.bench.false_claims", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--conversations", type=int, default=100, help="noise conversations")
    parser.add_argument("--planted", type=int, default=10, help="planted-group conversations")
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES))
    args = parser.parse_args()
    started = time.perf_counter()
    noise_shares = false_claims(args.conversations, args.profiles)
    print(
        f"(a) {args.conversations} noise conversations: share with any claim"
        " (target ≤ 0.05 for consult)"
    )
    print(f"| profile | any | {' | '.join(KINDS)} | one group found |")
    print(f"|---|---|{'---|' * len(KINDS)}---|")
    for profile, shares in noise_shares.items():
        cells = " | ".join(f"{shares[kind]:.2f}" for kind in KINDS)
        print(
            f"| {profile} | **{shares['any']:.2f}** | {cells} | {shares['one_group']:.2f} |",
            flush=True,
        )
    if args.planted:
        print(
            f"\n(b) {args.planted} planted-group conversations:"
            " statements flagged 'groups differ' (target ≥ 0.80)"
        )
        print("| profile | truly differing flagged | others flagged | truly differing statements |")
        print("|---|---|---|---|")
        for profile, (hit, other, count) in power(args.planted, args.profiles).items():
            print(f"| {profile} | **{hit:.2f}** | {other:.2f} | {count} |", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
