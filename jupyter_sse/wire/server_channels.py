"""The server's own channels: their names and the shapes of the events they carry.

Only the server publishes under ``jupyter/`` (``names.RESERVED_PREFIX``):

* ``jupyter/system``: ``metric`` events (``SystemValues``) every ``system_interval``
  seconds while a stream subscribes, plus ``system.kernels`` and ``system.info``;
* ``jupyter/activity``: a ``status`` per kernel (``KernelStatus``) and a ``notify`` when
  a long cell finishes or fails (``CellNotice``);
* ``jupyter/events/<name>``: jupyter_server's event bus (``BusEvent``), one channel per
  schema, named by ``events_channel``.

The README's "Server channels" section documents the same shapes for other readers.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final, Literal, NotRequired, TypedDict
from urllib.parse import urlsplit

from .events import BUILTIN_TYPES
from .names import CHANNEL_RE, CONTROL_TYPES, RESERVED_PREFIX, SERVER_TYPES, TYPE_RE

SYSTEM_CHANNEL: Final = RESERVED_PREFIX + "system"
ACTIVITY_CHANNEL: Final = RESERVED_PREFIX + "activity"
EVENTS_PREFIX: Final = RESERVED_PREFIX + "events/"

SYSTEM_KERNELS: Final = "system.kernels"  # custom type: the kernel table, latest only
SYSTEM_INFO: Final = "system.info"  # custom type: what does not change while sampling

KernelState = Literal["starting", "idle", "busy", "dead", "restarting"]


# --- jupyter/system ------------------------------------------------------------------


class SystemValues(TypedDict, total=False):
    """``values`` of a ``jupyter/system`` metric. Percentages are 0-100 of the whole
    machine, except ``process_cpu_percent`` (of one core: it may pass 100); bytes are
    plain numbers. ``gpu<i>_utilization``, ``gpu<i>_memory_used`` and
    ``gpu<i>_memory_total`` follow for each GPU, only where NVML reports one."""

    cpu_percent: float | None
    memory_used: int
    memory_available: int
    memory_percent: float
    process_cpu_percent: float | None
    process_rss: int
    load_1: float
    load_5: float
    load_15: float
    disk_used: int
    disk_free: int
    disk_percent: float


class KernelRow(TypedDict):
    """One kernel of ``system.kernels``. ``cpu_percent`` is of one core; it and ``rss``
    are null when the kernel's process cannot be read (a remote kernel) or, for
    ``cpu_percent``, until a second sample has measured it."""

    id: str
    name: str | None
    path: str | None
    execution_state: str | None
    cpu_percent: float | None
    rss: int | None


class SystemKernels(TypedDict):
    kernels: list[KernelRow]


class GpuDevice(TypedDict):
    index: int
    name: str
    memory_total: int


class GpuAbsent(TypedDict):
    available: Literal[False]
    reason: str  # "no GPU: ..." and why: the library, the driver, or no device


class GpuPresent(TypedDict):
    available: Literal[True]
    devices: list[GpuDevice]


class SystemInfo(TypedDict):
    cpu_count: int | None
    memory_total: int
    disk_total: int
    gpu: GpuAbsent | GpuPresent


# --- jupyter/activity ----------------------------------------------------------------


class KernelStatus(TypedDict):
    """A ``status`` of ``jupyter/activity``: one key per kernel."""

    key: str  # the kernel id
    value: KernelState
    variant: str
    path: str | None  # the notebook (or console) the kernel belongs to, if any
    kernel_name: str | None


class CellError(TypedDict):
    ename: str
    evalue: str


class CellNotice(TypedDict):
    """A ``notify`` of ``jupyter/activity``: a cell that ran long finished or failed."""

    title: str
    message: str
    level: Literal["success", "error"]
    path: str | None
    cell: int | None  # the execution count, as the notebook shows it: [12]
    duration: float  # seconds
    kernel_id: str
    error: NotRequired[CellError]


# --- jupyter/events/<name> -------------------------------------------------------------


class BusEvent(TypedDict):
    """The data of an event bridged from jupyter_server's event bus."""

    schema_id: str
    version: int | str
    event: dict[str, object]  # the event's own fields, as the schema describes them


JUPYTER_EVENTS_HOST: Final = "events.jupyter.org"
_VERSION: Final = re.compile(r"v?\d+")
_NOT_IN_NAME: Final = re.compile(r"[^A-Za-z0-9_.:/-]")
DEFAULT_BUS_TYPE: Final = "event"


def events_channel(schema_id: str) -> str:
    """The channel of an event bus schema.

    ``https://events.jupyter.org/jupyter_server/contents_service/v1`` becomes
    ``jupyter/events/jupyter_server/contents_service``: the URI's path without its
    version segment (every version shares the channel; ``version`` tells them apart),
    after the host when the host is not ``events.jupyter.org``. Characters a channel
    cannot hold become ``_``; a name past 128 characters is cut and ends with a hash of
    the whole id, so two long ids never share a channel.
    """
    parts = urlsplit(schema_id)
    if parts.scheme and parts.netloc:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > 1 and _VERSION.fullmatch(segments[-1]):
            segments.pop()
        host = parts.hostname or ""
        if host and host != JUPYTER_EVENTS_HOST:
            segments.insert(0, host)
        name = "/".join(segments) or host
    else:
        name = schema_id.strip("/")
    channel = EVENTS_PREFIX + (_NOT_IN_NAME.sub("_", name) or "_")
    if not CHANNEL_RE.fullmatch(channel):
        digest = hashlib.sha256(schema_id.encode()).hexdigest()[:12]
        channel = channel[: 128 - len(digest) - 1] + "-" + digest
    return channel


def bus_event_type(event: dict[str, object]) -> str:
    """The SSE type of a bridged event: its ``action`` (``save``, ``rename``, ``start``
    ...) when it is a type name of its own, else ``event``. A built-in, control or
    server type name (``chat``...) would give the event a meaning it does not have, so
    those become ``event``."""
    action = event.get("action")
    if (
        isinstance(action, str)
        and TYPE_RE.fullmatch(action)
        and action not in BUILTIN_TYPES
        and action not in CONTROL_TYPES
        and action not in SERVER_TYPES
    ):
        return action
    return DEFAULT_BUS_TYPE
