"""A kernel of a (remote) Jupyter server, driven as JupyterLab does: over its WebSocket."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

RUN_TIMEOUT = 120.0  # seconds a cell may take, kernel start included


class RemoteKernel:
    """One kernel started through ``server``'s REST API; ``run`` executes a cell."""

    def __init__(self, server: str, headers: dict[str, str]) -> None:
        self.server = server  # its base URL, ending with "/"
        self.headers = headers
        self.id = ""
        self._ws: WebSocketClientConnection | None = None
        self._session = uuid.uuid4().hex

    async def __aenter__(self) -> RemoteKernel:
        async with httpx.AsyncClient(timeout=RUN_TIMEOUT) as client:
            r = await client.post(
                self.server + "api/kernels", json={"name": "python3"}, headers=self.headers
            )
            r.raise_for_status()
            self.id = r.json()["id"]
        url = self.server.replace("http", "ws", 1) + f"api/kernels/{self.id}/channels"
        request = HTTPRequest(
            f"{url}?session_id={self._session}", headers=self.headers, connect_timeout=RUN_TIMEOUT
        )
        self._ws = await websocket_connect(request)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            self._ws.close()
        async with httpx.AsyncClient(timeout=30) as client:
            await client.delete(self.server + f"api/kernels/{self.id}", headers=self.headers)

    async def run(self, code: str) -> str:
        """Run ``code``; its printed output, or an AssertionError with the traceback."""
        assert self._ws is not None
        msg_id = uuid.uuid4().hex
        await self._ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "tests",
                        "session": self._session,
                        "date": datetime.now(timezone.utc).isoformat(),
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        output: list[str] = []
        replied = idle = False
        while not (replied and idle):
            raw = await self._ws.read_message()
            assert raw is not None, "the kernel's WebSocket closed"
            msg: dict[str, Any] = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                output.append(msg["content"]["text"])
            elif kind == "error":
                output.append("\n".join(msg["content"]["traceback"]))
            elif kind == "execute_reply":
                replied = True
                assert msg["content"]["status"] == "ok", "".join(output)
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        return "".join(output)
