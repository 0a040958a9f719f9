"""The tokens a server issues, both derived from its secret (``secret.ServerSecret``).

A viewer token is ``sv1.<payload>.<signature>``: signed, expiring, read-only, scoped to
channels and to one audience (the server, or the servers sharing one Redis, that issued
it). The payload is base64url JSON with the channel scope, the expiry and the audience,
the label people see the link's viewer by (in presence, as a chat author) and, for a
link that may chat, the ``comment`` claim; the signature is an HMAC-SHA256 over it with
the server secret. Nothing is stored per token: rotating the secret revokes them all.
The payload is signed, not encrypted: whoever holds the link can read its label.

A publish token (``sp1.[<subject>.]<mac>``) is an HMAC of a fixed label and a subject
with the same secret: each kernel the server starts gets its own (subject: its kernel
id), and scripts get the server's (no subject). It is good for publishing only; the
subject is the identity that limits are counted against.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..wire.errors import SSEValueError
from ..wire.names import check_pattern

VIEWER_PREFIX: Final = "sv1."
PUBLISH_PREFIX: Final = "sp1."
VIEWER_COOKIE: Final = "jupyter-sse-viewer"  # + "-" + a digest of the audience
MAX_COOKIE_TOKENS: Final = 5  # viewer links one browser keeps for one server at once
COOKIE_SEPARATOR: Final = "|"  # not in base64url nor ".": cookies allow no spaces
_SUBJECT: Final = re.compile(r"[A-Za-z0-9-]{1,64}")
DEFAULT_LABEL: Final = "Guest"  # a link's label when whoever shares it names none
MAX_LABEL_CHARS: Final = 64
# Bidirectional overrides and isolates: a label that holds one can show as another
# name, or reverse the text that follows it in a chat line.
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class InvalidToken(Exception):
    """The token is malformed, forged, signed with another secret, or expired."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid viewer token allows."""

    channels: tuple[str, ...]
    expires: float
    nonce: str
    audience: str | None = None
    comment: bool = False  # may chat on its channels
    label: str = DEFAULT_LABEL  # who its viewer is, for people: never anything secret


def check_label(label: object) -> str:
    """A viewer link's label, trimmed: 1-64 characters that show as what they are.

    It is shown to everyone who reads the link's channels (presence, chat), and anyone
    holding the link can read it: the route also refuses one that holds a token.
    """
    if not isinstance(label, str):
        raise SSEValueError("label must be a string: the name the link's viewer is shown by")
    text = label.strip()
    if not 0 < len(text) <= MAX_LABEL_CHARS:
        raise SSEValueError(f"label must be 1-{MAX_LABEL_CHARS} characters, not only spaces")
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in text):
        raise SSEValueError("label may not hold control characters or direction overrides")
    if VIEWER_PREFIX in text or PUBLISH_PREFIX in text:
        raise SSEValueError("label may not hold a token: everyone who reads the channel sees it")
    return text


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(
    secret: bytes,
    channels: list[str],
    ttl: float,
    *,
    now: float | None = None,
    audience: str | None = None,
    comment: bool = False,
    label: str | None = None,
) -> str:
    """A token for ``channels`` (names or ``prefix*`` patterns) valid ``ttl`` seconds,
    for ``audience`` (see ``verify``); with ``comment``, its viewer may also chat there.
    ``label`` (``check_label``) is who the viewer is shown as (default ``"Guest"``)."""
    if not channels:
        raise SSEValueError("share at least one channel")
    scope = [check_pattern(c) for c in channels]
    if not ttl > 0:
        raise SSEValueError("ttl must be a positive number of seconds")
    expires = round((time.time() if now is None else now) + ttl, 3)
    body: dict[str, object] = {"c": scope, "exp": expires, "n": secrets.token_hex(6)}
    if audience is not None:
        body["a"] = audience
    if label is not None:
        body["l"] = check_label(label)
    if comment:
        body["m"] = 1
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return VIEWER_PREFIX + payload + "." + _sign(secret, payload)


def verify(
    secret: bytes, token: str, *, now: float | None = None, audience: str | None = None
) -> Grant:
    """The grant of ``token``; raises ``InvalidToken`` for any fault.

    With ``audience``, the token must have been minted for it: every server of one user
    may share a secret file, and a link of one must not open another.
    """
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
        issued_for = body.get("a")
        label = check_label(body["l"]) if "l" in body else DEFAULT_LABEL
        # Only the exact claim grants it: a token without it can never chat.
        comment = body.get("m") == 1
    except (ValueError, KeyError, TypeError, AttributeError, SSEValueError) as e:
        raise InvalidToken(f"malformed token: {e}") from None
    if audience is not None and issued_for != audience:
        raise InvalidToken("this link was issued by another server")
    if (time.time() if now is None else now) >= expires:
        raise InvalidToken("token expired")
    return Grant(
        scope,
        expires,
        nonce,
        issued_for if isinstance(issued_for, str) else None,
        comment=comment,
        label=label,
    )


def cookie_name(audience: str) -> str:
    """The viewer cookie of one audience: two servers on one host keep theirs apart
    (cookies ignore ports)."""
    return VIEWER_COOKIE + "-" + hashlib.sha256(audience.encode()).hexdigest()[:12]


def cookie_tokens(value: str | None) -> list[str]:
    """The viewer tokens a cookie holds, newest first (at most ``MAX_COOKIE_TOKENS``)."""
    if not value:
        return []
    return [t for t in value.split(COOKIE_SEPARATOR) if t.startswith(VIEWER_PREFIX)][
        :MAX_COOKIE_TOKENS
    ]


def cookie_value(token: str, previous: str | None) -> str:
    """The cookie after opening ``token``: it first, then the links opened before.

    A second link opened in the same browser must not take the first one's place: each
    page keeps reading its own channels.
    """
    kept = [t for t in cookie_tokens(previous) if t != token]
    return COOKIE_SEPARATOR.join([token, *kept][:MAX_COOKIE_TOKENS])


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


class PublishToken:
    """The publish-only tokens of a server: its own (``value``), and one per kernel.

    Derived from the server secret rather than drawn at start, so that a script given
    ``JUPYTER_SSE_TOKEN`` keeps publishing across a server restart, and servers that
    share a secret (and a Redis) accept each other's publishers. Rotating the secret
    replaces them all.
    """

    def __init__(self, secret: Callable[[], bytes]) -> None:
        self._secret = secret
        self._cache: tuple[bytes, str] | None = None

    @property
    def value(self) -> str:
        """The server's own publish token (no subject): for scripts and terminals."""
        secret = self._secret()
        if self._cache is None or self._cache[0] != secret:
            self._cache = (secret, PUBLISH_PREFIX + _mac(secret, ""))
        return self._cache[1]

    def mint(self, subject: str) -> str:
        """The publish token of ``subject`` (a kernel id: letters, digits and dashes)."""
        if not _SUBJECT.fullmatch(subject):
            raise SSEValueError(f"a publish token subject is 1-64 of A-Z a-z 0-9 -: {subject!r}")
        return PUBLISH_PREFIX + subject + "." + _mac(self._secret(), subject)

    def subject_of(self, candidate: str) -> str | None:
        """``"server"`` or the subject of a valid publish token; None for anything else."""
        if not candidate.startswith(PUBLISH_PREFIX):
            return None
        subject, dot, mac = candidate[len(PUBLISH_PREFIX) :].rpartition(".")
        if dot and not _SUBJECT.fullmatch(subject):
            return None
        # Constant time: the comparison must not tell an attacker how much of a guess was right.
        if not hmac.compare_digest(mac.encode(), _mac(self._secret(), subject).encode()):
            return None
        return subject or "server"

    def matches(self, candidate: str) -> bool:
        """True for any publish token of this server (its own, or a kernel's)."""
        return self.subject_of(candidate) is not None

    def __repr__(self) -> str:
        return "PublishToken(<hidden>)"


def _mac(secret: bytes, subject: str) -> str:
    label = b"jupyter-sse publish token v1" + (b" " + subject.encode() if subject else b"")
    return _b64(hmac.new(secret, label, hashlib.sha256).digest())
