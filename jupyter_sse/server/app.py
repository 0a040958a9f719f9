"""``SSEApp``: the server extension. It owns the configuration, the long-lived services
and the route table (``initialize_handlers``)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from traitlets import Bool, Float, Int, TraitError, Unicode, validate

from ..wire.assets import STATIC_DIR
from ..wire.bounds import DEFAULT_MAX_EVENT_BYTES
from ..wire.runtime import REDIS_URL_ENV, TOKEN_ENV, URL_ENV, RuntimeInfo, runtime_file_name
from .broker.base import Broker
from .broker.memory import MemoryBroker
from .channels.service import ServerChannels
from .channels.settings import ServerChannelSettings
from .dashboard import DashboardHandler, StaticHandler
from .handlers import (
    ChannelsHandler,
    HealthHandler,
    PublishHandler,
    StreamHandler,
    TokensHandler,
)
from .limits import Limits
from .secret import ServerSecret, default_secret_file
from .services import Services
from .tick import Tick
from .tokens import PublishToken
from .webhooks.config import parse_webhooks
from .webhooks.service import Webhooks
from .webhooks.settings import WebhookSettings

STOP_TIMEOUT = 5.0  # seconds stop_extension may take before the server moves on


class SSEApp(ServerChannelSettings, WebhookSettings, ExtensionApp):
    """Server-Sent Events for Jupyter: ``sse/stream``, ``sse/publish`` and friends.

    The settings of the server channels and of the webhooks are inherited from
    ``channels/settings.py`` and ``webhooks/settings.py``, next to the code that reads them.
    """

    name = "jupyter_sse"
    load_other_extensions = True

    redis_url = Unicode(
        "",
        config=True,
        help="""Redis URL (e.g. redis://localhost:6379/0). Empty (the default) keeps events
        in this process with the embedded broker; set it to share one stream between
        several servers and publishing processes.""",
    )
    heartbeat_interval = Float(
        15.0,
        config=True,
        help="""Seconds between heartbeat comments on every stream (default 15), so proxies
        do not close idle connections. 0 disables heartbeats.""",
    )
    retry_ms = Int(
        2000,
        config=True,
        help="Milliseconds a browser waits before reconnecting, sent as `retry:` (default 2000).",
    )
    history_size = Int(
        1000,
        config=True,
        help="""Events kept per channel for resume (default 1000). A client that missed
        more than this gets `reset` and a fresh snapshot.""",
    )
    history_ttl = Float(
        3600.0,
        config=True,
        help="Seconds an event stays in history (default 3600); 0: kept until evicted by size.",
    )
    max_event_bytes = Int(
        DEFAULT_MAX_EVENT_BYTES,
        config=True,
        help=f"""Largest `data` of one event, in bytes of JSON (default
        {DEFAULT_MAX_EVENT_BYTES}); larger: 413.""",
    )
    max_connections = Int(
        10000,
        config=True,
        help="Streams one server holds at once (default 10000); more are refused with 429.",
    )
    max_connections_per_user = Int(
        100,
        config=True,
        help="Streams one user or viewer may hold at once (default 100); more: 429.",
    )
    client_buffer_bytes = Int(
        1048576,
        config=True,
        help="""Bytes a stream may hold for a client that reads slower than events arrive
        (default 1048576 = 1 MiB). Past it the connection is closed; the client resumes
        from its last event id, and the server's memory stays bounded.""",
    )
    publish_rate_limit = Float(
        0.0,
        config=True,
        help="""Events per second one caller may publish, with bursts of one second's worth
        (default 0 = no limit). Over it, publish answers 429 with Retry-After.""",
    )
    viewer_secret = Unicode(
        "",
        config=True,
        help="""Secret that signs viewer tokens and derives the publish token. Empty (the
        default): a random secret kept in `viewer_secret_file`. Changing it revokes every
        viewer link and publish token issued before. Servers sharing a Redis should share it.""",
    )
    viewer_secret_file = Unicode(
        "",
        config=True,
        help="""File holding the server secret, created 0600 when missing. Default:
        `jupyter_sse_viewer_secret` in the Jupyter data dir, so links and publish tokens
        survive restarts. `jupyter sse rotate-secret` replaces it and revokes them all.""",
    )
    viewer_token_ttl_max = Float(
        7 * 24 * 3600.0,
        config=True,
        help="Longest lifetime of a viewer token, in seconds (default 604800 = 7 days).",
    )
    freeze_gc = Bool(
        True,
        config=True,
        help="""Once the server has started, move every object it holds to the garbage
        collector's permanent generation (`gc.freeze()`), so that full collections scan
        only what was created since (default True). A JupyterLab server holds ~200,000
        objects at start, and scanning them paused every stream for ~100 ms after each
        wave of new connections. The cost: an object alive at start that later ends up
        in a reference cycle is never freed. False leaves the collector alone.""",
    )

    @validate(
        "retry_ms",
        "history_size",
        "max_event_bytes",
        "max_connections",
        "max_connections_per_user",
        "client_buffer_bytes",
    )
    def _positive_int(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 1:
            raise TraitError(f"SSEApp.{proposal['trait'].name} must be at least 1, got {value}")
        return value

    @validate("heartbeat_interval", "history_ttl", "publish_rate_limit", "viewer_token_ttl_max")
    def _non_negative(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value < 0:
            raise TraitError(f"SSEApp.{proposal['trait'].name} may not be negative, got {value}")
        return value

    services: Services
    server_channels: ServerChannels  # jupyter/system, jupyter/activity, jupyter/events/*
    webhook_senders: Webhooks  # named apart from the `webhooks` setting it is made from

    @property
    def _server(self) -> ServerApp:
        assert self.serverapp is not None, "SSEApp is used before it was linked to a server"
        return self.serverapp

    def initialize_settings(self) -> None:
        secret = ServerSecret(
            Path(self.viewer_secret_file or default_secret_file()),
            self.viewer_secret.encode() or None,
        )
        tick = Tick()
        self.services = Services(
            self._make_broker(tick),
            Limits(
                heartbeat_interval=self.heartbeat_interval,
                retry_ms=self.retry_ms,
                max_event_bytes=self.max_event_bytes,
                max_connections=self.max_connections,
                max_connections_per_user=self.max_connections_per_user,
                client_buffer_bytes=self.client_buffer_bytes,
                publish_rate_limit=self.publish_rate_limit,
                viewer_token_ttl_max=self.viewer_token_ttl_max,
            ),
            PublishToken(secret.current),
            secret,
            self.log,
            tick,
        )
        self._attach_server_channels()
        self._inject_kernel_env()
        self.log.info(
            "jupyter_sse: %s broker, streams at %ssse/stream",
            self.services.broker.kind,
            self._server.base_url,
        )

    def initialize_handlers(self) -> None:
        """Every route of the extension, relative to the server's base_url."""
        api = {"services": self.services}
        self.handlers.extend(
            [
                (r"/sse/stream", StreamHandler, api),
                (r"/sse/publish", PublishHandler, api),
                (r"/sse/channels", ChannelsHandler, api),
                (r"/sse/health", HealthHandler, api),
                (r"/sse/tokens", TokensHandler, api),
                (r"/sse/dashboard", DashboardHandler, api),
                (r"/sse/static/(.*)", StaticHandler, {"path": str(STATIC_DIR)}),
            ]
        )

    def _make_broker(self, tick: Tick) -> Broker:
        if self.redis_url:
            # Imported here: redis is an optional dependency of the Redis deployment only.
            from .broker.redis import RedisBroker

            return RedisBroker(
                self.redis_url,
                history_size=self.history_size,
                history_ttl=self.history_ttl,
                tick=tick,
            )
        return MemoryBroker(history_size=self.history_size, history_ttl=self.history_ttl, tick=tick)

    def _attach_server_channels(self) -> None:
        services = self.services
        self.server_channels = ServerChannels(
            services.broker,
            services.connections,
            self._server,
            system_interval=self.system_interval,
            notify_cells_after=self.notify_cells_after,
            max_event_bytes=self.max_event_bytes,
            log=self.log,
        )
        self.webhook_senders = Webhooks(
            services.broker,
            parse_webhooks(self.webhooks),
            queue_size=self.webhook_queue_size,
            timeout=self.webhook_timeout,
            retries=self.webhook_retries,
            log=self.log,
        )
        services.attach(self.server_channels)
        services.attach(self.webhook_senders)

    # --- reaching the server from kernels ----------------------------------------------

    def server_url(self) -> str:
        """The URL this server's own kernels and scripts reach it at (ends with ``/``)."""
        app = self._server
        # Kernels run on this machine: loopback works whatever interface the server binds,
        # and needs no name resolution. A specific address is kept as given.
        ip = app.ip if app.ip not in ("", "0.0.0.0", "::", "localhost") else "127.0.0.1"
        host = f"[{ip}]" if ":" in ip else ip
        scheme = "https" if app.certfile else "http"
        return f"{scheme}://{host}:{app.port}{app.base_url}"

    def publish_env(self) -> dict[str, str]:
        """The environment that lets a process publish to this server (publish rights only)."""
        env = {URL_ENV: self.server_url(), TOKEN_ENV: self.services.publish_token.value}
        if self.redis_url:
            env[REDIS_URL_ENV] = self.redis_url
        return env

    def _inject_kernel_env(self) -> None:
        manager = self._server.kernel_manager
        start_kernel = manager.start_kernel

        async def start_kernel_with_sse_env(*args: Any, **kwargs: Any) -> str:
            # jupyter_client takes a given env as the kernel's whole environment, so it
            # is built on top of ours; the port is read now, as it may change at bind.
            kwargs["env"] = {**os.environ, **(kwargs.get("env") or {}), **self.publish_env()}
            kernel_id: str = await start_kernel(*args, **kwargs)
            return kernel_id

        manager.start_kernel = start_kernel_with_sse_env  # type: ignore[method-assign]

    @property
    def runtime_file(self) -> Path:
        """Where scripts started under this server (terminals) find its URL and token."""
        return Path(jupyter_runtime_dir()) / runtime_file_name(os.getpid())

    def write_runtime_file(self) -> None:
        path = self.runtime_file
        path.parent.mkdir(parents=True, exist_ok=True)
        info: RuntimeInfo = {
            "url": self.server_url(),
            "token": self.services.publish_token.value,
            "pid": os.getpid(),
        }
        # 0600 from creation: the token must never be readable by other users, not even
        # between a create and a chmod.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)

    # --- lifecycle ----------------------------------------------------------------------

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        await self.services.start()
        self.write_runtime_file()
        if self.freeze_gc:
            # On the loop's next turn, once the other extensions have started too.
            asyncio.get_running_loop().call_soon(self._freeze_gc)

    def _freeze_gc(self) -> None:
        # Garbage first, so that nothing dead is kept forever by the freeze.
        gc.collect()
        gc.freeze()
        self.log.info(
            "jupyter_sse: %d objects held at start frozen for the garbage collector "
            "(c.SSEApp.freeze_gc)",
            gc.get_freeze_count(),
        )

    async def stop_extension(self) -> None:
        self.runtime_file.unlink(missing_ok=True)
        await self.services.stop(STOP_TIMEOUT)
