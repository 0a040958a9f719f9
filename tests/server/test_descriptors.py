"""The server raises its open-files limit at start, up to the hard limit, and says so
when even the hard limit is under what ``max_connections`` needs."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

CHILD = """
import logging, resource
from jupyter_sse.server.descriptors import raise_open_files
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
logging.basicConfig(level=logging.WARNING, format="%(message)s")
got = raise_open_files({streams}, logging.getLogger("t"))
print(got, resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)
"""


def run(streams: int) -> tuple[list[int], str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(streams=streams)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [int(x) for x in done.stdout.split()], done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE")
def test_soft_limit_raised_for_the_streams() -> None:
    (got, soft, hard), err = run(2000)
    assert got == soft == min(2000 + 1024, hard)
    assert ("open-files limit" in err) == (hard < 3024)


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE")
def test_hard_limit_too_low_is_said() -> None:
    (got, soft, hard), err = run(10**9)
    assert got == soft == hard
    assert "raise it (ulimit -n) or lower max_connections" in err


def test_enough_already_changes_nothing() -> None:
    from jupyter_sse.server.descriptors import raise_open_files

    log = logging.getLogger("t")
    before = raise_open_files(0, log)
    assert raise_open_files(0, log) == before
