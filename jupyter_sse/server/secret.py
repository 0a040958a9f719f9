"""The server secret: signs viewer tokens and derives the publish token.

Configured (``c.SSEApp.viewer_secret``), or kept in a 0600 file that survives restarts
(``c.SSEApp.viewer_secret_file``, by default in the Jupyter data dir).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Final

log = logging.getLogger("jupyter_sse")

MIN_SECRET_CHARS: Final = 32  # what `rotate` writes is 64 hex characters


class InvalidSecret(Exception):
    """The configured secret is missing or too short to sign anything with."""


def default_secret_file() -> Path:
    """Where the viewer secret lives unless configured: the Jupyter data dir survives reboots."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_sse_viewer_secret"


class ServerSecret:
    """The signing secret: configured, or kept in a 0600 file that survives restarts.

    The file is re-read when it changes, so ``jupyter sse rotate-secret`` revokes every
    outstanding token of a running server without restarting it. A secret shorter than
    ``MIN_SECRET_CHARS`` is never used: an empty one would let anyone sign. ``owned``
    says the file is the server's default one, which it may replace when it finds it
    missing or too short; a file an admin configured is only read (``InvalidSecret``).
    """

    def __init__(self, path: Path, configured: bytes | None = None, *, owned: bool = True) -> None:
        if configured is not None and len(configured.strip()) < MIN_SECRET_CHARS:
            raise InvalidSecret(
                f"c.SSEApp.viewer_secret must be at least {MIN_SECRET_CHARS} characters; "
                "leave it empty to use a random secret kept in a file"
            )
        self.path = path
        self.owned = owned
        self._configured = configured.strip() if configured is not None else None
        self._cached: tuple[tuple[int, int], bytes] | None = None

    @property
    def configured(self) -> bool:
        """True when the secret is a setting, not a file (rotation must change the setting)."""
        return self._configured is not None

    def version(self) -> tuple[int, int] | None:
        """What changes when the secret does (the file's inode and time; None if set)."""
        if self._configured is not None:
            return None
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return (0, 0)
        # A rotation replaces the file (new inode), so this notices it even within one
        # tick of the file system's clock.
        return (st.st_ino, st.st_mtime_ns)

    def current(self) -> bytes:
        """The secret; ``InvalidSecret`` when a configured file holds none usable."""
        if self._configured is not None:
            return self._configured
        version = self.version()
        if self._cached is not None and self._cached[0] == version:
            return self._cached[1]
        try:
            value = self.path.read_bytes().strip()
        except FileNotFoundError:
            value = b""
        if len(value) < MIN_SECRET_CHARS:
            if not self.owned:
                raise InvalidSecret(
                    f"the secret file {self.path} is missing, empty or shorter than "
                    f"{MIN_SECRET_CHARS} characters: run `jupyter sse rotate-secret --file "
                    f"{self.path}`"
                )
            if value:
                log.warning("jupyter_sse: %s held no usable secret; replacing it", self.path)
            self.rotate()
            return self.current()
        self._cached = (version or (0, 0), value)
        return value

    def rotate(self) -> None:
        """Write a new random secret; every token signed with the old one stops working."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
        os.replace(tmp, self.path)  # atomic: a reader never sees a half-written secret
        self._cached = None
