"""A client that stops reading is cut off; the server's memory for it stays bounded."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from tests.support.raw_http import raw_request
from tests.support.server import Server, wait_for

LIMIT = 64 * 1024


@pytest.mark.parametrize("sse_config", [{"client_buffer_bytes": LIMIT}])
async def test_slow_client_is_cut_and_memory_stays_bounded(server: Server) -> None:
    path = urlsplit(server.base).path
    # A tiny receive window: the kernel buffers stop absorbing the backlog almost at once.
    sock = await raw_request(server, f"GET {path}sse/stream?channel=flood HTTP/1.1", rcvbuf=4096)
    first = await asyncio.get_running_loop().sock_recv(sock, 1024)
    assert first.startswith(b"HTTP/1.1 200")
    connections = server.app.services.connections
    await wait_for(lambda: len(connections) == 1, what="the stream to register")
    (conn,) = list(connections)
    # The stream's presence is told first (one round, Redis calls included): the flood
    # below then has the loop to itself, one publish per tick, as the bound assumes.
    await wait_for(lambda: server.app.presence.rounds > 0, what="the presence round")

    chunk = {"channel": "flood", "type": "blob", "data": "x" * 8000}
    most = 0
    # The client never reads again. Publish until the server gives up on it: bounded in
    # count, so a server that never cuts the client fails the test instead of hanging.
    for _ in range(2000):
        await server.publish_ok(*[chunk] * 20)
        most = max(most, conn.buffered)
        if conn.closed:
            break
        await asyncio.sleep(0)
    assert conn.closed, "the slow client was never disconnected"
    assert "slow client" in (conn.close_reason or "")
    # At most the limit plus the one batch of frames that crossed it.
    assert most <= LIMIT + 20 * 8200
    await wait_for(lambda: len(connections) == 0, what="the connection to be dropped")
    assert (await server.channels())["flood"]["subscribers"] == 0

    # Other clients are untouched, and the cut client can come back with a cursor.
    async with server.stream("flood") as s:
        assert (await s.next()).event == "snapshot"
    sock.close()
