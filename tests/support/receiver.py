"""A real HTTP receiver for webhooks: a tornado server on 127.0.0.1 that records POSTs.

``Receiver(port)`` binds nothing until ``start()``, so a test can point a webhook at a
receiver that is down, then bring it up. ``hang=True`` accepts each request and never
answers it (until ``stop()``), like a receiver that hangs.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from tests.support.redis_server import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Hook(RequestHandler):
    def initialize(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def post(self, path: str) -> None:
        receiver = self.receiver
        receiver.received.append(
            Received("/" + path, dict(self.request.headers), self.request.body)
        )
        if receiver.hang:
            receiver.hanging += 1
            await receiver.released.wait()
            return
        self.set_status(receiver.status)
        self.finish("ok")


class Receiver:
    """Records every POST it gets, in order; answers ``status`` (or hangs)."""

    def __init__(self, port: int | None = None, *, hang: bool = False, status: int = 200) -> None:
        self.port = port or free_port()
        self.hang = hang
        self.status = status
        self.received: list[Received] = []
        self.hanging = 0  # requests held open right now
        self.released = asyncio.Event()
        self._server: HTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # No access log: what the receiver logs is not what the server under test logs.
        app = Application([(r"/(.*)", _Hook, {"receiver": self})], log_function=lambda _: None)
        self._server = HTTPServer(app)
        self._server.listen(self.port, "127.0.0.1")

    async def stop(self) -> None:
        self.released.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
