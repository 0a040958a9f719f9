"""A small SSE reader for tests: raw lines in, parsed events out, with timeouts.

It parses the wire format itself (rather than trusting a library) so that tests can
assert on exactly what the server wrote, comments and ``retry:`` included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx


@dataclass
class Event:
    event: str = "message"
    data: str = ""
    id: str | None = None
    raw: list[str] = field(default_factory=list)

    @property
    def envelope(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value


_LINE_END = re.compile(r"\r\n|\r|\n")


async def sse_lines(response: httpx.Response) -> AsyncIterator[str]:
    """The lines of an event stream as the SSE spec cuts them: at CRLF, LF or CR only.

    (httpx's ``aiter_lines`` also cuts at U+2028, U+0085 and the like, as
    ``str.splitlines`` does, which would split a data line that holds one.)
    """
    rest = ""
    async for text in response.aiter_text():
        rest += text
        # A CR at the very end may be the first half of a CRLF: wait for what follows.
        parts = _LINE_END.split(rest[:-1] if rest.endswith("\r") else rest)
        held = "\r" if rest.endswith("\r") else ""
        rest = parts.pop() + held
        for line in parts:
            yield line
    if rest:
        yield rest.rstrip("\r")


class StreamReader:
    """Open ``GET sse/stream`` and read events, comments and ``retry:`` lines.

    ``presence`` events (who watches, sent whenever that changes, with no id) go to a
    queue of their own, ``presence``, as a page hands them to its own listener: the
    tests of every other event read ``events`` without having to step over them.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        params: dict[str, Any] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._client = client
        self._url = url
        self._params = params
        self._headers = headers or {}
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.presence: asyncio.Queue[Event] = asyncio.Queue()
        self.comments: list[str] = []
        self.retry: int | None = None
        self.response: httpx.Response | None = None
        self.lines: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._cm: Any = None
        self.ended = asyncio.Event()

    async def __aenter__(self) -> StreamReader:
        self._cm = self._client.stream(
            "GET", self._url, params=self._params, headers=self._headers, timeout=None
        )
        self.response = await self._cm.__aenter__()
        if self.response.status_code == 200:
            self._task = asyncio.ensure_future(self._read())
        else:
            await self.response.aread()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task
            self._task = None
        if self._cm is not None:
            await self._cm.__aexit__(None, None, None)
            self._cm = None

    async def _read(self) -> None:
        assert self.response is not None
        current = Event()
        data_lines: list[str] = []
        try:
            async for line in sse_lines(self.response):
                self.lines.append(line)
                if line == "":
                    if data_lines or current.id is not None or current.event != "message":
                        current.data = "\n".join(data_lines)
                        queue = self.presence if current.event == "presence" else self.events
                        await queue.put(current)
                    current, data_lines = Event(), []
                    continue
                current.raw.append(line)
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "":
                    self.comments.append(value)
                elif name == "data":
                    data_lines.append(value)
                elif name == "event":
                    current.event = value
                elif name == "id":
                    current.id = value
                elif name == "retry":
                    self.retry = int(value)
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()

    async def next(self, timeout: float = 5.0) -> Event:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def take(self, n: int, timeout: float = 5.0) -> list[Event]:
        return [await self.next(timeout) for _ in range(n)]

    async def no_event(self, within: float = 0.3) -> bool:
        """True when no event arrives within ``within`` seconds (for "nothing was sent")."""
        try:
            await asyncio.wait_for(self.events.get(), within)
        except asyncio.TimeoutError:
            return True
        return False
