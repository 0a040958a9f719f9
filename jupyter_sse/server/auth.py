"""Who is calling: a Jupyter user, a publisher (kernel or script), a viewer, or nobody.

Each kind of caller gets exactly the rights it needs: a publish token publishes and
nothing else, so handing it to every kernel the server starts gives a kernel no way
to read streams or reach any Jupyter API it could not already reach; a viewer token
reads its own channels and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import parse_qsl, urlencode

from tornado.httputil import HTTPServerRequest

from ..wire.names import scope_covers

_AUTH_HEADER: Final = re.compile(r"(?:token|bearer)\s+(\S+)\s*$", re.IGNORECASE)

Kind = Literal["user", "publisher", "viewer"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``name`` keys per-user limits; it is never a secret.

    ``scope`` and ``expires`` are set for viewers only: the channel names and patterns
    they may read, and until when (epoch seconds).
    """

    kind: Kind
    name: str
    scope: tuple[str, ...] | None = None
    expires: float | None = None

    def may_read(self, pattern: str) -> bool:
        return self.scope is None or scope_covers(list(self.scope), pattern)


def bearer_token(request: HTTPServerRequest) -> str | None:
    """The token of an ``Authorization: token X`` (or ``Bearer X``) header, if any."""
    header = request.headers.get("Authorization", "")
    match = _AUTH_HEADER.fullmatch(header.strip())
    return match.group(1) if match else None


_SECRET_PARAMS: Final = frozenset({"token", "_xsrf"})


def scrub_uri(uri: str) -> str:
    """``uri`` with the values of secret query parameters replaced, fit for a log line."""
    path, sep, query = uri.partition("?")
    if not sep:
        return uri
    pairs = parse_qsl(query, keep_blank_values=True)
    return (
        path
        + "?"
        + urlencode(
            [(k, "[secret]" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="[]/*"
        )
    )
