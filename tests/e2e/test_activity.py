"""``jupyter/activity`` and the kernel rows of ``jupyter/system``, with real kernels.

The server learns everything from the kernels' own messages: the cells run here are
plain Python, with nothing of jupyter_sse in them.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.kernels import KERNEL_TIMEOUT, managed_kernel, save_notebook
from tests.support.receiver import Receiver
from tests.support.server import Server, wait_for
from tests.support.sse_client import Event, StreamReader

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def sse_config() -> dict[str, Any]:
    return {"notify_cells_after": 1, "system_interval": 0.5}


class Kernel:
    """A kernel of a notebook session, started through the server's REST API (as
    JupyterLab does), and a client to run cells in it."""

    def __init__(self, server: Server, kernel_id: str, client: Any) -> None:
        self.server = server
        self.id = kernel_id
        self.client = client

    async def run(self, code: str) -> dict[str, Any]:
        reply: dict[str, Any] = await self.client.execute_interactive(
            code, timeout=KERNEL_TIMEOUT, output_hook=lambda msg: None
        )
        return reply["content"]


async def open_session(server: Server, path: str) -> Kernel:
    await save_notebook(server, path)
    r = await server.client.post(
        server.base + "api/sessions",
        headers=server.auth,
        content=json.dumps({"path": path, "type": "notebook", "kernel": {"name": "python3"}}),
        timeout=KERNEL_TIMEOUT,
    )
    assert r.status_code == 201, r.text
    kernel_id = r.json()["kernel"]["id"]
    client = server.app.serverapp.kernel_manager.get_kernel(kernel_id).client()
    client.start_channels()
    await client.wait_for_ready(timeout=KERNEL_TIMEOUT)
    return Kernel(server, kernel_id, client)


@pytest.fixture
def notebook(server: Server, jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[Kernel]:
    """The kernel of ``train.ipynb``, started once the extension runs."""

    async def start() -> Kernel:
        assert (await server.get("sse/health", headers=server.auth)).status_code == 200
        return await open_session(server, "train.ipynb")

    kernel = jp_asyncio_loop.run_until_complete(start())
    try:
        yield kernel
    finally:
        kernel.client.stop_channels()


async def next_matching(stream: StreamReader, what: Any, timeout: float = 60) -> Event:
    while True:
        event = await stream.next(timeout)
        if event.event != "snapshot" and what(event.envelope):
            return event


def notice(envelope: dict[str, Any]) -> bool:
    return bool(envelope["type"] == "notify")


def busy(kernel_id: str) -> Any:
    def matches(envelope: dict[str, Any]) -> bool:
        data = envelope["data"]
        return bool(
            envelope["type"] == "status" and data["key"] == kernel_id and data["value"] == "busy"
        )

    return matches


async def test_a_long_cell_finishing_and_failing_is_announced_and_a_short_one_is_not(
    server: Server, notebook: Kernel
) -> None:
    async with server.stream("jupyter/activity") as s:
        assert (await notebook.run("import time; time.sleep(3)"))["status"] == "ok"
        finished = (await next_matching(s, notice)).envelope["data"]
        assert (await notebook.run("time.sleep(0.2)"))["status"] == "ok"
        assert (await notebook.run("time.sleep(1.2); 1/0"))["status"] == "error"
        # The next notice is the failure: nothing came of the 0.2 s cell before it.
        failed = (await next_matching(s, notice)).envelope["data"]
    assert finished["level"] == "success"
    assert finished["cell"] == 1
    assert finished["path"] == finished["title"] == "train.ipynb"
    assert finished["kernel_id"] == notebook.id
    assert 3 <= finished["duration"] < 60
    assert re.fullmatch(r"train\.ipynb: cell 1 finished in \d+ s", finished["message"])
    assert failed["level"] == "error"
    assert failed["cell"] == 3
    assert failed["error"] == {"ename": "ZeroDivisionError", "evalue": "division by zero"}
    assert 1.2 <= failed["duration"] < 60
    assert re.fullmatch(
        r"train\.ipynb: cell 3 failed after \d+ s: ZeroDivisionError: division by zero",
        failed["message"],
    )


def kernel_status(kernel_id: str, value: str, path: str | None = None) -> Any:
    def match(envelope: dict[str, Any]) -> bool:
        data = envelope["data"]
        return bool(
            envelope["type"] == "status"
            and data["key"] == kernel_id
            and data["value"] == value
            and (path is None or data["path"] == path)
        )

    return match


async def test_statuses_follow_a_kernel_from_busy_to_restarting_to_dead(
    server: Server, notebook: Kernel
) -> None:
    async with server.stream("jupyter/activity") as s:
        run = asyncio.ensure_future(notebook.run("import time; time.sleep(1)"))
        # The session's path is looked up after the kernel starts: a status may come
        # without it first, and again with it once it is known.
        busy = (await next_matching(s, kernel_status(notebook.id, "busy", "train.ipynb"))).envelope[
            "data"
        ]
        await next_matching(s, kernel_status(notebook.id, "idle"))
        await run
        r = await server.client.post(
            server.base + f"api/kernels/{notebook.id}/restart",
            headers=server.auth,
            timeout=KERNEL_TIMEOUT,
        )
        assert r.status_code == 200, r.text
        await next_matching(s, kernel_status(notebook.id, "restarting"))
        # Still followed after the restart: a cell of the new process is seen.
        await notebook.client.wait_for_ready(timeout=KERNEL_TIMEOUT)
        assert (await notebook.run("import time; time.sleep(1.5)"))["status"] == "ok"
        after = (await next_matching(s, notice)).envelope["data"]
        r = await server.client.delete(
            server.base + f"api/kernels/{notebook.id}", headers=server.auth
        )
        assert r.status_code == 204, r.text
        dead = (await next_matching(s, kernel_status(notebook.id, "dead"))).envelope["data"]
    assert busy == {
        "key": notebook.id,
        "value": "busy",
        "variant": "info",
        "path": "train.ipynb",
        "kernel_name": "python3",
    }
    assert after["cell"] == 1  # the restarted kernel counts from 1 again
    assert dead["path"] == "train.ipynb"
    assert notebook.id not in server.app.server_channels.activity.following()


@pytest.fixture
def early_kernel(jp_serverapp: Any, jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """A kernel started before the extension's services (and its channels) started."""
    with managed_kernel(jp_serverapp, jp_asyncio_loop) as started:
        yield started


async def test_a_kernel_started_before_the_channel_is_followed(
    server: Server, early_kernel: Any
) -> None:
    kernel_id, client = early_kernel
    async with server.stream("jupyter/activity") as s:
        snapshot = (await s.next()).envelope["data"]
        # Found when the channel started, and announced with the state the server knew.
        assert snapshot["status"][kernel_id]["value"] in ("starting", "idle")
        assert snapshot["status"][kernel_id]["path"] is None
        # The server has only just begun to read this kernel's messages, and a ZMQ
        # subscription misses what is sent before it is joined: short cells until one
        # shows (busy), so that the timed cell is read from its start.
        for _ in range(20):
            await client.execute_interactive("pass", silent=True, store_history=False, timeout=60)
            try:
                await asyncio.wait_for(next_matching(s, busy(kernel_id)), 2)
                break
            except asyncio.TimeoutError:
                continue
        reply = await client.execute_interactive("import time; time.sleep(1.5)", timeout=60)
        assert reply["content"]["status"] == "ok"
        data = (await next_matching(s, notice)).envelope["data"]
    assert data["kernel_id"] == kernel_id
    assert data["path"] is None
    assert re.fullmatch(rf"python3 {kernel_id[:8]}: cell 1 finished in \d+ s", data["message"])


async def test_a_busy_kernel_shows_its_cpu_on_the_system_channel(
    server: Server, notebook: Kernel
) -> None:
    async with server.stream("jupyter/system") as s:
        busy = asyncio.ensure_future(
            notebook.run("import time\nend = time.time() + 30\nwhile time.time() < end: pass")
        )

        def busy_row(envelope: dict[str, Any]) -> bool:
            if envelope["type"] != "system.kernels":
                return False
            rows = {row["id"]: row for row in envelope["data"]["kernels"]}
            row = rows.get(notebook.id)
            return bool(row and row["cpu_percent"] and row["cpu_percent"] > 0)

        row = next(
            r
            for r in (await next_matching(s, busy_row)).envelope["data"]["kernels"]
            if r["id"] == notebook.id
        )
        await server.client.post(
            server.base + f"api/kernels/{notebook.id}/interrupt", headers=server.auth
        )
        await busy
    assert row["path"] == "train.ipynb"
    assert row["name"] == "python3"
    assert row["execution_state"] == "busy"
    assert row["rss"] > 10 * 2**20


RECEIVER = Receiver()


@pytest.mark.parametrize(
    "sse_config", [{"webhooks": [{"url": RECEIVER.url + "/alerts", "format": "generic"}]}]
)
async def test_a_kernel_cannot_publish_to_the_server_channels_but_its_alert_goes_out(
    server: Server, notebook: Kernel
) -> None:
    RECEIVER.received.clear()
    RECEIVER.start()
    try:
        output: list[str] = []
        reply = await notebook.client.execute_interactive(
            "import jupyter_sse as sse\n"
            "try:\n"
            "    sse.channel('jupyter/activity').notify('forged')\n"
            "except sse.SSEValueError as e:\n"
            "    print('refused:', e)\n"
            "sse.channel('train').alert('loss diverged', level='info')\n"
            "sse.flush()\n",
            timeout=KERNEL_TIMEOUT,
            output_hook=lambda msg: output.append(msg["content"].get("text", "")),
        )
        assert reply["content"]["status"] == "ok", output
        await wait_for(lambda: RECEIVER.received, timeout=30, what="the alert at the receiver")
    finally:
        await RECEIVER.stop()
    assert "refused: channel 'jupyter/activity' is in the jupyter/ namespace" in "".join(output)
    (posted,) = RECEIVER.received
    assert posted.path == "/alerts"
    body = posted.json
    assert (body["channel"], body["type"]) == ("train", "notify")
    # An alert goes out whatever its level: info passes the default filter.
    assert body["data"] == {"message": "loss diverged", "level": "info", "alert": True}
