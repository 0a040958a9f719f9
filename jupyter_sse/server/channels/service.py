"""``ServerChannels``: the server's own channels, started and stopped with its services."""

from __future__ import annotations

import logging
from typing import Any, Final

from ..broker.base import Broker
from ..streams import EventStreams
from .activity import ActivityChannel
from .events import EventBusBridge
from .kernels import KernelDirectory
from .publisher import ServerPublisher
from .system import SystemChannel

KERNEL_ACTIONS: Final = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"


class ServerChannels:
    """``jupyter/system``, ``jupyter/activity`` and ``jupyter/events/*`` of one server.

    ``serverapp`` gives the kernel manager, the session manager, the event logger and
    the root dir; ``streams`` tells the system channel when it is watched.
    """

    def __init__(
        self,
        broker: Broker,
        streams: EventStreams,
        serverapp: Any,
        *,
        system_interval: float,
        notify_cells_after: float,
        max_event_bytes: int,
        log: logging.Logger,
    ) -> None:
        self.publisher = ServerPublisher(broker, log, max_event_bytes=max_event_bytes)
        kernel_manager = serverapp.kernel_manager
        self.kernels = KernelDirectory(kernel_manager, serverapp.session_manager, log)
        self.system = SystemChannel(
            self.publisher,
            self.kernels,
            root_dir=serverapp.root_dir,
            interval=system_interval,
            log=log,
        )
        self.activity = ActivityChannel(
            self.publisher,
            self.kernels,
            notify_after=notify_cells_after,
            track_message_type=getattr(kernel_manager, "track_message_type", None),
            log=log,
        )
        self.bridge = EventBusBridge(serverapp.event_logger, self.publisher, log)
        self.bridge.listen(KERNEL_ACTIONS, lambda _, event: self.activity.kernel_action(event))
        streams.watch(self.system.stream_changed)

    async def start(self) -> None:
        self.publisher.start()
        self.bridge.start()
        await self.activity.start()

    async def stop(self) -> None:
        self.system.stop()
        self.bridge.stop()
        await self.activity.stop()
        await self.kernels.stop()
        await self.publisher.stop()
