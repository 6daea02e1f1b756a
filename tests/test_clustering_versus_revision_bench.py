"""The benches' machinery (not their figures): an earlier `clustering` beside this one, turns."""

from __future__ import annotations

import sys

import pytest

import clustering.analysis
from clustering.bench.turns import take_turns
from clustering.bench.versus_revision import RENAMED, package_at


@pytest.fixture
def isolated_imports(monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [name for name in sys.modules if name.startswith(RENAMED)]:
        del sys.modules[name]


def test_the_revision_is_a_package_of_its_own(tmp_path, isolated_imports):
    matrix_then, analysis_then = package_at("HEAD", tmp_path)
    assert analysis_then.__name__ == f"{RENAMED}.analysis"
    # Its own modules import each other, not this checkout's.
    assert analysis_then.VoteMatrix is matrix_then.VoteMatrix
    assert analysis_then.VoteMatrix is not clustering.analysis.VoteMatrix
    assert analysis_then.polis.__name__ == f"{RENAMED}.polis"
    votes = matrix_then.from_records([1, 1, 2, 2], [10, 11, 10, 11], [1, -1, 1, 1])
    assert analysis_then.analyze(votes, profile="polis").counts["votes"] == 4


def test_runs_take_turns_and_the_warm_up_is_not_timed():
    calls = []

    def run(name):
        def call():
            calls.append(name)
            return len(calls)

        return call

    seconds, last = take_turns({"a": run("a"), "b": run("b")}, repeat=3, warm_up=2)
    assert calls == ["a", "b"] * 5  # one of each in turn, warm-up turns included
    assert {name: len(s) for name, s in seconds.items()} == {"a": 3, "b": 3}
    assert all(t >= 0 for s in seconds.values() for t in s)
    assert last == {"a": 9, "b": 10}  # what each returned on its last turn
