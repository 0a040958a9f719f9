"""A server that answers the Redis protocol as Redis 6.0 would, for the few commands a
server sends before it checks the version (no Redis older than 6.2 can be installed
here: Debian ships 7). Everything else is an error, as an unknown command would be."""

from __future__ import annotations

import asyncio
from types import TracebackType

OLD_VERSION = "6.0.16"


def bulk(text: str) -> bytes:
    data = text.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


async def read_command(reader: asyncio.StreamReader) -> list[str]:
    """One command of a RESP2 client: an array of bulk strings."""
    header = await reader.readline()
    if not header.startswith(b"*"):
        raise ConnectionError("not a RESP array")
    words = []
    for _ in range(int(header[1:])):
        length = int((await reader.readline())[1:])
        words.append((await reader.readexactly(length + 2))[:-2].decode())
    return words


class OldRedis:
    """``async with OldRedis() as url``: a redis:// URL on 127.0.0.1 that says 6.0."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self.commands: list[str] = []

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                words = await read_command(reader)
                name = words[0].upper()
                self.commands.append(name)
                if name == "PSUBSCRIBE":
                    for n, pattern in enumerate(words[1:], 1):
                        writer.write(
                            b"*3\r\n" + bulk("psubscribe") + bulk(pattern) + b":%d\r\n" % n
                        )
                elif name == "INFO":
                    writer.write(bulk(f"# Server\r\nredis_version:{OLD_VERSION}\r\n"))
                elif name in ("CLIENT", "SELECT"):
                    writer.write(b"+OK\r\n")
                elif name == "PING":
                    writer.write(b"+PONG\r\n")
                else:
                    writer.write(b"-ERR unknown command '%s'\r\n" % name.encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
