"""GPUs through NVML (``pip install "jupyter-sse[gpu]"``, i.e. nvidia-ml-py), or why not.

Where no GPU can be read, the system channel says so and why (``GpuAbsent.reason``):
the library is not installed, NVML did not start (no NVIDIA driver), or it sees no
device. It never reports a number it did not read.
"""

from __future__ import annotations

import contextlib
import importlib
from types import ModuleType
from typing import Any

from ...wire.server_channels import GpuAbsent, GpuDevice, GpuPresent


class Gpus:
    """The GPUs of this machine while the system channel samples: ``open`` starts NVML,
    ``close`` shuts it down (NVML counts its users)."""

    def __init__(self) -> None:
        self._nvml: ModuleType | None = None
        self._handles: list[Any] = []
        self.info: GpuAbsent | GpuPresent = {"available": False, "reason": "no GPU: not probed"}

    def open(self) -> None:
        try:
            # Imported here: an optional extra, and one that loads a C library.
            nvml = importlib.import_module("pynvml")
        except ImportError:
            self.info = {
                "available": False,
                "reason": 'no GPU: nvidia-ml-py is not installed (pip install "jupyter-sse[gpu]")',
            }
            return
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as e:
            self.info = {
                "available": False,
                "reason": f"no GPU: NVML init failed ({e}): no NVIDIA driver on this machine?",
            }
            return
        try:
            count = nvml.nvmlDeviceGetCount()
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            devices: list[GpuDevice] = [
                {
                    "index": i,
                    "name": _text(nvml.nvmlDeviceGetName(h)),
                    "memory_total": int(nvml.nvmlDeviceGetMemoryInfo(h).total),
                }
                for i, h in enumerate(handles)
            ]
        except nvml.NVMLError as e:
            nvml.nvmlShutdown()
            self.info = {"available": False, "reason": f"no GPU: NVML could not list devices ({e})"}
            return
        if not devices:
            nvml.nvmlShutdown()
            self.info = {"available": False, "reason": "no GPU: NVML reports 0 devices"}
            return
        self._nvml, self._handles = nvml, handles
        self.info = {"available": True, "devices": devices}

    def values(self) -> dict[str, float | None]:
        """``gpu<i>_utilization`` (%), ``gpu<i>_memory_used`` and ``_total`` (bytes); a
        device that does not answer this time gets null, not a guess."""
        nvml = self._nvml
        if nvml is None:
            return {}
        out: dict[str, float | None] = {}
        for i, handle in enumerate(self._handles):
            try:
                utilization: float | None = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except nvml.NVMLError:
                utilization = None
            try:
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                used: float | None = float(memory.used)
                total: float | None = float(memory.total)
            except nvml.NVMLError:
                used = total = None
            out[f"gpu{i}_utilization"] = utilization
            out[f"gpu{i}_memory_used"] = used
            out[f"gpu{i}_memory_total"] = total
        return out

    def close(self) -> None:
        nvml, self._nvml, self._handles = self._nvml, None, []
        if nvml is not None:
            # An NVML already gone has nothing left to release.
            with contextlib.suppress(nvml.NVMLError):
                nvml.nvmlShutdown()


def _text(value: str | bytes) -> str:
    # Older NVML bindings return bytes, newer ones str.
    return value.decode(errors="replace") if isinstance(value, bytes) else value
