"""The settings of the server channels: ``c.SSEApp.system_interval`` and
``c.SSEApp.notify_cells_after``. ``SSEApp`` inherits them, so they are set and listed
like every other ``SSEApp`` setting; they live here, next to the code that reads them."""

from __future__ import annotations

from typing import Any

from traitlets import Float, HasTraits, TraitError, validate

MIN_SYSTEM_INTERVAL = 0.05  # seconds: below it, sampling would be most of the work


class ServerChannelSettings(HasTraits):
    """Settings of ``jupyter/system`` and ``jupyter/activity``."""

    system_interval = Float(
        1.0,
        config=True,
        help=f"""Seconds between two samples of `jupyter/system` (default 1; at least
        {MIN_SYSTEM_INTERVAL}). The server samples only while at least one of its streams
        subscribes to the channel, and reads nothing at all otherwise.""",
    )
    notify_cells_after = Float(
        60.0,
        config=True,
        help="""Seconds a cell must run for its end to be announced on `jupyter/activity`
        as a `notify` ("train.ipynb: cell 12 finished in 14 min 3 s", or failed, with the
        exception) (default 60). 0 turns these notices off.""",
    )

    @validate("system_interval")
    def _interval(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value < MIN_SYSTEM_INTERVAL:
            raise TraitError(
                f"SSEApp.system_interval must be at least {MIN_SYSTEM_INTERVAL} s, got {value}"
            )
        return value

    @validate("notify_cells_after")
    def _notify_after(self, proposal: dict[str, Any]) -> float:
        value: float = proposal["value"]
        if value < 0:
            raise TraitError(f"SSEApp.notify_cells_after may not be negative, got {value}")
        return value
