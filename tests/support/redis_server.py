"""Pytest plugin: a real ``redis-server`` per test, on a free loopback port.

Fixtures:

* ``redis_server``: no persistence (``--save "" --appendonly no``): a restart loses
  everything, as a Redis without persistence does;
* ``redis_server_aof``: ``--appendonly yes --appendfsync always``: a restart after
  ``kill()`` (SIGKILL, no chance to save) comes back with every acknowledged write.

Both have ``.url``, ``.port``, ``.kill()``, ``.restart()`` and ``.client()``. Readiness is
a PING that answers, never a sleep. Load with ``pytest_plugins = ["tests.redis_server"]``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

START_TIMEOUT = 10.0  # seconds for redis-server to answer PING


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RedisServer:
    """One ``redis-server`` process bound to 127.0.0.1, with its data in ``folder``."""

    def __init__(
        self, folder: Path, *, aof: bool = False, port: int | None = None, password: str = ""
    ) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not on PATH: apt-get install redis-server")
        self.executable = executable
        self.folder = folder
        self.port = port or free_port()
        self.aof = aof
        self.password = password  # of the default user (the admin): requirepass
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "redis.log"

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.aof
            else ["--appendonly", "no"]
        )
        return [
            self.executable,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            *persistence,
            "--dir", str(self.folder),
            "--logfile", str(self.log),
            "--protected-mode", "yes",
            *(["--requirepass", self.password] if self.password else []),
        ]  # fmt: skip

    def start(self) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(self.argv(), cwd=self.folder)
        deadline = time.monotonic() + START_TIMEOUT
        with redis.Redis(
            port=self.port, password=self.password or None, socket_connect_timeout=0.5
        ) as probe:
            while True:
                try:
                    if probe.ping():
                        return
                except redis.exceptions.BusyLoadingError:
                    pass  # still reading its AOF: not ready yet
                except redis.ConnectionError:
                    if self.process.poll() is not None:
                        raise RuntimeError(
                            f"redis-server exited with {self.process.returncode}: "
                            f"{self.log.read_text() if self.log.exists() else ''}"
                        ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer PING on {self.port}")
                time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, exactly like a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        """Start again on the same port and folder (an AOF server reloads its data)."""
        self.kill()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password or None)


def _server(tmp_path_factory: pytest.TempPathFactory, *, aof: bool) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), aof=aof)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh Redis without persistence."""
    yield from _server(tmp_path_factory, aof=False)


@pytest.fixture
def redis_server_acl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh Redis whose default user needs a password (the admin's), for ACL tests."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), password="admin-password-for-tests")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def redis_server_aof(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A fresh Redis that fsyncs every write to its append-only file."""
    yield from _server(tmp_path_factory, aof=True)
