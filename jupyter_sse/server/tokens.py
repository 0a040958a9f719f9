"""The tokens a server issues, both derived from its secret (``secret.ServerSecret``).

A viewer token is ``sv1.<payload>.<signature>``: signed, expiring, read-only, scoped to
channels. The payload is base64url JSON with the channel scope and the expiry, the
signature an HMAC-SHA256 over it with the server secret. Nothing is stored per token:
rotating the secret revokes them all.

The publish token (``sp1.…``) is an HMAC of a fixed label with the same secret: the one
credential the server hands to the kernels it starts, good for publishing only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..wire.errors import SSEValueError
from ..wire.names import check_pattern

VIEWER_PREFIX: Final = "sv1."
VIEWER_COOKIE: Final = "jupyter-sse-viewer"


class InvalidToken(Exception):
    """The token is malformed, forged, signed with another secret, or expired."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid viewer token allows."""

    channels: tuple[str, ...]
    expires: float
    nonce: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(secret: bytes, channels: list[str], ttl: float, *, now: float | None = None) -> str:
    """A token for ``channels`` (names or ``prefix*`` patterns) valid ``ttl`` seconds."""
    if not channels:
        raise SSEValueError("share at least one channel")
    scope = [check_pattern(c) for c in channels]
    if not ttl > 0:
        raise SSEValueError("ttl must be a positive number of seconds")
    expires = round((time.time() if now is None else now) + ttl, 3)
    body = {"c": scope, "exp": expires, "n": secrets.token_hex(6)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return VIEWER_PREFIX + payload + "." + _sign(secret, payload)


def verify(secret: bytes, token: str, *, now: float | None = None) -> Grant:
    """The grant of ``token``; raises ``InvalidToken`` for any fault."""
    if not token.startswith(VIEWER_PREFIX):
        raise InvalidToken("not a viewer token")
    payload, _, signature = token[len(VIEWER_PREFIX) :].partition(".")
    if not hmac.compare_digest(signature.encode(), _sign(secret, payload).encode()):
        raise InvalidToken("bad signature (forged, or signed before the secret was rotated)")
    try:
        body = json.loads(_unb64(payload))
        scope = tuple(check_pattern(c) for c in body["c"])
        expires = float(body["exp"])
        nonce = str(body["n"])
    except (ValueError, KeyError, TypeError, SSEValueError) as e:
        raise InvalidToken(f"malformed token: {e}") from None
    if (time.time() if now is None else now) >= expires:
        raise InvalidToken("token expired")
    return Grant(scope, expires, nonce)


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


class PublishToken:
    """The publish-only token handed to the kernels a server starts.

    Derived from the server secret rather than drawn at start, so that a script given
    ``JUPYTER_SSE_TOKEN`` keeps publishing across a server restart, and servers that
    share a secret (and a Redis) accept each other's publishers. Rotating the secret
    replaces it.
    """

    def __init__(self, secret: Callable[[], bytes]) -> None:
        self._secret = secret
        self._cache: tuple[bytes, str] | None = None

    @property
    def value(self) -> str:
        secret = self._secret()
        if self._cache is None or self._cache[0] != secret:
            digest = hmac.new(secret, b"jupyter-sse publish token v1", hashlib.sha256).digest()
            self._cache = (secret, "sp1." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode())
        return self._cache[1]

    def matches(self, candidate: str) -> bool:
        # Constant time: the comparison must not tell an attacker how much of a guess was right.
        return hmac.compare_digest(candidate.encode(), self.value.encode())

    def __repr__(self) -> str:
        return "PublishToken(<hidden>)"
