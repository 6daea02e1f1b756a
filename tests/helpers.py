"""Helpers shared by several test files."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask

from consult.security import sign_xid


def xid_signature(app: Flask, conversation_id: str, xid: str) -> str:
    """The signature Consult puts in `xid`'s personal link for this conversation."""
    return sign_xid(app.secret_key, conversation_id, xid)


def personal_link(app: Flask, conversation_id: str, xid: str) -> str:
    """The path of `xid`'s personal link, as a facilitator would hand it out."""
    query = urlencode({"xid": xid, "sig": xid_signature(app, conversation_id, xid)})
    return f"/c/{conversation_id}?{query}"


# Statements far enough apart that no two are similar (tests that need many statements).
DISTINCT_STATEMENTS = [
    "Buses should run every ten minutes.",
    "Cycle lanes should be separated from cars.",
    "Parking in the centre is too cheap.",
    "Night trains matter more than fast ones.",
    "The old town should be closed to private cars.",
    "Fares should be lower for people on low incomes.",
    "Electric scooters make streets less safe.",
    "Pavements need repairs before new projects start.",
]
