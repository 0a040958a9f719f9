"""The words of a cell notice: "train.ipynb: cell 12 finished in 14 min 3 s"."""

from __future__ import annotations

from typing import Final

from ...wire.server_channels import CellError, CellNotice

MAX_EVALUE: Final = 500  # characters of an exception's message kept in a notice


class CellRun:
    """One cell as the kernel's messages show it: started (monotonic s), its execution
    count (``execute_input``) and its error (an ``error`` message), if any."""

    __slots__ = ("count", "error", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.count: int | None = None
        self.error: CellError | None = None


def format_duration(seconds: float) -> str:
    """``3 s``, ``14 min 3 s``, ``2 h 5 min``: what a person reads at a glance."""
    if seconds < 1:
        return "under 1 s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def cell_notice(
    cell: CellRun, duration: float, kernel_id: str, path: str | None, kernel_name: str | None
) -> CellNotice:
    """The ``notify`` data for ``cell``, which ended after ``duration`` seconds."""
    # The file name says which notebook; the title carries the whole path.
    where = path.rsplit("/", 1)[-1] if path else f"{kernel_name or 'kernel'} {kernel_id[:8]}"
    what = f"{where}: cell {cell.count}"
    took = format_duration(duration)
    error: CellError | None = None
    message = f"{what} finished in {took}"
    if cell.error is not None:
        error = {"ename": cell.error["ename"], "evalue": cell.error["evalue"][:MAX_EVALUE]}
        reason = f"{error['ename']}: {error['evalue']}" if error["evalue"] else error["ename"]
        message = f"{what} failed after {took}: {reason}"
    notice: CellNotice = {
        "title": path or where,
        "message": message,
        "level": "success" if error is None else "error",
        "path": path,
        "cell": cell.count,
        "duration": round(duration, 3),
        "kernel_id": kernel_id,
    }
    if error is not None:
        notice["error"] = error
    return notice
