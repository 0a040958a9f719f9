"""The Jupyter user of a keep-alive connection that sends the server's token in a header.

jupyter_server works out who every request is from anew. For a request whose
``Authorization`` header carries the server's token and that sends no cookie, the
answer is always the same kind: the token compared, two DEBUG records made, a new
anonymous user generated (an id, a name, a colour) and a login cookie prepared (a
publish with a header token then drops it). At one event per request that was ~15% of
the server's CPU per publish (two servers, one with this and one without, answering a
publisher in turns: 674 against 774 and 832 against 982 us per one-event POST;
``bench/README.md``).

So the user made for a connection's first such request serves its next ones, as long
as each of them would get the same answer from jupyter_server: its header names the
server's token as it is now (checked on every request), it sends no cookie (a login
cookie names its own user) and no ``?token=`` (jupyter_server reads that before the
header). A client that keeps one connection open (a script, a client library) is then
one person, as a browser is through its cookie; ``curl`` in a loop, a new connection
each time, is a new anonymous user each time, as before. Answers carry the login
cookie where jupyter_server's would.

Only under jupyter_server's own identity providers, whose token rule this repeats:
JupyterHub's, and any other, decide every request themselves. Authorization is not
remembered: ``SSEHandler`` asks the authorizer on every request.
"""

from __future__ import annotations

import hmac
import weakref
from typing import Final

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from tornado.iostream import IOStream

# Exactly these classes: a subclass may decide who a token is some other way.
OWN_PROVIDERS: Final = (IdentityProvider, PasswordIdentityProvider)


class TokenUsers:
    """The user jupyter_server made for each open connection's token, by connection.

    Memory: one entry per open keep-alive connection that authenticated with the
    server's token in a header (the token and a ``User``); it goes with the connection.
    """

    __slots__ = ("_by_connection",)

    def __init__(self) -> None:
        self._by_connection: weakref.WeakKeyDictionary[IOStream, tuple[str, User]] = (
            weakref.WeakKeyDictionary()
        )

    def __len__(self) -> int:
        return len(self._by_connection)

    def recall(self, handler: JupyterHandler, header_token: str | None) -> User | None:
        """The user of an earlier request on this connection, if jupyter_server would
        find this request (whose ``Authorization`` header has ``header_token``) to be the
        same caller; else None (it decides)."""
        token = server_token_alone(handler, header_token)
        connection = connection_of(handler)
        if token is None or connection is None:
            return None
        known = self._by_connection.get(connection)
        return known[1] if known is not None and known[0] == token else None

    def remember(
        self, handler: JupyterHandler, header_token: str | None, user: User | None
    ) -> None:
        """Keep ``user``, whom jupyter_server found ``handler``'s request to be from, for
        the connection's next requests, if its token alone said so."""
        # Set by jupyter_server when the request's token (not a cookie) authenticated it.
        if user is None or not getattr(handler, "_token_authenticated", False):
            return
        token = server_token_alone(handler, header_token)
        connection = connection_of(handler)
        if token is not None and connection is not None:
            self._by_connection[connection] = (token, user)


def connection_of(handler: JupyterHandler) -> IOStream | None:
    """The TCP connection of ``handler``'s request: tornado makes an ``HTTP1Connection``
    per request, over the connection's one ``IOStream`` (None under another server)."""
    stream = getattr(handler.request.connection, "stream", None)
    return stream if isinstance(stream, IOStream) else None


def server_token_alone(handler: JupyterHandler, token: str | None) -> str | None:
    """``token``, the request's header token, when it is the server's token and nothing
    else in the request could make jupyter_server's identity provider see another caller."""
    provider = handler.identity_provider
    if type(provider) not in OWN_PROVIDERS:
        return None
    request = handler.request
    if "Cookie" in request.headers or "token" in request.query_arguments:
        return None
    expected = provider.token
    if token is None or not expected or not hmac.compare_digest(token, expected):
        return None
    return token
