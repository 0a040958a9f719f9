"""``jupyter/system``: this machine, this server and its kernels, sampled while watched.

- Sampling starts when the first stream that asks for ``jupyter/system`` opens (the
  name, or a pattern inside ``jupyter/`` such as ``jupyter/*``) and stops when the last
  one closes: with no such stream the server reads nothing at all. A catch-all pattern
  (``*``) receives the samples while they are taken, but does not start them: watching
  everything is not a request for machine metrics. Each server counts its own streams.
- Each sample is one ``metric`` (``SystemValues``) and one ``system.kernels`` event;
  ``system.info`` (counts and totals) is published when sampling starts. Snapshots keep
  the last of each, so a late viewer sees the present at once.
- Every number is one ``psutil`` read (or NVML's, for GPUs); a value that cannot be
  read, or that needs two reads (CPU percentages) and has had only one, is null.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Final

import psutil
from tornado.ioloop import PeriodicCallback

from ...wire.names import RESERVED_PREFIX, pattern_matches
from ...wire.server_channels import (
    SYSTEM_CHANNEL,
    SYSTEM_INFO,
    SYSTEM_KERNELS,
    KernelRow,
    SystemInfo,
)
from ..streams import EventStream
from .gpu import Gpus
from .kernels import KernelDirectory
from .publisher import ServerPublisher

_PROCESS_GONE: Final = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess)


class MachineCpu:
    """Machine-wide CPU % between two reads of ``psutil.cpu_times()``.

    Not ``psutil.cpu_percent()``: that keeps its previous read per thread, shared with
    anything else in the server that calls it (another extension), and each such call
    would shorten the interval measured here.
    """

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[float, float]:
        times = psutil.cpu_times()
        total = sum(times)
        # Guest time is counted in user time already (Linux); iowait is idle time.
        total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
        idle = times.idle + getattr(times, "iowait", 0.0)
        return total, idle

    def percent(self) -> float | None:
        total, idle = self._read()
        last_total, last_idle = self._last
        self._last = (total, idle)
        elapsed = total - last_total
        if elapsed <= 0:
            return None  # no tick elapsed between the reads: nothing was measured
        busy = elapsed - (idle - last_idle)
        return round(min(100.0, max(0.0, 100.0 * busy / elapsed)), 1)


class KernelProcesses:
    """One ``psutil.Process`` per kernel, kept between samples: a process's CPU % is
    measured between two reads of the same object."""

    def __init__(self) -> None:
        self._procs: dict[str, psutil.Process] = {}

    def read(self, kernel_id: str, pid: int | None) -> tuple[float | None, int | None]:
        """(cpu % of one core, rss bytes) of the kernel's process; None what is unknown."""
        if pid is None:
            self._procs.pop(kernel_id, None)
            return None, None
        proc = self._procs.get(kernel_id)
        fresh = proc is None or proc.pid != pid  # a restarted kernel has a new process
        try:
            if fresh:
                proc = self._procs[kernel_id] = psutil.Process(pid)
            assert proc is not None
            with proc.oneshot():
                cpu = proc.cpu_percent(None)
                rss = int(proc.memory_info().rss)
        except _PROCESS_GONE:
            self._procs.pop(kernel_id, None)
            return None, None
        # A first read has nothing to compare with: psutil answers 0.0, which would be
        # a number nobody measured.
        return (None if fresh else round(cpu, 1)), rss

    def keep_only(self, kernel_ids: set[str]) -> None:
        for gone in self._procs.keys() - kernel_ids:
            del self._procs[gone]


def asks_for_system(patterns: Sequence[str]) -> bool:
    """True when a subscription names ``jupyter/system`` or a pattern inside ``jupyter/``
    that covers it (not a catch-all such as ``*``)."""
    return any(
        p.startswith(RESERVED_PREFIX) and pattern_matches(p, SYSTEM_CHANNEL) for p in patterns
    )


class SystemChannel:
    """Samples every ``interval`` seconds while at least one stream covers the channel."""

    def __init__(
        self,
        publisher: ServerPublisher,
        kernels: KernelDirectory,
        *,
        root_dir: str,
        interval: float,
        log: logging.Logger,
    ) -> None:
        self._publisher = publisher
        self._kernels = kernels
        self._root_dir = root_dir
        self._interval = interval
        self._log = log
        self._watchers = 0
        self._timer: PeriodicCallback | None = None
        self._gpus = Gpus()
        self._machine: MachineCpu | None = None
        self._process = psutil.Process(os.getpid())
        self._kernel_procs = KernelProcesses()
        self.samples = 0  # samples taken since the server started (tests count them)

    @property
    def sampling(self) -> bool:
        return self._timer is not None

    def stream_changed(self, stream: EventStream, opened: bool) -> None:
        """``EventStreams.watch`` callback: count the streams that ask for the channel."""
        if not asks_for_system(stream.patterns):
            return
        self._watchers += 1 if opened else -1
        if self._watchers > 0 and self._timer is None:
            self._start()
        elif self._watchers <= 0:
            self._watchers = 0
            self.stop()

    def _start(self) -> None:
        self._machine = MachineCpu()
        self._process.cpu_percent(None)  # the first read of the interval measured next
        self._gpus.open()
        self._publisher.publish(SYSTEM_CHANNEL, SYSTEM_INFO, self._info())
        self._timer = PeriodicCallback(self.sample, self._interval * 1000)
        self._timer.start()
        self._log.debug("jupyter_sse: sampling %s every %g s", SYSTEM_CHANNEL, self._interval)

    def stop(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.stop()
            self._gpus.close()
            self._log.debug("jupyter_sse: %s not watched; sampling stopped", SYSTEM_CHANNEL)

    def _info(self) -> SystemInfo:
        return {
            "cpu_count": psutil.cpu_count(),
            "memory_total": int(psutil.virtual_memory().total),
            "disk_total": int(psutil.disk_usage(self._root_dir).total),
            "gpu": self._gpus.info,
        }

    async def sample(self) -> None:
        """Read everything once and publish it (the timer calls this)."""
        await self._kernels.refresh()
        if self._timer is None or self._machine is None:
            return  # stopped while the sessions were read
        self.samples += 1
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(self._root_dir)
        load_1, load_5, load_15 = psutil.getloadavg()
        try:
            with self._process.oneshot():
                process_cpu: float | None = round(self._process.cpu_percent(None), 1)
                process_rss = int(self._process.memory_info().rss)
        except _PROCESS_GONE:  # the server's own process: only if /proc is not readable
            process_cpu, process_rss = None, None
        values: dict[str, float | int | None] = {
            "cpu_percent": self._machine.percent(),
            "memory_used": int(memory.used),
            "memory_available": int(memory.available),
            "memory_percent": float(memory.percent),
            "process_cpu_percent": process_cpu,
            "process_rss": process_rss,
            "load_1": round(load_1, 2),
            "load_5": round(load_5, 2),
            "load_15": round(load_15, 2),
            "disk_used": int(disk.used),
            "disk_free": int(disk.free),
            "disk_percent": float(disk.percent),
            **self._gpus.values(),
        }
        self._publisher.publish(SYSTEM_CHANNEL, "metric", {"values": values})
        self._publisher.publish(SYSTEM_CHANNEL, SYSTEM_KERNELS, {"kernels": self._kernel_rows()})

    def _kernel_rows(self) -> list[KernelRow]:
        kernels = self._kernels
        rows: list[KernelRow] = []
        ids = kernels.ids()
        for kernel_id in ids:
            cpu, rss = self._kernel_procs.read(kernel_id, kernels.pid(kernel_id))
            rows.append(
                {
                    "id": kernel_id,
                    "name": kernels.name(kernel_id),
                    "path": kernels.path(kernel_id),
                    "execution_state": kernels.execution_state(kernel_id),
                    "cpu_percent": cpu,
                    "rss": rss,
                }
            )
        self._kernel_procs.keep_only(set(ids))
        return rows
