"""Who is calling: a Jupyter user, a publisher (kernel or script), a viewer, or nobody.

Each kind of caller gets exactly the rights it needs: a publish token publishes and
nothing else, so handing it to every kernel the server starts gives a kernel no way
to read streams or reach any Jupyter API it could not already reach; a viewer token
reads its own channels and nothing else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import parse_qsl, urlencode

from tornado.httputil import HTTPServerRequest

from ..wire.events import Author
from ..wire.names import scope_covers

_AUTH_HEADER: Final = re.compile(r"(?:token|bearer)\s+(\S+)\s*$", re.IGNORECASE)

Kind = Literal["user", "publisher", "viewer"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``name`` is who it is, for people (a user name, ``publisher``, a viewer link's id);
    ``key`` is the credential that limits are counted against (a Jupyter token's digest,
    a logged-in user, a kernel, a viewer link): names can repeat where credentials do
    not (jupyter_server names every token request without a cookie anew). Neither is
    ever a secret. ``scope``, ``expires`` and ``token`` are set for viewers only: the
    channel names and patterns they may read, until when (epoch seconds), and the link
    itself (to check it again when the secret rotates); ``comment`` when the link may
    also chat on them. A viewer's ``display_name`` is its link's label.
    """

    kind: Kind
    name: str
    scope: tuple[str, ...] | None = None
    expires: float | None = None
    key: str = field(default="", kw_only=True)
    token: str | None = field(default=None, repr=False, kw_only=True)
    display_name: str = field(default="", kw_only=True)
    avatar: str | None = field(default=None, kw_only=True)
    color: str | None = field(default=None, kw_only=True)
    comment: bool = field(default=False, kw_only=True)

    def may_read(self, pattern: str) -> bool:
        return self.scope is None or scope_covers(self.scope, pattern)

    def may_read_all(self, patterns: Sequence[str]) -> bool:
        return all(self.may_read(p) for p in patterns)


def author_of(principal: Principal, owner: str) -> Author:
    """The author a server stamps on what ``principal`` writes.

    ``owner`` is whose server this is (its tenant): a kernel writes as its owner.
    Nothing a client sends goes into it.
    """
    if principal.kind == "publisher":
        name = owner.partition("/")[0] or "kernel"
        return {"name": name, "display_name": name, "kind": "kernel"}
    author: Author = {
        "name": principal.name,
        "display_name": principal.display_name or principal.name,
        "kind": "viewer" if principal.kind == "viewer" else "user",
    }
    if principal.avatar:
        author["avatar"] = principal.avatar
    if principal.color:
        author["color"] = principal.color
    return author


def credential_key(kind: str, credential: str) -> str:
    """A limits key for a secret credential: a digest, so that no log or error shows it."""
    return kind + ":" + hashlib.sha256(credential.encode()).hexdigest()[:16]


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
