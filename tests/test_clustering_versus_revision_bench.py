"""The revision bench loads an earlier `clustering` beside this one (not its figures)."""

from __future__ import annotations

import sys

import pytest

import clustering.analysis
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
