"""``jupyter/activity``: each kernel's lifecycle, and notices when a long cell ends.

- The server reads its kernels' own IOPub messages, on a subscription of its own per
  kernel (as jupyter_server does to track ``execution_state``): nothing runs in the
  user's kernel. ``status`` messages give busy and idle; an ``execute_request``'s busy,
  ``execute_input`` (its execution count), ``error`` and idle give a cell's duration and
  outcome; a ``shutdown_reply`` with ``restart`` says a restart began.
- Kernels are found when they start or restart (the ``kernel_actions`` events of the
  event bus), when the channel starts (kernels that were already running), and by a
  check every few seconds (a kernel manager that emits no events); they are dropped
  when they shut down, or die for good (the restarter's ``dead``).
- A ``status`` (``KernelStatus``) is published when a kernel's state changes, or its
  notebook path does; a ``notify`` (``CellNotice``) when a cell that ran at least
  ``notify_cells_after`` seconds finishes or fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Final, cast, get_args

from jupyter_client.session import Session
from tornado.ioloop import PeriodicCallback
from zmq.eventloop.zmqstream import ZMQStream

from ...wire.json_text import loads
from ...wire.server_channels import ACTIVITY_CHANNEL, KernelState, KernelStatus
from .kernels import KernelDirectory
from .notices import CellRun, cell_notice
from .publisher import ServerPublisher

KERNEL_STATES: Final = frozenset(get_args(KernelState))
VARIANTS: Final[dict[str, str]] = {
    "starting": "warning",
    "restarting": "warning",
    "idle": "default",
    "busy": "info",
    "dead": "error",
}
# The IOPub messages read whole; any other is dropped after a look at its header, so a
# cell's large outputs cost a JSON parse of the header, not a signature check.
WANTED: Final = frozenset({"status", "execute_input", "error", "shutdown_reply"})
RECONCILE_INTERVAL: Final = 2.0  # seconds between checks for kernels not followed yet
MAX_RUNNING: Final = 64  # cells timed at once per kernel (queued executions past it: not)

# What jupyter_server's kernel manager counts as activity when it tracks execution_state
# (``MappingKernelManager.track_message_type``), for a kernel manager without it.
UNTRACKED: Final = frozenset(
    {"comm_info_request", "kernel_info_request", "shutdown_request", "interrupt_request"}
)


class _Kernel:
    """One kernel the channel follows."""

    __slots__ = ("callbacks", "cells", "km", "name", "ports", "session", "state", "stream")

    def __init__(self, km: Any, name: str | None) -> None:
        self.km = km
        self.name = name
        self.state: str | None = None
        self.stream: ZMQStream | None = None
        self.session: Session | None = None
        self.ports: list[int] = []
        self.cells: dict[str, CellRun] = {}  # by the execute_request's msg_id
        self.callbacks: list[tuple[Callable[[], None], str]] = []


class ActivityChannel:
    """Follows every kernel of the server and publishes to ``jupyter/activity``."""

    def __init__(
        self,
        publisher: ServerPublisher,
        kernels: KernelDirectory,
        *,
        notify_after: float,
        track_message_type: Callable[[str | None], bool] | None,
        log: logging.Logger,
    ) -> None:
        self._publisher = publisher
        self._kernels = kernels
        self._notify_after = notify_after
        self._tracked = track_message_type or (lambda t: t not in UNTRACKED)
        self._log = log
        self._followed: dict[str, _Kernel] = {}
        self._timer: PeriodicCallback | None = None
        kernels.on_change(self._paths_changed)

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        self.reconcile()
        self._timer = PeriodicCallback(self.reconcile, RECONCILE_INTERVAL * 1000)
        self._timer.start()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        for kernel in self._followed.values():
            self._disconnect(kernel)
        self._followed.clear()

    def following(self) -> set[str]:
        return set(self._followed)

    def reconcile(self) -> None:
        """Follow the kernels not followed yet; end the ones that are gone."""
        ids = set(self._kernels.ids())
        for kernel_id in ids - self._followed.keys():
            self.follow(kernel_id)
        for kernel_id in self._followed.keys() - ids:
            self._ended(kernel_id)

    def kernel_action(self, event: dict[str, Any]) -> None:
        """A ``kernel_actions`` event of the event bus (start, restart, shutdown)."""
        kernel_id = event.get("kernel_id")
        if event.get("status") != "success" or not isinstance(kernel_id, str):
            return
        action = event.get("action")
        if action == "start":
            # Emitted before the kernel manager lists the kernel: once this callback
            # is over, it does (or the next reconcile finds it).
            asyncio.get_running_loop().call_soon(self.follow, kernel_id)
        elif action == "restart":
            self._restarted(kernel_id)
        elif action == "shutdown":
            self._ended(kernel_id)

    # --- following one kernel ---------------------------------------------------------

    def follow(self, kernel_id: str) -> None:
        if kernel_id in self._followed:
            return
        km = self._kernels.manager(kernel_id)
        if km is None:
            return
        state = self._kernels.execution_state(kernel_id)
        kernel = self._followed[kernel_id] = _Kernel(km, self._kernels.name(kernel_id))
        self._connect(kernel_id, kernel)
        for event, callback in (
            ("restart", partial(self._auto_restart, kernel_id)),
            ("dead", partial(self._ended, kernel_id)),
        ):
            km.add_restart_callback(callback, event)
            kernel.callbacks.append((callback, event))
        self._kernels.request_refresh()
        self._set_state(
            kernel_id, kernel, state if state is not None and state in KERNEL_STATES else "starting"
        )

    def _connect(self, kernel_id: str, kernel: _Kernel) -> None:
        km = kernel.km
        try:
            stream = km.connect_iopub()
        except (AttributeError, NotImplementedError, RuntimeError) as e:
            # A kernel whose messages this server cannot read (a remote gateway's):
            # its lifecycle still shows, from the kernel manager's events.
            self._log.info("jupyter_sse: not reading the messages of kernel %s: %s", kernel_id, e)
            return
        if not isinstance(stream, ZMQStream):
            stream = ZMQStream(stream)
        # A session of our own: a Session remembers the signatures it has seen, and would
        # refuse a message another reader of the same kernel checked first.
        kernel.session = Session(config=km.session.config, key=km.session.key)
        kernel.ports = list(getattr(km, "ports", []))
        kernel.stream = stream
        stream.on_recv(partial(self._on_iopub, kernel_id, kernel))

    def _disconnect(self, kernel: _Kernel) -> None:
        self._disconnect_stream(kernel)
        for callback, event in kernel.callbacks:
            kernel.km.remove_restart_callback(callback, event)
        kernel.callbacks.clear()

    def _restarted(self, kernel_id: str) -> None:
        """The kernel runs again (a restart completed): a new process, maybe new ports."""
        kernel = self._followed.get(kernel_id)
        if kernel is None:
            self.follow(kernel_id)
            return
        kernel.cells.clear()
        if list(getattr(kernel.km, "ports", [])) != kernel.ports:
            self._disconnect_stream(kernel)
            self._connect(kernel_id, kernel)
        if kernel.state == "restarting":
            # Until its first message: the new process is starting up.
            self._set_state(kernel_id, kernel, "starting")

    def _disconnect_stream(self, kernel: _Kernel) -> None:
        stream, kernel.stream = kernel.stream, None
        if stream is not None and not stream.closed():
            stream.on_recv(None)
            stream.close()

    def _auto_restart(self, kernel_id: str) -> None:
        """The restarter found the kernel dead and starts it again."""
        kernel = self._followed.get(kernel_id)
        if kernel is not None:
            kernel.cells.clear()
            self._set_state(kernel_id, kernel, "restarting")

    def _ended(self, kernel_id: str) -> None:
        kernel = self._followed.pop(kernel_id, None)
        if kernel is not None:
            self._set_state(kernel_id, kernel, "dead")
            self._disconnect(kernel)

    # --- the kernel's messages -------------------------------------------------------

    def _on_iopub(self, kernel_id: str, kernel: _Kernel, parts: list[bytes]) -> None:
        session = kernel.session
        if session is None or self._followed.get(kernel_id) is not kernel:
            return
        try:
            _, frames = session.feed_identities(parts)
            # ZMQStream hands whole messages as bytes (it receives with copy=True).
            msg_type = loads(cast(bytes, frames[1])).get("msg_type")
            if msg_type not in WANTED:
                return
            msg = session.deserialize(frames)
            parent = msg.get("parent_header") or {}
            content = msg["content"]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
            self._log.debug("jupyter_sse: unreadable message from kernel %s: %s", kernel_id, e)
            return
        parent_id, parent_type = parent.get("msg_id"), parent.get("msg_type")
        if msg_type == "status":
            self._status(kernel_id, kernel, content.get("execution_state"), parent_id, parent_type)
        elif msg_type == "execute_input" and isinstance(parent_id, str):
            count = content.get("execution_count")
            self._cell(kernel, parent_id).count = count if isinstance(count, int) else None
            self._kernels.request_refresh()  # the notice will name the notebook as it is now
        elif msg_type == "error" and parent_id in kernel.cells:
            kernel.cells[parent_id].error = {
                "ename": str(content.get("ename", "")),
                "evalue": str(content.get("evalue", "")),
            }
        elif msg_type == "shutdown_reply" and content.get("restart"):
            self._set_state(kernel_id, kernel, "restarting")

    def _status(
        self,
        kernel_id: str,
        kernel: _Kernel,
        state: object,
        parent_id: object,
        parent_type: object,
    ) -> None:
        if state not in KERNEL_STATES:
            return
        parent_type = parent_type if isinstance(parent_type, str) else None
        # jupyter_server's rule: a state counts when it answers a user's request; the
        # first answer of any kind ends "starting".
        if self._tracked(parent_type):
            self._set_state(kernel_id, kernel, cast(str, state))
        elif kernel.state in ("starting", "restarting") and state != "starting":
            self._set_state(kernel_id, kernel, "idle")
        if parent_type != "execute_request" or not isinstance(parent_id, str):
            return
        if state == "busy":
            self._cell(kernel, parent_id)
        elif state == "idle":
            cell = kernel.cells.pop(parent_id, None)
            if cell is not None and cell.count is not None:
                self._finished(kernel_id, kernel, cell)

    def _cell(self, kernel: _Kernel, parent_id: str) -> CellRun:
        cell = kernel.cells.get(parent_id)
        if cell is None:
            if len(kernel.cells) >= MAX_RUNNING:
                del kernel.cells[next(iter(kernel.cells))]
            cell = kernel.cells[parent_id] = CellRun(time.monotonic())
        return cell

    def _finished(self, kernel_id: str, kernel: _Kernel, cell: CellRun) -> None:
        if self._notify_after <= 0:
            return
        duration = time.monotonic() - cell.start
        if duration < self._notify_after:
            return
        notice = cell_notice(cell, duration, kernel_id, self._kernels.path(kernel_id), kernel.name)
        self._publisher.publish(ACTIVITY_CHANNEL, "notify", notice)

    # --- statuses ---------------------------------------------------------------------

    def _set_state(self, kernel_id: str, kernel: _Kernel, state: str) -> None:
        if state != kernel.state:
            kernel.state = state
            self._publish_status(kernel_id, kernel)
            if self._kernels.path(kernel_id) is None:
                # A notebook's session is saved after its kernel started: its path is
                # looked up again (and a status with it follows) until it is known.
                self._kernels.request_refresh()

    def _publish_status(self, kernel_id: str, kernel: _Kernel) -> None:
        state = kernel.state
        if state is None:
            return
        status: KernelStatus = {
            "key": kernel_id,
            "value": cast(KernelState, state),
            "variant": VARIANTS[state],
            "path": self._kernels.path(kernel_id),
            "kernel_name": kernel.name,
        }
        self._publisher.publish(ACTIVITY_CHANNEL, "status", status)

    def _paths_changed(self, kernel_ids: set[str]) -> None:
        for kernel_id in kernel_ids:
            kernel = self._followed.get(kernel_id)
            if kernel is not None:
                self._publish_status(kernel_id, kernel)
