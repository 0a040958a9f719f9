"""Connections to a test server read and written by hand: for what a client library
would hide (when bytes arrive, what a socket's buffers hold)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from tests.support.server import Server

# Linux: a receive timestamp (struct timespec) with every recvmsg. Not every Python
# names the constant.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


async def raw_request(
    server: Server, request_line: str, rest: str = "\r\n", *, rcvbuf: int = 0, stamped: bool = False
) -> socket.socket:
    """A non-blocking socket connected to ``server`` with a request sent: ``request_line``,
    the Host and token headers, then ``rest`` (more headers, the blank line, a body).

    ``rcvbuf``: a receive buffer this small (0: the system's); ``stamped``: the kernel
    stamps each arrival (``SO_TIMESTAMPNS``), for ``recvmsg`` to read."""
    url = urlsplit(server.base)
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if stamped:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        await loop.sock_connect(sock, (url.hostname, url.port))
        head = f"Host: {url.netloc}\r\nAuthorization: token {server.token}\r\n"
        await loop.sock_sendall(sock, f"{request_line}\r\n{head}{rest}".encode())
    except BaseException:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def raw_stream(
    server: Server, channel: str, *, rcvbuf: int = 0, stamped: bool = False
) -> AsyncIterator[tuple[socket.socket, bytes]]:
    """A stream read by hand: the socket and what came with the response headers."""
    path = urlsplit(server.base).path
    sock = await raw_request(
        server, f"GET {path}sse/stream?channel={channel} HTTP/1.1", rcvbuf=rcvbuf, stamped=stamped
    )
    try:
        first = await asyncio.get_running_loop().sock_recv(sock, 65536)
        assert first.startswith(b"HTTP/1.1 200"), first[:200]
        yield sock, first
    finally:
        sock.close()


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until either side ends: one direction of a proxy."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def read_until(sock: socket.socket, got: bytes, marker: bytes, count: int) -> bytes:
    """Read from ``sock`` until ``marker`` occurs ``count`` times in all it sent."""
    loop = asyncio.get_running_loop()
    while got.count(marker) < count:
        data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 10)
        assert data, "the server closed the stream"
        got += data
    return got
