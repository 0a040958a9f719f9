"""``KernelDirectory``: what the server knows of its kernels, as the server channels need it.

Kernels are jupyter_server's (its kernel manager); the notebook a kernel belongs to is
in its session manager, whose lookups are asynchronous. The paths are therefore kept
here, refreshed in the background when something may have changed them (a kernel
starts, a cell starts, a system sample), so that an event can carry its path at once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from tornado import web


class KernelDirectory:
    """The kernels of one server: ids, names, processes and notebook paths."""

    def __init__(self, kernel_manager: Any, session_manager: Any, log: logging.Logger) -> None:
        self._kernels = kernel_manager
        self._sessions = session_manager
        self._log = log
        self._paths: dict[str, str] = {}
        self._refreshing: asyncio.Task[None] | None = None
        self._again = False
        self._on_change: list[Callable[[set[str]], None]] = []

    def ids(self) -> list[str]:
        return list(self._kernels.list_kernel_ids())

    def manager(self, kernel_id: str) -> Any | None:
        """The kernel's own manager (a jupyter_client ``KernelManager``), if it still runs."""
        if kernel_id not in self._kernels:
            return None
        return self._kernels.get_kernel(kernel_id)

    def name(self, kernel_id: str) -> str | None:
        km = self.manager(kernel_id)
        name = getattr(km, "kernel_name", None)
        return name if isinstance(name, str) else None

    def execution_state(self, kernel_id: str) -> str | None:
        """jupyter_server's own view (``/api/kernels``): what it read on the kernel's IOPub."""
        state = getattr(self.manager(kernel_id), "execution_state", None)
        return state if isinstance(state, str) else None

    def pid(self, kernel_id: str) -> int | None:
        """The kernel's process id when it runs on this machine (a local provisioner)."""
        provisioner = getattr(self.manager(kernel_id), "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        return pid if isinstance(pid, int) and not isinstance(pid, bool) else None

    def path(self, kernel_id: str) -> str | None:
        """The notebook (or console, or file) path of the kernel's session, if it has one."""
        return self._paths.get(kernel_id)

    def on_change(self, callback: Callable[[set[str]], None]) -> None:
        """Call ``callback(kernel_ids)`` when a refresh changes the paths of those kernels."""
        self._on_change.append(callback)

    def request_refresh(self) -> None:
        """Refresh the paths soon, in the background; requests meanwhile make one more."""
        if self._refreshing is not None and not self._refreshing.done():
            self._again = True
            return
        self._refreshing = asyncio.ensure_future(self._refresh_until_settled())

    async def refresh(self) -> None:
        """Read every session's path now."""
        try:
            sessions = await self._sessions.list_sessions()
        except (sqlite3.Error, web.HTTPError) as e:
            # A kernel that ended between two reads, or a server shutting down: the
            # paths known so far stay, and the next refresh tries again.
            self._log.debug("jupyter_sse: sessions not read: %s", e)
            return
        paths: dict[str, str] = {}
        for session in sessions:
            kernel = session.get("kernel") or {}
            if isinstance(kernel.get("id"), str) and isinstance(session.get("path"), str):
                paths[kernel["id"]] = session["path"]
        known = self._paths
        changed = {k for k in paths.keys() | known.keys() if paths.get(k) != known.get(k)}
        self._paths = paths
        if changed:
            for callback in self._on_change:
                callback(changed)

    async def _refresh_until_settled(self) -> None:
        while True:
            self._again = False
            await self.refresh()
            if not self._again:
                return

    async def stop(self) -> None:
        task, self._refreshing = self._refreshing, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
