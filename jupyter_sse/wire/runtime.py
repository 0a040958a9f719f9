"""How a process finds the server it publishes to: environment variables and runtime files.

The server writes these (``jupyter_sse.server.app``) and kernels and scripts read them
(``jupyter_sse.kernel.transport.discovery``); the names live here so both agree.
"""

from __future__ import annotations

from typing import Final, NotRequired, TypedDict

# Set by the server in the environment of every kernel it starts.
URL_ENV: Final = "JUPYTER_SSE_URL"  # the server's base URL, ending with "/"
TOKEN_ENV: Final = "JUPYTER_SSE_TOKEN"  # a publish token (or a Jupyter token)
REDIS_URL_ENV: Final = "JUPYTER_SSE_REDIS_URL"  # publish straight to Redis
REDIS_PREFIX_ENV: Final = "JUPYTER_SSE_REDIS_PREFIX"  # key prefix, when not the default

PUBLISH_PATH: Final = "sse/publish"  # relative to the server's base URL
TOKENS_PATH: Final = "sse/tokens"


class RuntimeInfo(TypedDict):
    """What a server writes to ``jupyter_sse-<pid>.json`` (mode 0600) in the runtime dir.

    ``secret`` says where the server's secret comes from: the path of its secret file,
    or ``"configured"`` (a setting), so that ``jupyter sse rotate-secret`` can tell
    whether rotating a file revokes that server's links.
    """

    url: str
    token: str
    pid: int
    secret: NotRequired[str]


def runtime_file_name(pid: int) -> str:
    """The name of the runtime file of the server process ``pid``."""
    return f"jupyter_sse-{pid}.json"
