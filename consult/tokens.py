"""Random secrets Consult hands out, and the digests it keeps of them."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A random bearer token: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored as SHA-256: they are random, so a slow KDF adds nothing."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_public_id() -> str:
    """An unguessable id for a consultation's link (10 characters of base 32)."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def new_request_key() -> str:
    """A key for one request, so that sending it again is recognised (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)
