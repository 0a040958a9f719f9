"""The bench's quick mode runs end to end against jupyter-sse and loses no event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = {
    "fanout_100",
    "fanout_1000",
    "lost",
    "latency_100",
    "latency_1000",
    "redis_100",
    "redis_1000",
    "kernel",
    "call",
    "progress",
    "tqdm",
    "memory",
    "resume",
    "system",
    "ceiling",
    "ceiling_one",
    "single_fanout",
    "single_100",
    "single_1000",
    "many",
    "pixel_lab_10",
    "pixel_lab_100",
    "pixel_dash_10",
    "pixel_dash_100",
}


@pytest.mark.timeout(300)
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="the bench pins cores (Linux)")
def test_bench_quick_mode_prints_every_row_and_loses_nothing(tmp_path: Path) -> None:
    """Correctness of the bench itself, not timings: every figure is there, 0 lost."""
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quick",
            "--only",
            "jupyter-sse",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=290,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "| figure" in run.stdout
    result = json.loads(out.read_text())
    rows = {row["key"]: row for row in result["rows"]}
    assert set(rows) >= ROWS, f"missing rows: {sorted(ROWS - set(rows))}"
    for key in (
        "fanout_100",
        "fanout_1000",
        "latency_100",
        "latency_1000",
        "single_fanout",
        "single_100",
        "single_1000",
        "resume",
        "many",
    ):
        assert rows[key]["raw"]["jupyter-sse"]["lost"] == 0, key
    assert rows["lost"]["raw"]["jupyter-sse"]["lost"] == 0
    assert rows["kernel"]["raw"]["jupyter-sse"]["lost"] == 0
    # The system row measured a window in which samples were really taken.
    assert rows["system"]["raw"]["jupyter-sse"]["samples"] > 0
    memory = rows["memory"]["raw"]["jupyter-sse"]
    assert memory["held"] == memory["connections"]
    many = rows["many"]["raw"]["jupyter-sse"]
    assert many["held"] == many["connections"]
    assert rows["ceiling"]["raw"]["jupyter-sse"]["per_second"] > 0
    assert rows["ceiling_one"]["raw"]["jupyter-sse"]["per_second"] > 0
    # Latency is taken at the arrival the kernel stamped, which no read can precede.
    for key in ("latency_100", "latency_1000", "single_100", "single_1000"):
        r = rows[key]["raw"]["jupyter-sse"]
        assert r["samples"] > 0, key
        assert r["stamped"] == r["samples"], key
        assert r["p99_ms"] <= r["read_p99_ms"], key
    # Every display reached the last step, and each figure has every peer beside ours.
    for key in ("pixel_lab_10", "pixel_lab_100", "pixel_dash_10", "pixel_dash_100"):
        raw = rows[key]["raw"]
        assert set(raw) == {"jupyter-sse", "ipywidgets", "tqdm"}, key
        for name, r in raw.items():
            assert r["reached"] == r["events"] > 0, (key, name)
    # Redis rows are either measured (and then lose nothing) or say why they are not.
    for key in ("redis_100", "redis_1000"):
        raw = rows[key]["raw"].get("jupyter-sse")
        if raw is None:
            assert rows[key]["values"]["jupyter-sse"].startswith("not measured")
        else:
            assert raw["lost"] == 0, key
