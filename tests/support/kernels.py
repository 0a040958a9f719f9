"""Kernels for tests: started through the server's own kernel manager, with a client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

from tests.support.server import Server

KERNEL_TIMEOUT = 120  # seconds: a cold kernel start on a busy machine is slow
EMPTY_NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@contextlib.contextmanager
def managed_kernel(serverapp: Any, loop: asyncio.AbstractEventLoop) -> Iterator[tuple[str, Any]]:
    """A python3 kernel started through ``serverapp``'s kernel manager: (id, ready client).
    It is shut down on exit."""
    manager = serverapp.kernel_manager
    kernel_id = loop.run_until_complete(manager.start_kernel(kernel_name="python3"))
    client = manager.get_kernel(kernel_id).client()
    client.start_channels()
    try:
        loop.run_until_complete(client.wait_for_ready(timeout=KERNEL_TIMEOUT))
        yield kernel_id, client
    finally:
        client.stop_channels()
        if kernel_id in manager:
            loop.run_until_complete(manager.shutdown_kernel(kernel_id, now=True))


async def save_notebook(server: Server, path: str) -> None:
    """PUT an empty notebook at ``path`` through the contents API (``upload`` the first
    time, ``save`` after)."""
    r = await server.client.put(
        server.base + "api/contents/" + path,
        headers=server.auth,
        content=json.dumps({"type": "notebook", "format": "json", "content": EMPTY_NOTEBOOK}),
    )
    assert r.status_code in (200, 201), r.text
