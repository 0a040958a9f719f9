"""The server process's limit on open files, raised at start to what its streams need.

Every stream holds one socket. Linux starts processes with a soft limit of 1,024 open
files, far under ``max_connections`` (10,000 by default): past it, ``accept`` fails
with EMFILE and the server refuses every new connection, Jupyter's own included. The
soft limit may be raised up to the hard one without privileges, so the server does.
"""

from __future__ import annotations

import logging
import sys
from typing import Final

# Descriptors the server needs besides its streams: kernels' ZeroMQ sockets, files,
# Redis connections, the Jupyter API's own requests.
HEADROOM: Final = 1024


def raise_open_files(streams: int, log: logging.Logger) -> int | None:
    """Raise the soft open-files limit to ``streams`` + ``HEADROOM`` (as far as the hard
    limit allows, warning when it does not). The limit now; None where there is none."""
    if sys.platform == "win32":
        return None
    import resource

    needed = streams + HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as e:
            log.warning("jupyter_sse: could not raise the open-files limit: %s", e)
            return soft
    if target < needed:
        log.warning(
            "jupyter_sse: the open-files limit (hard %d) holds about %d streams, fewer "
            "than max_connections (%d); raise it (ulimit -n) or lower max_connections",
            hard,
            max(0, target - HEADROOM),
            streams,
        )
    return target
