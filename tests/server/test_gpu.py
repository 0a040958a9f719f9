"""GPUs on jupyter/system: NVML's numbers where it reads a GPU, else why not, never a guess."""

from __future__ import annotations

import json
import subprocess
import sys

from jupyter_sse.server.channels.gpu import Gpus


def test_nvml_reports_its_gpus_or_says_why_there_are_none() -> None:
    gpus = Gpus()
    gpus.open()
    try:
        info, values = gpus.info, gpus.values()
    finally:
        gpus.close()
    if info["available"]:  # a machine with an NVIDIA driver and GPU
        assert info["devices"]
        for device in info["devices"]:
            i = device["index"]
            assert device["name"]
            assert device["memory_total"] > 0
            assert 0 <= (values[f"gpu{i}_utilization"] or 0) <= 100
            assert values[f"gpu{i}_memory_total"] == device["memory_total"]
    else:  # nvidia-ml-py is installed for the tests: NVML itself says there is none
        assert info["reason"].startswith("no GPU: NVML ")
        assert values == {}


def test_without_nvidia_ml_py_it_says_what_to_install() -> None:
    code = (
        "import json, sys\n"
        "sys.modules['pynvml'] = None  # as if nvidia-ml-py were not installed\n"
        "from jupyter_sse.server.channels.gpu import Gpus\n"
        "gpus = Gpus(); gpus.open(); print(json.dumps([gpus.info, gpus.values()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    info, values = json.loads(out.stdout)
    assert info == {
        "available": False,
        "reason": 'no GPU: nvidia-ml-py is not installed (pip install "jupyter-sse[gpu]")',
    }
    assert values == {}
