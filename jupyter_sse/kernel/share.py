"""``share()``: a dashboard link with a scoped, read-only viewer token (or one that may
also chat on its channels).

Minting a viewer token takes a Jupyter user's rights (a kernel's publish token may
only publish), so the link is asked of the server with the Jupyter token from the
server's own info file, which only the user who runs it can read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from typing import Any

from ..wire.errors import SSEError, SSEValueError
from ..wire.runtime import TOKENS_PATH
from .transport.discovery import find_server

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Share:
    """A dashboard link. ``str(share)`` is the URL; in a notebook it shows as a link."""

    url: str
    token: str
    expires: float
    comment: bool = False  # its viewer may chat on its channels
    label: str = "Guest"  # who its viewer is shown as

    def __str__(self) -> str:
        return self.url

    def _repr_html_(self) -> str:
        url = escape(self.url, quote=True)
        return f'<a href="{url}" target="_blank" rel="noopener">Open the live dashboard</a>'


def parse_duration(text: str | float) -> float:
    """Seconds from ``3600``, ``"90s"``, ``"15m"``, ``"2h"`` or ``"7d"``."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise SSEValueError(f"duration {text!r}: use seconds, or a number with s, m, h or d")
    return float(match.group(1)) * _UNITS[match.group(2)]


def share(
    channels: list[str] | str,
    ttl: float | str = 3600,
    *,
    comment: bool = False,
    label: str | None = None,
    server_url: str | None = None,
    token: str | None = None,
) -> Share:
    """A link to the dashboard of ``channels`` (names or ``prefix*``), valid ``ttl``.

    The viewer who opens it sees those channels live and nothing else: no other
    channel, no publishing, no Jupyter. With ``comment=True`` they may also chat there.
    ``label`` is the name everyone watching sees them by, in presence and as the
    author of what they write (1-64 characters; default "Guest"): never put a secret
    in it, whoever has the link can read it. Found automatically in a kernel or
    terminal of a Jupyter server (else the newest running server of this user);
    elsewhere pass ``server_url`` and the Jupyter ``token``.
    """
    names = [channels] if isinstance(channels, str) else list(channels)
    if server_url is None or token is None:
        found = find_server()
        server_url = server_url or found["url"]
        token = token if token is not None else found["token"]
    # Imported here: `import jupyter_sse` runs in every kernel, sharing rarely.
    import urllib.error
    import urllib.request

    asked: dict[str, Any] = {"channels": names, "ttl": parse_duration(ttl)}
    if comment:
        asked["comment"] = True
    if label is not None:
        asked["label"] = label
    body = json.dumps(asked).encode()
    request = urllib.request.Request(
        server_url.rstrip("/") + "/" + TOKENS_PATH,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"token {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise SSEError(f"the server refused the share link ({e.code}): {_reason(e)}") from None
    except OSError as e:
        raise SSEError(f"cannot reach the Jupyter server at {server_url}: {e}") from None
    return Share(
        answer["url"],
        answer["token"],
        float(answer["expires"]),
        bool(answer.get("comment", False)),
        str(answer.get("label", "Guest")),
    )


def _reason(error: Any) -> str:  # urllib.error.HTTPError, not imported at module level
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, OSError):
        return error.reason or "no reason given"
