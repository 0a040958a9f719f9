"""The bare tornado SSE fan-out server: the framework's ceiling for this job.

Per event: encode once, then ``write`` + ``flush`` on every client, which is what a
straightforward tornado SSE server does. It keeps a history for ``Last-Event-ID``
resume so the resume figure has a tornado reference too.

    python bench/peers/tornado_peer.py PORT [HEARTBEAT_SECONDS]
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
from collections import deque

from tornado import ioloop, web
from tornado.iostream import StreamClosedError

HISTORY = 20_000


class Hub:
    def __init__(self) -> None:
        self.seq = 0
        self.clients: dict[str, set[StreamHandler]] = {}
        self.history: dict[str, deque[tuple[int, bytes]]] = {}


class StreamHandler(web.RequestHandler):
    def initialize(self, hub: Hub) -> None:
        self.hub = hub
        self.channel = ""
        self.done: asyncio.Future[None] | None = None

    async def get(self) -> None:
        self.channel = self.get_query_argument("channel")
        # Without it, each small write after the first waits for the client's delayed
        # ACK (Nagle): a reference that stalls 40 ms per write would flatter anyone.
        self.request.connection.stream.set_nodelay(True)  # type: ignore[attr-defined]
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.write(b"retry: 2000\n\n")
        last = self.request.headers.get("Last-Event-ID")
        if last is not None and last.isdigit():
            after = int(last)
            for seq, frame in self.hub.history.get(self.channel, ()):
                if seq > after:
                    self.write(frame)
        self.done = asyncio.get_running_loop().create_future()
        self.hub.clients.setdefault(self.channel, set()).add(self)
        try:
            await self.flush()
            await self.done
        except StreamClosedError:
            pass
        finally:
            self.hub.clients[self.channel].discard(self)

    def on_connection_close(self) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_result(None)


class PublishHandler(web.RequestHandler):
    def initialize(self, hub: Hub) -> None:
        self.hub = hub

    def post(self) -> None:
        body = json.loads(self.request.body)
        events = body if isinstance(body, list) else [body]
        hub = self.hub
        ids = []
        for event in events:
            hub.seq += 1
            channel = event["channel"]
            frame = (
                f"id: {hub.seq}\nevent: {event['type']}\ndata: {json.dumps(event['data'])}\n\n"
            ).encode()
            hub.history.setdefault(channel, deque(maxlen=HISTORY)).append((hub.seq, frame))
            for client in tuple(hub.clients.get(channel, ())):
                try:
                    client.write(frame)
                    client.flush()
                except StreamClosedError:
                    client.on_connection_close()
            ids.append(str(hub.seq))
        self.write({"ids": ids})


class HealthHandler(web.RequestHandler):
    def get(self) -> None:
        self.write({"state": "ok"})


async def main(port: int, heartbeat: float) -> None:
    # One descriptor per stream: as many as the hard limit allows.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    hub = Hub()
    app = web.Application(
        [
            (r"/stream", StreamHandler, {"hub": hub}),
            (r"/publish", PublishHandler, {"hub": hub}),
            (r"/health", HealthHandler),
        ]
    )
    app.listen(port, address="127.0.0.1", backlog=4096)
    if heartbeat > 0:

        def ping() -> None:
            for clients in hub.clients.values():
                for client in tuple(clients):
                    try:
                        client.write(b": ping\n\n")
                        client.flush()
                    except StreamClosedError:
                        client.on_connection_close()

        ioloop.PeriodicCallback(ping, heartbeat * 1000).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0))
