"""The HTTP transport's publish socket, against a real server: one kept-open
connection, the POST route when a server (or a proxy) has no socket, and the socket's
framing."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from jupyter_sse.kernel.transport.base import RetryLater
from jupyter_sse.kernel.transport.http import HTTPTransport
from jupyter_sse.kernel.transport.websocket import _masked
from tests.support.raw_http import pipe
from tests.support.server import Server, wait_for


def event(channel: str, data: Any, type_: str = "log") -> bytes:
    return json.dumps({"channel": channel, "type": type_, "data": data}).encode()


async def test_batches_go_over_one_socket_in_order(server: Server) -> None:
    transport = HTTPTransport(server.base, server.publish_token)
    sockets = server.app.services.publish_sockets
    # A Thai text, and a batch over 64 KiB (the frame's longest length field).
    big = [event("s", {"text": f"ก้าว {i} " + "x" * 400}) for i in range(200)]
    try:
        async with server.stream("s") as stream:
            await stream.next()
            ids: list[str] = []
            for i in range(3):
                ids += await asyncio.to_thread(transport.send, [event("s", {"text": f"{i}"})])
                assert len(sockets) == 1
            ids += await asyncio.to_thread(transport.send, big)
            got = await stream.take(203)
    finally:
        transport.close()
    assert [e.id for e in got] == ids
    texts = [e.envelope["data"]["text"] for e in got]
    assert texts[:3] == ["0", "1", "2"]
    assert texts[3].startswith("ก้าว 0 ")
    assert texts[-1].startswith("ก้าว 199 ")
    await wait_for(lambda: not sockets, what="the closed socket forgotten")


@asynccontextmanager
async def proxy_without_sockets(server: Server) -> AsyncIterator[str]:
    """A proxy in front of ``server`` that answers 404 to a WebSocket handshake, as an
    older server or a proxy that does not pass WebSockets on does; the base URL."""
    port = int(server.base.split(":")[2].split("/")[0])

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if b"upgrade: websocket" in head.lower():
            body = b'{"error": "Not Found", "status": 404}'
            writer.write(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        up_writer.write(head)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    listening = proxy.sockets[0].getsockname()[1]
    try:
        yield server.base.replace(f":{port}/", f":{listening}/")
    finally:
        proxy.close()


async def test_without_a_socket_on_the_way_the_transport_posts(server: Server) -> None:
    async with proxy_without_sockets(server) as base:
        transport = HTTPTransport(base, server.publish_token)
        try:
            async with server.stream("p") as stream:
                await stream.next()
                first = await asyncio.to_thread(transport.send, [event("p", {"text": "a"})])
                second = await asyncio.to_thread(transport.send, [event("p", {"text": "b"})])
                got = await stream.take(2)
        finally:
            transport.close()
    assert [e.id for e in got] == first + second
    assert not transport._socket_usable  # asked once, then POSTs only
    assert not server.app.services.publish_sockets


async def test_a_socket_the_server_closed_while_idle_is_reopened_at_once(
    server: Server,
) -> None:
    transport = HTTPTransport(server.base, server.publish_token)
    sockets = server.app.services.publish_sockets
    try:
        await asyncio.to_thread(transport.send, [event("i", {"text": "before"})])
        (first,) = sockets
        # The server's close waits for the client's, which reads only when it sends: the
        # next batch meets a closing socket, is not published there, and goes again on
        # a new one.
        first.close(1001, "going away")
        ids = await asyncio.to_thread(transport.send, [event("i", {"text": "after"})])
        assert len(ids) == 1
        assert any(s is not first for s in sockets)
    finally:
        transport.close()
    assert (await server.channels())["i"]["events"] == 2


@pytest.mark.parametrize("sse_config", [{}])
async def test_after_a_rotation_the_transport_renews_its_token_on_a_new_socket(
    server: Server,
) -> None:
    services = server.app.services
    transport = HTTPTransport(
        server.base, server.publish_token, refresh=lambda: services.publish_token.value
    )
    try:
        await asyncio.to_thread(transport.send, [event("r", {"text": "before"})])
        new = await server.rotate_secret()
        ids = await asyncio.to_thread(transport.send, [event("r", {"text": "after"})])
        assert len(ids) == 1
        assert transport._token == new
        assert transport._socket_usable
    finally:
        transport.close()
    assert (await server.channels())["r"]["events"] == 2


async def test_a_server_that_is_gone_is_retried_later(server: Server) -> None:
    transport = HTTPTransport(server.base, server.publish_token)
    try:
        await asyncio.to_thread(transport.send, [event("g", {"text": "x"})])
        async with proxy_without_sockets(server) as base:
            gone = base  # a port that listened and then closed
        transport_gone = HTTPTransport(gone, server.publish_token)
        with pytest.raises(RetryLater, match="server unreachable"):
            await asyncio.to_thread(transport_gone.send, [event("g", {"text": "y"})])
        assert transport_gone._socket_usable  # unreachable says nothing of the route
    finally:
        transport.close()


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 125, 126, 65535, 65536, 70001])
def test_masking_is_the_xor_of_each_byte_with_the_key(n: int) -> None:
    payload, key = os.urandom(n), os.urandom(4)
    assert _masked(payload, key) == bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("sse_config", [{"max_publish_sockets": 1}])
async def test_a_server_full_of_sockets_is_posted_to_for_a_while(server: Server) -> None:
    first = HTTPTransport(server.base, server.publish_token)
    second = HTTPTransport(server.base, server.publish_token)
    try:
        await asyncio.to_thread(first.send, [event("f", {"text": "socket"})])
        ids = await asyncio.to_thread(second.send, [event("f", {"text": "post"})])
        assert len(ids) == 1
        assert second._socket is None
        assert second._socket_usable  # asked again later, not never
        assert second._socket_after > time.monotonic() + 30
    finally:
        first.close()
        second.close()
    assert (await server.channels())["f"]["events"] == 2
