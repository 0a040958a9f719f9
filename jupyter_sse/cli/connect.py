"""Reaching the server from a terminal: which server (the one way, ``find_server``, shared
with ``share``), its token, and JSON requests to it with the standard library.

Exit codes of every command (the README lists them): 0 done; 1 the server refused, could
not be reached, or could not be found; 2 bad usage (argparse, or bad input such as data
that is not JSON); 3 ``doctor`` found a fault; 130 stopped with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

from ..kernel.transport.discovery import find_server
from ..wire.errors import SSEError

OK: Final = 0
FAILED: Final = 1
USAGE: Final = 2
FAULTS: Final = 3
INTERRUPTED: Final = 130
TIMEOUT: Final = 10.0  # seconds for one request (not for a stream)


class Refused(SSEError):
    """The server answered with an error; ``status`` is its HTTP status (0: unreachable)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class BadInput(SSEError):
    """What the user typed or piped cannot be sent (exit code 2)."""


@dataclass(frozen=True)
class Target:
    """A server's base URL (ending with ``/``) and the token to send it."""

    url: str
    token: str

    def request(self, method: str, path: str, body: Any = None, *, timeout: float = TIMEOUT) -> Any:
        """The JSON answer of ``method path``; ``Refused`` with the server's reason."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=self.headers()
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            raise Refused(f"{method} {path}: {e.code} {reason(e)}", e.code) from None
        except OSError as e:
            raise Refused(f"cannot reach the server at {self.url}: {e}") from None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """``--url`` and ``--token``, as ``share`` has them."""
    parser.add_argument(
        "--url", help="server URL (default: the server of this terminal, else the newest running)"
    )
    parser.add_argument("--token", help="Jupyter token of that server (default: from its info)")


def target(args: argparse.Namespace) -> Target:
    """The server the command talks to: ``--url``/``--token``, else ``find_server``."""
    url, token = args.url, args.token
    if url is None:
        found = find_server()
        url, token = found["url"], token or found.get("token", "")
    return Target(url if url.endswith("/") else url + "/", token or "")


def reason(error: urllib.error.HTTPError) -> str:
    """The ``error`` of a JSON error body, else the HTTP reason."""
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, TypeError, OSError):
        return str(error.reason or "no reason given")
