"""A WebSocket client of the standard library's, for the publish socket alone.

It speaks the little of RFC 6455 that ``sse/publish/socket`` needs: one connection,
masked binary messages out, the server's unmasked messages in, pings answered, a
close read as one. No extensions, no compression. The kernel imports only the standard
library (``jupyter_sse.kernel`` stays out of the server's packages), so this is not
``websocket-client``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
from typing import Final

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
MAX_HEAD: Final = 65536  # bytes of a handshake's answer: headers and a JSON error
MAX_ANSWER: Final = 1 << 20  # bytes of one message from the server (an answer is ids)
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeRefused(Exception):
    """The server answered the handshake with an HTTP status, not 101."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"handshake answered {status}")
        self.status = status
        self.body = body


class Closed(Exception):
    """The connection ended: ``code`` from the server's close (1006: none came)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed ({code}{': ' + reason if reason else ''})")
        self.code = code
        self.reason = reason


class WebSocket:
    """One client connection to ``path`` on ``host``:``port`` (TLS when ``https``).

    ``connect`` raises ``OSError`` when the server cannot be reached and
    ``HandshakeRefused`` when it answers with anything but 101; ``exchange`` sends a
    message and returns the next one, raising ``Closed`` or ``OSError`` when the
    connection ends first.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        https: bool,
        path: str,
        headers: dict[str, str],
        timeout: float,
    ) -> None:
        self.host, self.port, self.https = host, port, https
        self.path, self.headers, self.timeout = path, headers, timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            # One small message each way, and its answer waited for: Nagle's algorithm
            # would hold a message behind the delayed ACK of the last one.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.https:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
            self._sock = sock
            self._handshake()
        except BaseException:
            self.close()
            sock.close()  # the plain socket too, when wrapping it in TLS failed
            raise

    def _handshake(self) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        netloc = f"{host}:{self.port}"
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        self._send_all(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        status_line, _, rest = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        fields = {}
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        if status != 101:
            length = fields.get(b"content-length", b"0")
            size = min(int(length), MAX_HEAD) if length.isdigit() else 0
            raise HandshakeRefused(status, self._read_exactly(size) if size else b"")
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
        if fields.get(b"sec-websocket-accept") != expected:
            raise HandshakeRefused(status, b"not a WebSocket answer")

    def exchange(self, message: bytes) -> bytes:
        """Send ``message`` (binary) and return the server's next message."""
        self._send_frame(BINARY, message)
        return self._receive()

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._buffer = b""

    def forget(self) -> None:
        """Drop the connection without closing it (a forked child shares it)."""
        self._sock = None
        self._buffer = b""

    # --- frames ---------------------------------------------------------------------

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        self._send_all(head + mask + _masked(payload, mask))

    def _receive(self) -> bytes:
        message = b""
        while True:
            first, second = self._read_exactly(2)
            fin, opcode = first & 0x80, first & 0x0F
            n = second & 0x7F
            if second & 0x80:
                raise Closed(1002, "the server masked a frame")
            if n == 126:
                (n,) = struct.unpack("!H", self._read_exactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read_exactly(8))
            if n + len(message) > MAX_ANSWER:
                raise Closed(1009, "answer too large")
            payload = self._read_exactly(n)
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise Closed(code, payload[2:].decode("utf-8", "replace"))
            if opcode == PING:
                self._send_frame(PONG, payload)
            elif opcode in (TEXT, BINARY, 0x0):
                message += payload
                if fin:
                    return message

    # --- bytes ----------------------------------------------------------------------

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise Closed(1006, "not connected")
        return self._sock

    def _send_all(self, data: bytes) -> None:
        self._socket().sendall(data)

    def _fill(self) -> None:
        chunk = self._socket().recv(65536)
        if not chunk:
            raise Closed(1006, "the connection ended")
        self._buffer += chunk

    def _read_exactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._fill()
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _read_until(self, marker: bytes) -> bytes:
        while (end := self._buffer.find(marker)) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise HandshakeRefused(0, b"answer headers too large")
            self._fill()
        data, self._buffer = self._buffer[:end], self._buffer[end + len(marker) :]
        return data


def _masked(payload: bytes, mask: bytes) -> bytes:
    # XOR as one big integer: a Python loop over the bytes would cost ~50 ns each.
    n = len(payload)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
