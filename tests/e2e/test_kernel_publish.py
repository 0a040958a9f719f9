"""End to end: a real kernel started by the server publishes, a stream receives it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_sse.server.secret import ServerSecret
from tests.support.kernels import KERNEL_TIMEOUT, managed_kernel
from tests.support.server import Server, wait_for


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
    # With Redis too the kernel publishes through its server: it holds no Redis
    # credentials (the server checks each event and writes it into its own tenant).
    assert "".join(output).split() == [server.base, "1"]


@pytest.mark.parametrize("broker_kind", ["memory"])
@pytest.mark.timeout(300)
async def test_a_kernel_keeps_publishing_after_the_secret_rotates(
    server: Server, kernel: Any
) -> None:
    """Rotation broke the publish token of every running kernel: its events were dropped
    as refused. The kernel now reads the new token from its server's runtime file."""
    app = server.app
    await app.services.start()
    app.write_runtime_file()
    async with server.stream("t") as stream:
        await stream.next()
        await run(kernel, 'import jupyter_sse as sse\nsse.channel("t").log("before")\nsse.flush()')
        assert (await stream.next(timeout=30)).envelope["data"]["text"] == "before"
        before = app.runtime_file.read_text()
        ServerSecret(app.services.viewer_secret.path).rotate()
        await wait_for(lambda: app.runtime_file.read_text() != before, what="the new token")
        output = await run(
            kernel,
            'sse.channel("t").log("after")\nsse.flush()\nprint(sse.stats()["failed"])',
        )
        assert (await stream.next(timeout=30)).envelope["data"]["text"] == "after"
    assert "".join(output).strip() == "0"


@pytest.mark.timeout(300)
async def test_a_kernel_cannot_chat(server: Server, kernel: Any) -> None:
    """With everything in its environment, a kernel's code gets 403 from sse/chat: it
    publishes notify or log events, and people chat."""
    output = await run(
        kernel,
        "import json, os, urllib.request, urllib.error\n"
        "request = urllib.request.Request(\n"
        '    os.environ["JUPYTER_SSE_URL"] + "sse/chat",\n'
        '    data=json.dumps({"channel": "talk", "text": "hello from a kernel"}).encode(),\n'
        '    headers={"Authorization": "token " + os.environ["JUPYTER_SSE_TOKEN"]},\n'
        ")\n"
        "try:\n"
        "    urllib.request.urlopen(request)\n"
        "except urllib.error.HTTPError as e:\n"
        '    print(e.code, json.loads(e.read())["error"])\n',
    )
    assert "".join(output).startswith("403 kernels and publish tokens cannot chat")
    assert "talk" not in await server.channels()


@pytest.mark.parametrize("broker_kind", ["memory"])
@pytest.mark.timeout(300)
async def test_tqdm_in_a_notebook_kernel_draws_its_widget_and_publishes(
    server: Server, kernel: Any
) -> None:
    """tqdm.auto picks the notebook bar in a kernel: jupyter_sse.tqdm still shows it as
    tqdm would, and the channel gets the bar too."""
    shown: list[str] = []

    def on_output(msg: dict[str, Any]) -> None:
        if msg["msg_type"] in ("display_data", "update_display_data"):
            shown.extend(msg["content"]["data"])
        elif msg["msg_type"] == "error":
            shown.append("\n".join(msg["content"]["traceback"]))

    async with server.stream("k/tqdm") as stream:
        assert (await stream.next()).event == "snapshot"
        reply = await kernel.execute_interactive(
            "import jupyter_sse as sse\n"
            "from jupyter_sse import tqdm\n"
            "from tqdm.notebook import tqdm_notebook\n"
            "assert issubclass(tqdm, tqdm_notebook), tqdm.__mro__\n"
            'for _ in tqdm(range(25), desc="cells", channel="k/tqdm"):\n'
            "    pass\n"
            "sse.flush()\n",
            timeout=KERNEL_TIMEOUT,
            output_hook=on_output,
        )
        assert reply["content"]["status"] == "ok", shown
        while True:
            data = (await stream.next(timeout=30)).envelope["data"]
            if data.get("done"):
                break
    assert data["key"] == "cells"
    assert (data["value"], data["total"]) == (25, 25)
    assert "application/vnd.jupyter.widget-view+json" in shown
