"""Viewer tokens: signed, expiring, read-only, scoped to channels.

A viewer token is ``sv1.<payload>.<signature>``: the payload is base64url JSON with the
channel scope and the expiry, the signature an HMAC-SHA256 over it with the server's
viewer secret. Nothing is stored per token: rotating the secret revokes them all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .errors import SSEValueError
from .protocol import check_pattern

PREFIX: Final = "sv1."
COOKIE: Final = "jupyter-sse-viewer"


class InvalidToken(Exception):
    """The token is malformed, forged, signed with another secret, or expired."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid viewer token allows."""

    channels: tuple[str, ...]
    expires: float
    nonce: str


def default_secret_file() -> Path:
    """Where the viewer secret lives unless configured: the Jupyter data dir survives reboots."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_sse_viewer_secret"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ViewerSecret:
    """The signing secret: configured, or kept in a 0600 file that survives restarts.

    The file is re-read when it changes, so ``jupyter sse rotate-secret`` revokes every
    outstanding token of a running server without restarting it.
    """

    def __init__(self, path: Path, configured: bytes | None = None) -> None:
        self.path = path
        self._configured = configured
        self._cached: tuple[tuple[int, int], bytes] | None = None

    def current(self) -> bytes:
        if self._configured:
            return self._configured
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self.rotate()
            st = self.path.stat()
        # A rotation replaces the file (new inode), so this notices it even within one
        # tick of the file system's clock.
        version = (st.st_ino, st.st_mtime_ns)
        if self._cached is None or self._cached[0] != version:
            self._cached = (version, self.path.read_bytes().strip())
        return self._cached[1]

    def rotate(self) -> None:
        """Write a new random secret; every token signed with the old one stops working."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
        os.replace(tmp, self.path)  # atomic: a reader never sees a half-written secret
        self._cached = None


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
    return PREFIX + payload + "." + _sign(secret, payload)


def verify(secret: bytes, token: str, *, now: float | None = None) -> Grant:
    """The grant of ``token``; raises ``InvalidToken`` for any fault."""
    if not token.startswith(PREFIX):
        raise InvalidToken("not a viewer token")
    payload, _, signature = token[len(PREFIX) :].partition(".")
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
