"""Settings from the environment: an empty variable is as if unset, a malformed one is
named in the error."""

from __future__ import annotations

import pytest

from consult.config import DEFAULTS, load_settings


def test_an_empty_variable_leaves_the_default(monkeypatch, tmp_path):
    for variable in ("CONSULT_DATABASE_URL", "CONSULT_COOKIE_SECURE", "CONSULT_DB_POOL_SIZE"):
        monkeypatch.setenv(variable, "")
    settings = load_settings(str(tmp_path), None)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/consult.db"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CONSULT_DB_POOL_SIZE"] == DEFAULTS["CONSULT_DB_POOL_SIZE"]


def test_a_set_variable_counts(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSULT_COOKIE_SECURE", "no")
    monkeypatch.setenv("CONSULT_DB_POOL_SIZE", "7")
    settings = load_settings(str(tmp_path), None)
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CONSULT_DB_POOL_SIZE"] == 7


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("CONSULT_DB_POOL_SIZE", "ten"),
        ("CONSULT_COOKIE_SECURE", "ture"),  # a typo must not turn Secure cookies off
        ("CONSULT_RATELIMIT_ENABLED", "enabled"),
    ],
)
def test_a_malformed_variable_is_named(monkeypatch, tmp_path, variable, raw):
    monkeypatch.setenv(variable, raw)
    with pytest.raises(ValueError, match=f"{variable}='{raw}' is not a valid value"):
        load_settings(str(tmp_path), None)


def test_switches_take_their_usual_spellings(monkeypatch, tmp_path):
    for raw, expected in (("on", True), (" TRUE ", True), ("0", False), ("off", False)):
        monkeypatch.setenv("CONSULT_RATELIMIT_ENABLED", raw)
        assert load_settings(str(tmp_path), None)["CONSULT_RATELIMIT_ENABLED"] is expected
