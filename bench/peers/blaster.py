"""A source that is never the limit: it measures the load generator, not a server.

Every stream it accepts gets the response headers, then blocks of 1,000 stamped events
(written once per round for all streams, as fast as each socket takes them). What the
load generator parses from it per second is the most it can parse from any server:
a figure near that is the load generator's, not the server's.

    python bench/peers/blaster.py PORT STREAMS [EVENTS_PER_WRITE]

It starts writing once STREAMS streams are open: a flood while the rest connect would
hold their connects up behind it. EVENTS_PER_WRITE (default 1,000) is how many events
each write carries: with 1, every event is a read of its own for the load generator,
as a server that sends each event on its own makes it (its ceiling in reads/s).
"""

from __future__ import annotations

import asyncio
import sys
import time

BLOCK_EVENTS = 1000  # ~60 KB: a few sends move many events, so the blaster is never the limit
HIGH_WATER = 256 * 1024  # bytes queued per stream before the blaster waits for it
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    b"Connection: close\r\n\r\nretry: 2000\n\n"
)


class Stream(asyncio.Protocol):
    """One reader: answered once its request head is in, then fed blocks."""

    def __init__(self, streams: set[Stream]) -> None:
        self.streams = streams
        self.transport: asyncio.Transport | None = None
        self.paused = False
        self._head = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.set_write_buffer_limits(high=HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        if self in self.streams or self.transport is None:
            return
        self._head += data
        if b"\r\n\r\n" in self._head:
            self.transport.write(HEAD)
            self.streams.add(self)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.streams.discard(self)


def block(n: int, events: int) -> bytes:
    now = time.time()
    return b"".join(
        b'id: %d\nevent: tick\ndata: {"t": %.6f, "n": %d}\n\n' % (n + i, now, n + i)
        for i in range(events)
    )


async def main(port: int, wanted: int, events: int = BLOCK_EVENTS) -> None:
    streams: set[Stream] = set()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Stream(streams), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    n = 0
    async with server:
        while True:  # runs until the bench terminates it
            if len(streams) >= wanted:
                wanted = 0  # from now on, whoever is connected
                data = block(n, events)
                n += events
                for stream in tuple(streams):
                    if not stream.paused and stream.transport is not None:
                        stream.transport.write(data)
            await asyncio.sleep(0 if streams and not wanted else 0.001)


if __name__ == "__main__":
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:4])))
