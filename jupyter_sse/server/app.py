"""``SSEApp``: the server extension. It owns the configuration, the long-lived services
and the route table (``initialize_handlers``)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import uuid
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.serverapp import ServerApp
from traitlets import Bool, Float, Int, List, TraitError, TraitType, Unicode, default, validate
from traitlets.config import Config

from ..wire.assets import DASHBOARD_BOOT, HOW_TO_BUILD, STATIC_DIR
from ..wire.bounds import DEFAULT_MAX_EVENT_BYTES
from ..wire.errors import SSEConfigError
from ..wire.redis_keys import DEFAULT_PREFIX, KeyLayout, tenant_prefix
from ..wire.runtime import (
    REDIS_PREFIX_ENV,
    REDIS_URL_ENV,
    TOKEN_ENV,
    URL_ENV,
    RuntimeInfo,
    runtime_file_name,
)
from .broker.base import Broker
from .broker.memory import MemoryBroker
from .channels.service import ServerChannels
from .channels.settings import ServerChannelSettings
from .chat.presence import PresenceTracker
from .chat.route import ChatHandler, ChatLimits
from .chat.settings import ChatSettings
from .chat.watchers import WatcherBoard
from .dashboard import DashboardHandler, StaticHandler
from .descriptors import raise_open_files
from .handlers import (
    ChannelsHandler,
    HealthHandler,
    PublishHandler,
    StreamHandler,
    TokensHandler,
)
from .limits import Limits, TokenBuckets
from .metrics import COUNTS
from .publish_socket import PublishSocketHandler
from .secret import MIN_SECRET_CHARS, InvalidSecret, ServerSecret, default_secret_file
from .services import Services
from .tick import DEFAULT_MAX_DELAY, Tick
from .tokens import PublishToken
from .webhooks.config import parse_webhooks
from .webhooks.service import Webhooks
from .webhooks.settings import WebhookSettings

STOP_TIMEOUT = 5.0  # seconds stop_extension may take before the server moves on


class SSEApp(ServerChannelSettings, WebhookSettings, ChatSettings, ExtensionApp):
    """Server-Sent Events for Jupyter: ``sse/stream``, ``sse/publish`` and friends.

    The settings of the server channels, of the webhooks and of chat are inherited from
    ``channels/settings.py``, ``webhooks/settings.py`` and ``chat/settings.py``, next to
    the code that reads them.
    """

    name = "jupyter_sse"
    load_other_extensions = True

    redis_url = Unicode(
        config=True,
        help="""Redis URL (e.g. redis://localhost:6379/0). Default: the environment variable
        JUPYTER_SSE_REDIS_URL, else empty, which keeps events in this process with the
        embedded broker; set it to share one stream between several servers and
        publishing processes. Pass a password through the environment, not the command
        line (where `ps` and logs show it): the server takes the variable out of the
        environment its kernels and terminals inherit.""",
    )
    tenant = Unicode(
        config=True,
        help="""Whose channels this server holds, on a Redis shared with others. Default:
        under JupyterHub, the user (and "/<name>" for a named server), else empty (one
        server, or one team that shares everything). No stream, listing, snapshot or
        resume crosses tenants; channels under `hub/` are shared by all of them.""",
    )
    public_url = Unicode(
        config=True,
        help="""The URL people reach this server at, for the share links it makes (e.g.
        https://hub.example.org/user/alice/). Default: JUPYTERHUB_PUBLIC_URL under
        JupyterHub, else the address a request came to.""",
    )
    redis_prefix = Unicode(
        DEFAULT_PREFIX,
        config=True,
        help=f"""Start of every Redis key and pub/sub channel (default {DEFAULT_PREFIX!r}).
        Servers that share one stream use the same prefix; kernels of this server get it
        in their environment.""",
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
        help="""Streams and publish sockets one server holds at once (default 10000); more
        are refused with 429.""",
    )
    max_connections_per_user = Int(
        100,
        config=True,
        help="""Streams and publish sockets one user or viewer may hold at once (default
        100); more: 429.""",
    )
    client_buffer_bytes = Int(
        1048576,
        config=True,
        help="""Bytes a stream may hold for a client that reads slower than events arrive
        (default 1048576 = 1 MiB). Past it the connection is closed; the client resumes
        from its last event id, and the server's memory stays bounded.""",
    )
    max_write_delay = Float(
        DEFAULT_MAX_DELAY * 1000,
        config=True,
        help=f"""Milliseconds the write of new events to every stream may be held while the
        server is busy (default {DEFAULT_MAX_DELAY * 1000:g}). When writes to all streams
        take 1 ms or more (~4 ms at 1,000 streams) and new events keep coming before the
        loop had half as long again, twice in a row, the next write waits while the
        server reads requests that keep coming, until they stop (none for 0.15 of the
        last write's length), at most twice as long as the last took, and at most this;
        the events they carry then go out together in it. A quiet server writes an event
        as soon as its request is handled, a lone burst in two writes back to back, and a
        wait that gathered no more requests than writes of their own could have carried
        ends the busy spell. Higher: more requests
        between long writes (many streams, publishers sending one event per request);
        lower: less added latency. 0: never held.""",
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
    max_request_bytes = Int(
        4 * 1024 * 1024,
        config=True,
        help="""Largest body of one request, in bytes (default 4194304 = 4 MiB). A longer
        body is refused with 413 from its Content-Length, or as soon as reading passes the
        limit, before any of it is parsed. At least max_event_bytes + 4096.""",
    )
    max_concurrent_publishes = Int(
        32,
        config=True,
        help="""Publish requests whose bodies are read and parsed at once (default 32);
        more wait for none and get 429 with Retry-After. With max_request_bytes it bounds
        the memory that publishing can take.""",
    )
    max_publish_sockets = Int(
        32,
        config=True,
        help="""Publish sockets (sse/publish/socket) one server holds open at once (default
        32); more are refused with 429, and a kernel then POSTs sse/publish instead. Each
        holds at most one message of max_request_bytes: with max_request_bytes it bounds
        the memory the sockets can take.""",
    )
    max_streams_per_link = Int(
        10,
        config=True,
        help="""Streams one viewer link may hold at once (default 10): every page and tab
        that opened the link counts. More: 429.""",
    )
    max_channels = Int(
        10000,
        config=True,
        help="""Channels the embedded broker holds at once (default 10000). A new channel
        beyond it takes the place of the channel idle longest that nobody watches; when
        every channel is watched, publishing to a new one is refused with 429.""",
    )
    history_bytes = Int(
        1024 * 1024,
        config=True,
        help="""Bytes of frames kept per channel for resume (default 1048576 = 1 MiB), on
        top of history_size: the oldest go first. The embedded broker only.""",
    )
    snapshot_bytes = Int(
        1024 * 1024,
        config=True,
        help="""Bytes of latest state kept per channel for the snapshot a new viewer gets
        (default 1048576 = 1 MiB): past it the oldest metric points, log lines and table
        rows go first, then the least recently updated keys.""",
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
        "max_request_bytes",
        "max_concurrent_publishes",
        "max_publish_sockets",
        "max_streams_per_link",
        "max_channels",
        "history_bytes",
        "snapshot_bytes",
    )
    def _positive_int(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 1:
            raise TraitError(f"SSEApp.{proposal['trait'].name} must be at least 1, got {value}")
        return value

    @default("redis_url")
    def _redis_url_from_env(self) -> str:
        return os.environ.get(REDIS_URL_ENV, "")

    @default("tenant")
    def _tenant_from_hub(self) -> str:
        user = os.environ.get("JUPYTERHUB_USER", "")
        server = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
        return f"{user}/{server}" if user and server else user

    @default("public_url")
    def _public_url_from_hub(self) -> str:
        return os.environ.get("JUPYTERHUB_PUBLIC_URL", "")

    @validate("redis_prefix")
    def _key_prefix(self, proposal: dict[str, Any]) -> str:
        value: str = proposal["value"]
        try:
            KeyLayout(value)
        except SSEConfigError as e:
            raise TraitError(f"SSEApp.redis_prefix: {e}") from None
        return value

    @validate("viewer_secret")
    def _secret_length(self, proposal: dict[str, Any]) -> str:
        value: str = proposal["value"]
        if value and len(value.strip()) < MIN_SECRET_CHARS:
            raise TraitError(
                f"SSEApp.viewer_secret must be at least {MIN_SECRET_CHARS} characters (an "
                "empty or short key lets anyone sign links); leave it empty for a random one"
            )
        return value

    @validate(
        "heartbeat_interval",
        "history_ttl",
        "max_write_delay",
        "publish_rate_limit",
        "viewer_token_ttl_max",
    )
    def _non_negative(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value < 0:
            raise TraitError(f"SSEApp.{proposal['trait'].name} may not be negative, got {value}")
        return value

    faults = List(
        Unicode(),
        help="""What keeps this server from publishing, as sentences that say what to do
        (a bad setting, Redis support missing). Not a setting: filled at start; while
        it is not empty, sse/health reports `degraded` with them and publishing answers
        503.""",
    )

    def _load_config(
        self,
        cfg: Config,
        section_names: list[str] | None = None,
        traits: dict[str, TraitType[Any, Any]] | None = None,
    ) -> None:
        # A bad setting must not stop the extension from loading: every sse/* route would
        # answer 404, after a traceback. The setting keeps its default; the log says what
        # to fix, and health and publish say the server is not right (see `faults`).
        try:
            super()._load_config(cfg, section_names, traits)
        except TraitError:
            # traitlets rolled back the whole section: load the settings one by one.
            for name, trait in (traits or self.traits(config=True)).items():
                try:
                    super()._load_config(cfg, section_names, {name: trait})
                except TraitError as e:
                    self._fault(f"{e}; fix it and restart (meanwhile the default is used)")

    def _fault(self, message: str) -> None:
        self.log.error("jupyter_sse: %s; until then publishing answers 503", message)
        self.faults = [*self.faults, message]

    services: Services
    server_channels: ServerChannels  # jupyter/system, jupyter/activity, jupyter/events/*
    webhook_senders: Webhooks  # named apart from the `webhooks` setting it is made from
    watchers: WatcherBoard  # who watches which channel (presence)
    presence: PresenceTracker
    chat_limits: ChatLimits

    @property
    def _server(self) -> ServerApp:
        assert self.serverapp is not None, "SSEApp is used before it was linked to a server"
        return self.serverapp

    def initialize_settings(self) -> None:
        # Read before it leaves the environment: kernels and terminals inherit it, and a
        # user's code there must not get the server's Redis credentials.
        _ = self.redis_url
        os.environ.pop(REDIS_URL_ENV, None)
        if self.max_request_bytes < self.max_event_bytes + 4096:
            self._fault(
                f"SSEApp.max_request_bytes ({self.max_request_bytes}) must be at least "
                f"max_event_bytes + 4096 ({self.max_event_bytes + 4096}): one event must fit"
            )
            self.max_request_bytes = self.max_event_bytes + 4096
        notices = []
        if not DASHBOARD_BOOT.exists():
            notices.append(f"the dashboard and widget are not built: {HOW_TO_BUILD}")
            self.log.error("jupyter_sse: %s", notices[-1])
        secret = ServerSecret(
            Path(self.viewer_secret_file or default_secret_file()),
            self.viewer_secret.encode() or None,
            owned=not self.viewer_secret_file,
        )
        raise_open_files(self.max_connections, self.log)
        tick = Tick(self.max_write_delay / 1000)
        self.watchers = WatcherBoard(self.presence_max_watchers)
        self.services = Services(
            self._make_broker(tick),
            Limits(
                heartbeat_interval=self.heartbeat_interval,
                retry_ms=self.retry_ms,
                max_event_bytes=self.max_event_bytes,
                max_request_bytes=self.max_request_bytes,
                max_concurrent_publishes=self.max_concurrent_publishes,
                max_publish_sockets=self.max_publish_sockets,
                max_connections=self.max_connections,
                max_connections_per_user=self.max_connections_per_user,
                max_streams_per_link=self.max_streams_per_link,
                client_buffer_bytes=self.client_buffer_bytes,
                publish_rate_limit=self.publish_rate_limit,
                viewer_token_ttl_max=self.viewer_token_ttl_max,
            ),
            PublishToken(secret.current),
            secret,
            self.log,
            tick,
            audience=self.link_audience(),
            on_rotate=self.write_runtime_file,
            tenant=self.tenant,
            public_url=self.public_url,
            behind_hub="JUPYTERHUB_SERVICE_PREFIX" in os.environ,
            watchers=self.watchers.count,
            faults=self.faults,
            notices=notices,
        )
        self._attach_chat()
        self._attach_server_channels()
        self._inject_kernel_env()
        try:
            secret.current()
        except InvalidSecret as e:
            self.log.error("jupyter_sse: %s; links and publish tokens are refused until then", e)
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
                (r"/sse/publish/socket", PublishSocketHandler, api),
                (r"/sse/channels", ChannelsHandler, api),
                (r"/sse/health", HealthHandler, api),
                (r"/sse/tokens", TokensHandler, api),
                (r"/sse/chat", ChatHandler, {**api, "chat": self.chat_limits}),
                # Every route of the dashboard app is the same page (see dashboard.py).
                (r"/sse/dashboard(?:/.*)?", DashboardHandler, api),
                (r"/sse/static/(.*)", StaticHandler, {"path": str(STATIC_DIR)}),
            ]
        )

    def _make_broker(self, tick: Tick) -> Broker:
        if self.redis_url:
            try:
                # Imported here: redis is an optional dependency of the Redis deployment.
                from .broker.redis import RedisBroker
            except ModuleNotFoundError as e:
                if (e.name or "").partition(".")[0] not in ("redis", "hiredis"):
                    raise
                self._fault(
                    "c.SSEApp.redis_url is set but Redis support is not installed: "
                    "pip install 'jupyter-sse[redis]' and restart"
                )
                return self._memory_broker(tick)
            return RedisBroker(
                self.redis_url,
                prefix=self.redis_prefix,
                tenant=self.tenant,
                history_size=self.history_size,
                history_ttl=self.history_ttl,
                snapshot_bytes=self.snapshot_bytes,
                chat_messages=self.chat_snapshot_messages,
                presence=self.watchers.presence_json,
                tick=tick,
            )
        return self._memory_broker(tick)

    def _memory_broker(self, tick: Tick) -> MemoryBroker:
        return MemoryBroker(
            history_size=self.history_size,
            history_ttl=self.history_ttl,
            history_bytes=self.history_bytes,
            snapshot_bytes=self.snapshot_bytes,
            max_channels=self.max_channels,
            chat_messages=self.chat_snapshot_messages,
            presence=self.watchers.presence_json,
            tick=tick,
        )

    def _attach_chat(self) -> None:
        services = self.services
        self.chat_limits = ChatLimits(
            max_chars=self.chat_max_chars,
            rate_limit=self.chat_rate_limit,
            rate=TokenBuckets(self.chat_rate_limit, self.chat_rate_burst),
        )
        self.presence = PresenceTracker(
            services.broker,
            services.connections,
            self.watchers,
            ttl=self.presence_ttl,
            log=self.log,
        )
        services.attach(self.presence)

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
        self.webhook_senders.on_outcome = lambda hook, outcome: COUNTS.webhook(outcome)
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

    def link_audience(self) -> str:
        """Who a viewer link of this server is for: the servers that show the same stream.

        With Redis, every server on the same key prefix; else this server, by its address
        (a restart on the same port keeps its links; another server of the same user,
        which may read the same secret file, does not open them).
        """
        if self.redis_url:
            return "redis:" + tenant_prefix(self.redis_prefix, self.tenant)
        return "server:" + self.server_url()

    def publish_env(self, kernel_id: str | None = None) -> dict[str, str]:
        """The environment that lets a process publish to this server (publish rights
        only): with ``kernel_id``, a token of that kernel's own.

        Never the Redis URL, with Redis too: a kernel publishes through its server, which
        checks every event and writes it into this server's tenant. Credentials for
        Redis itself would let the kernel's code read, rewrite or delete whatever they
        reach, and publish raw frames.
        """
        token = self.services.publish_token
        return {
            URL_ENV: self.server_url(),
            TOKEN_ENV: token.mint(kernel_id) if kernel_id else token.value,
        }

    def _inject_kernel_env(self) -> None:
        manager = self._server.kernel_manager
        start_kernel = manager.start_kernel

        async def start_kernel_with_sse_env(*args: Any, **kwargs: Any) -> str:
            # The kernel's id is drawn here, as jupyter_server would, so that its publish
            # token can be its own: limits then count each kernel apart.
            kernel_id = kwargs.get("kernel_id") or str(uuid.uuid4())
            kwargs["kernel_id"] = kernel_id
            try:
                sse_env = self.publish_env(kernel_id)
            except InvalidSecret as e:
                # The kernel still starts; it just cannot publish until the secret is fixed.
                self.log.error("jupyter_sse: kernel %s gets no publish token: %s", kernel_id, e)
                sse_env = {}
            # jupyter_client takes a given env as the kernel's whole environment, so it
            # is built on top of ours; the port is read now, as it may change at bind.
            env = {**os.environ, **(kwargs.get("env") or {}), **sse_env}
            for name in (REDIS_URL_ENV, REDIS_PREFIX_ENV):
                env.pop(name, None)  # see publish_env
            kwargs["env"] = env
            started: str = await start_kernel(*args, **kwargs)
            return started

        manager.start_kernel = start_kernel_with_sse_env  # type: ignore[method-assign]

    @property
    def runtime_file(self) -> Path:
        """Where scripts started under this server (terminals) find its URL and token."""
        return Path(jupyter_runtime_dir()) / runtime_file_name(os.getpid())

    def write_runtime_file(self) -> None:
        """Write (or rewrite, after a rotation) the URL and publish token for terminals."""
        try:
            token = self.services.publish_token.value
        except InvalidSecret:
            return  # nothing to hand out; the log says why
        path = self.runtime_file
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = self.services.viewer_secret
        info: RuntimeInfo = {
            "url": self.server_url(),
            "token": token,
            "pid": os.getpid(),
            "secret": "configured" if secret.configured else str(secret.path),
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
