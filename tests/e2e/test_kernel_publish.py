"""End to end: a real kernel started by the server publishes, a stream receives it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.kernels import KERNEL_TIMEOUT, managed_kernel
from tests.support.server import Server


@pytest.fixture
def kernel(jp_serverapp: Any, jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """A client of a python3 kernel started through the server's kernel manager."""
    with managed_kernel(jp_serverapp, jp_asyncio_loop) as (_, client):
        yield client


async def run(client: Any, code: str) -> list[str]:
    """Run ``code`` in the kernel; its printed output, or fail with the traceback."""
    output: list[str] = []

    def on_output(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            output.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            output.append("\n".join(msg["content"]["traceback"]))

    reply = await client.execute_interactive(code, timeout=KERNEL_TIMEOUT, output_hook=on_output)
    assert reply["content"]["status"] == "ok", "".join(output)
    return output


@pytest.mark.timeout(300)
async def test_a_metric_published_in_a_kernel_reaches_a_stream(server: Server, kernel: Any) -> None:
    async with server.stream("t") as stream:
        assert (await stream.next()).event == "snapshot"
        output = await run(
            kernel,
            "import jupyter_sse as sse\n"
            'sse.channel("t").metric(step=1, loss=0.5)\n'
            "sse.flush()\n"
            'print(sse.stats()["transport"], sse.stats()["sent"])\n',
        )
        received = await stream.next(timeout=30)
    assert received.event == "metric"
    assert received.envelope["channel"] == "t"
    assert received.envelope["data"] == {"values": {"loss": 0.5}, "step": 1}
    # With Redis configured the kernel writes to Redis directly, not through the server.
    assert "".join(output).split() == [server.app.redis_url or server.base, "1"]
