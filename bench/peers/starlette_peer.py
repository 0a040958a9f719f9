"""sse-starlette on uvicorn: one queue per client, fed by a publish route.

Frames are encoded once and handed to sse-starlette as bytes (it sends bytes as they
are), which is the cheapest way to use it; a history serves ``Last-Event-ID`` resume.

    python bench/peers/starlette_peer.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import deque
from collections.abc import AsyncIterator

import uvicorn
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HISTORY = 20_000

seq = 0
clients: dict[str, set[asyncio.Queue[bytes]]] = {}
history: dict[str, deque[tuple[int, bytes]]] = {}


async def stream(request: Request) -> EventSourceResponse:
    channel = request.query_params["channel"]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    last = request.headers.get("last-event-id")
    if last is not None and last.isdigit():
        after = int(last)
        for s, frame in history.get(channel, ()):
            if s > after:
                queue.put_nowait(frame)
    clients.setdefault(channel, set()).add(queue)

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            while True:
                yield await queue.get()
        finally:
            clients[channel].discard(queue)

    return EventSourceResponse(frames())


async def publish(request: Request) -> JSONResponse:
    global seq
    body = json.loads(await request.body())
    events = body if isinstance(body, list) else [body]
    ids = []
    for event in events:
        seq += 1
        channel = event["channel"]
        frame = f"id: {seq}\nevent: {event['type']}\ndata: {json.dumps(event['data'])}\n\n"
        data = frame.encode()
        history.setdefault(channel, deque(maxlen=HISTORY)).append((seq, data))
        for queue in clients.get(channel, ()):
            queue.put_nowait(data)
        ids.append(str(seq))
    return JSONResponse({"ids": ids})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"state": "ok"})


app = Starlette(
    routes=[
        Route("/stream", stream),
        Route("/publish", publish, methods=["POST"]),
        Route("/health", health),
    ]
)

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        backlog=4096,
        access_log=False,
    )
