"""The server secret: signs viewer tokens and derives the publish token.

Configured (``c.SSEApp.viewer_secret``), or kept in a 0600 file that survives restarts
(``c.SSEApp.viewer_secret_file``, by default in the Jupyter data dir).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def default_secret_file() -> Path:
    """Where the viewer secret lives unless configured: the Jupyter data dir survives reboots."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_sse_viewer_secret"


class ServerSecret:
    """The signing secret: configured, or kept in a 0600 file that survives restarts.

    The file is re-read when it changes, so ``jupyter sse rotate-secret`` revokes every
    outstanding token of a running server without restarting it.
    """

    def __init__(self, path: Path, configured: bytes | None = None) -> None:
        self.path = path
        self._configured = configured
        self._cached: tuple[tuple[int, int], bytes] | None = None

    def current(self) -> bytes:
        if self._configured:
            return self._configured
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self.rotate()
            st = self.path.stat()
        # A rotation replaces the file (new inode), so this notices it even within one
        # tick of the file system's clock.
        version = (st.st_ino, st.st_mtime_ns)
        if self._cached is None or self._cached[0] != version:
            self._cached = (version, self.path.read_bytes().strip())
        return self._cached[1]

    def rotate(self) -> None:
        """Write a new random secret; every token signed with the old one stops working."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_hex(32).encode())
        os.replace(tmp, self.path)  # atomic: a reader never sees a half-written secret
        self._cached = None
