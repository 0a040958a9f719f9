"""What an open stream holds: its socket and a shared scope, never its request, handler or
tornado's IOStream; yet it still notices the client leaving, writes what a full socket
could not take, and ends with its link."""

from __future__ import annotations

import asyncio
import gc
import socket

import pytest
from tornado.httputil import HTTPServerRequest
from tornado.iostream import IOStream
from tornado.web import RequestHandler

from tests.support.raw_http import raw_stream, read_until
from tests.support.server import Server, wait_for
from tests.support.sse_client import StreamReader
from tests.support.viewers import mint, open_link


def metric(channel: str, step: int, size: int = 0) -> dict[str, object]:
    return {"channel": channel, "type": "tick", "data": {"step": step, "pad": "x" * size}}


async def test_an_open_stream_holds_no_request_handler_or_iostream(server: Server) -> None:
    """The request, its handler and tornado's IOStream are freed once a stream is open:
    100,000 idle streams would otherwise hold 100,000 of each."""
    connections = server.app.services.connections
    async with server.stream("held") as s:
        assert (await s.next()).event == "snapshot"
        (conn,) = list(connections)
        held = gc.get_referents(conn)
        for kind in (IOStream, HTTPServerRequest, RequestHandler, asyncio.Future):
            assert not [o for o in held if isinstance(o, kind)], kind
        assert any(isinstance(o, socket.socket) for o in held)
        # ... and it is a stream all the same.
        await server.publish_ok(metric("held", 1))
        assert (await s.next()).envelope["data"]["step"] == 1


async def test_streams_of_one_link_share_one_scope_and_end_with_it(server: Server) -> None:
    """A crowd on one viewer link holds one copy of the link and one expiry timer; every
    stream of it still ends when the link does."""
    share = await mint(server, ["crowd/*"], ttl=5)
    viewer = await open_link(share["url"])
    connections = server.app.services.connections
    readers = [
        StreamReader(viewer, server.base + "sse/stream", params={"channel": "crowd/*"})
        for _ in range(3)
    ]
    try:
        for reader in readers:
            await reader.__aenter__()
        await wait_for(lambda: len(connections) == 3, what="three streams")
        conns = list(connections)
        assert connections.scopes == 1
        assert len({id(conn.scope) for conn in conns}) == 1
        assert conns[0].credential == share["token"]
        await server.publish_ok(metric("crowd/a", 1))
        for reader in readers:
            event = await reader.next()
            while event.event == "presence":  # who watches: the link, once
                event = await reader.next()
            assert (event.event, event.envelope["data"]["step"]) == ("tick", 1)
        for reader in readers:
            await asyncio.wait_for(reader.ended.wait(), 15)  # the server ends each at expiry
        assert {conn.close_reason for conn in conns} == {"viewer token expired"}
        await wait_for(lambda: len(connections) == 0, what="the streams to be dropped")
        assert connections.scopes == 0
    finally:
        for reader in readers:
            await reader.close()
        await viewer.aclose()


async def test_bytes_a_client_sends_after_its_request_are_dropped(server: Server) -> None:
    """Nothing but the request is read from a stream's client: what it sends after is
    read and dropped (never buffered), and the stream goes on."""
    connections = server.app.services.connections
    loop = asyncio.get_running_loop()
    async with raw_stream(server, "talkative") as (sock, got):
        await wait_for(lambda: len(connections) == 1, what="the stream to register")
        await loop.sock_sendall(sock, b"x" * (1024 * 1024))
        await server.publish_ok(metric("talkative", 7))
        got = await read_until(sock, got, b'"step":7', 1)
        (conn,) = list(connections)
        assert not conn.closed


@pytest.mark.parametrize("sse_config", [{"client_buffer_bytes": 4 * 1024 * 1024}])
async def test_what_a_full_socket_did_not_take_follows_in_order(server: Server) -> None:
    """A client that reads late still gets every event, in order: what the socket could
    not take waits for it to drain, and later frames wait behind it."""
    connections = server.app.services.connections
    loop = asyncio.get_running_loop()
    async with raw_stream(server, "late", rcvbuf=4096) as (sock, got):
        await wait_for(lambda: len(connections) == 1, what="the stream to register")
        (conn,) = list(connections)
        # Small kernel buffers on both ends: the frames cannot all fit in them.
        (server_side,) = [o for o in gc.get_referents(conn) if isinstance(o, socket.socket)]
        server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        for batch in range(5):
            await server.publish_ok(*[metric("late", batch * 20 + i, 8000) for i in range(20)])
            await asyncio.sleep(0)
        await wait_for(lambda: conn.buffered > 0, what="the socket to fill")
        while got.count(b'"pad"') < 100:
            data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 10)
            assert data, "the server closed the stream"
            got += data
        steps = [int(part.split(b",", 1)[0]) for part in got.split(b'"step":')[1:]]
        assert steps == list(range(100))
        await wait_for(lambda: conn.buffered == 0, what="everything to be sent")
        assert not conn.closed
