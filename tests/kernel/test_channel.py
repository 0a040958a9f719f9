"""The kernel-side API: ``Channel`` helpers, ``Table``, ``Progress`` and a light import.

``Progress`` is driven by a fake clock through a channel that records what it is asked
to publish (before the publisher's queue coalesces it), so throttling, rate and ETA
are checked exactly, with no sleeps.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

import jupyter_sse as sse
from jupyter_sse import Channel, Publisher, SSEValueError
from jupyter_sse.kernel.progress import Progress


class Recorder:
    """A transport that keeps every event it is sent (this package's own seam)."""

    description = "recorder://"

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def send(self, batch: Sequence[bytes]) -> list[str]:
        self.events.extend(json.loads(b) for b in batch)
        return [str(i) for i in range(len(batch))]

    def close(self) -> None:
        pass


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def ch(recorder: Recorder) -> Iterator[Channel]:
    pub = Publisher(transport=recorder)
    yield Channel("api", publisher=pub)
    pub.close(timeout=0)


def sent(ch: Channel, recorder: Recorder) -> list[tuple[str, Any]]:
    ch.publisher.flush()
    return [(e["type"], e["data"]) for e in recorder.events]


class Clock:
    """Seconds that move only when the test says so; counts how often it is read."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


class Spy(Channel):
    """A channel that keeps what it is asked to publish, in order, nothing coalesced."""

    def __init__(self) -> None:
        super().__init__("spy")
        self.published: list[dict[str, Any]] = []

    def publish(self, type: str, data: Any) -> None:
        assert type == "progress"
        self.published.append(json.loads(json.dumps(data)))


# --- the helpers ---------------------------------------------------------------------------


def test_each_helper_publishes_its_built_in_shape(ch: Channel, recorder: Recorder) -> None:
    ch.metric(step=2, loss=0.25, acc=1)
    ch.metric(loss=0.2)
    ch.status("phase", "training", variant="info")
    ch.notify("done", title="Run 1", level="success")
    ch.notify("plain")
    ch.table("results").append({"lr": 0.1, "score": 0.93})
    ch.table("results").extend([{"lr": 0.2}, {"lr": 0.3}])
    ch.log("hello", level="warning")
    ch.publish("custom", [1, 2, 3])
    assert sent(ch, recorder) == [
        ("metric", {"values": {"loss": 0.25, "acc": 1}, "step": 2}),
        ("metric", {"values": {"loss": 0.2}}),
        ("status", {"key": "phase", "value": "training", "variant": "info"}),
        ("notify", {"message": "done", "title": "Run 1", "level": "success"}),
        ("notify", {"message": "plain"}),
        ("table", {"table": "results", "row": {"lr": 0.1, "score": 0.93}}),
        ("table", {"table": "results", "row": {"lr": 0.2}}),
        ("table", {"table": "results", "row": {"lr": 0.3}}),
        ("log", {"text": "hello", "level": "warning"}),
        ("custom", [1, 2, 3]),
    ]
    assert {e["channel"] for e in recorder.events} == {"api"}


class Scalar:
    """Stands for a numpy or torch scalar: a number only through ``float()``."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __float__(self) -> float:
        return self.value


class Index:
    """Stands for a numpy integer: an int only through ``__index__``."""

    def __index__(self) -> int:
        return 7


def test_nan_becomes_null_and_array_scalars_become_numbers(ch: Channel, recorder: Recorder) -> None:
    ch.metric(step=Index(), loss=float("nan"), grad=Scalar(float("inf")), lr=Scalar(0.5))
    ch.table("t").append({"score": float("nan"), "n": Index(), "name": "a"})
    assert sent(ch, recorder) == [
        ("metric", {"values": {"loss": None, "grad": None, "lr": 0.5}, "step": 7}),
        ("table", {"table": "t", "row": {"score": None, "n": 7, "name": "a"}}),
    ]


class FloatTensor:
    """Stands for a 0-d float torch tensor: it has ``__index__``, which refuses it."""

    def __index__(self) -> int:
        raise TypeError("only integer tensors of a single element can be converted to an index")

    def __float__(self) -> float:
        return 0.75


class Float64(float):
    """Stands for numpy's float64, a subclass of float."""


def test_a_float_tensor_scalar_is_sent_as_a_number(ch: Channel, recorder: Recorder) -> None:
    """A float tensor's __index__ raises TypeError, which escaped from ch.metric."""
    ch.metric(step=FloatTensor(), loss=FloatTensor())
    ch.table("t").append({"score": FloatTensor()})
    assert sent(ch, recorder) == [
        ("metric", {"values": {"loss": 0.75}, "step": 0.75}),
        ("table", {"table": "t", "row": {"score": 0.75}}),
    ]


def test_metric_values_of_every_kind_arrive_as_sent(ch: Channel, recorder: Recorder) -> None:
    names = {'val "loss"\\': 1, "λ": Float64(0.5), "n": 10**20, "neg": -0.0, "e": 1e-300}
    ch.metric(**names)
    ch.metric(step=float("nan"), loss=Float64("inf"))
    assert sent(ch, recorder) == [
        ("metric", {"values": names}),
        ("metric", {"values": {"loss": None}, "step": None}),
    ]


def test_mistakes_are_refused_with_a_remedy(ch: Channel) -> None:
    with pytest.raises(SSEValueError, match=r"invalid channel 'a b': use 1-128 characters"):
        Channel("a b")
    with pytest.raises(SSEValueError, match=r"e\.g\. ch\.metric\(step=1, loss=0\.5\)"):
        ch.metric(step=1)
    with pytest.raises(SSEValueError, match="metric value 'loss' must be a finite number or null"):
        ch.metric(loss="high")
    with pytest.raises(SSEValueError, match="metric value 'ok' must be a finite number or null"):
        ch.metric(ok=True)
    with pytest.raises(SSEValueError, match="metric value 'big' must be a finite number or null"):
        ch.metric(big=10**400)
    with pytest.raises(SSEValueError, match="step must be a finite number or null"):
        ch.metric(step="one", loss=1.0)
    with pytest.raises(SSEValueError, match="status variant must be one of"):
        ch.status("k", 1, variant="purple")  # type: ignore[arg-type]
    with pytest.raises(SSEValueError, match="level must be one of"):
        ch.notify("x", level="loud")  # type: ignore[arg-type]
    with pytest.raises(SSEValueError, match="a table row must be a mapping"):
        ch.table("t").append([1, 2])  # type: ignore[arg-type]
    with pytest.raises(SSEValueError, match="a table name must be a non-empty string"):
        ch.table("")
    with pytest.raises(SSEValueError, match="min_interval is in seconds"):
        ch.progress(total=1, min_interval=-1)
    assert ch.publisher.stats()["queued"] == 0


def test_a_channel_shows_as_text_without_the_widget_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "jupyter_sse.kernel.widget", None)
    assert Channel("train/run-1")._repr_mimebundle_() == {
        "text/plain": "Channel('train/run-1')",
        # The JupyterLab extension draws it from the stream: no widget library needed.
        "application/vnd.jupyter-sse.view+json": {"channels": ["train/run-1"], "version": 1},
    }


def test_a_channel_shows_the_live_view_when_widgets_are_available() -> None:
    bundle = Channel("train/run-1")._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data is not None
    assert "application/vnd.jupyter.widget-view+json" in data


def test_module_functions_use_one_default_publisher() -> None:
    assert sse.channel("x").publisher is sse.channel("y").publisher
    assert sorted(sse.__all__) == sorted(
        [
            "Channel",
            "LogHandler",
            "Publisher",
            "SSEConfigError",
            "SSEDeliveryError",
            "SSEError",
            "SSEValueError",
            "__version__",
            "channel",
            "flush",
            "publish",
            "share",
            "stats",
            "tqdm",
            "trange",
        ]
    )


def test_importing_and_publishing_loads_no_server_or_widget_code() -> None:
    """Kernels import jupyter_sse on every publish: the server side must stay out."""
    code = (
        "import sys, jupyter_sse as sse\n"
        "sse.channel('c').metric(step=1, loss=0.5)\n"
        "heavy = {'jupyter_server', 'tornado', 'anywidget', 'redis', 'ipywidgets', 'tqdm',"
        " 'prometheus_client'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    env = {"JUPYTER_SSE_URL": "http://127.0.0.1:9/", "JUPYTER_SSE_TOKEN": "t", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --- progress ------------------------------------------------------------------------------


def test_progress_over_an_iterable_starts_at_zero_and_ends_done() -> None:
    spy = Spy()
    assert list(Progress(spy, ["a", "b", "c"], label="letters")) == ["a", "b", "c"]
    start, end = spy.published
    assert start == {"key": "letters", "value": 0, "total": 3, "label": "letters"}
    assert {k: end[k] for k in ("key", "value", "total", "done")} == {
        "key": "letters",
        "value": 3,
        "total": 3,
        "done": True,
    }
    assert end["rate"] > 0


def test_a_quick_bar_reaches_the_server_as_its_final_state(ch: Channel, recorder: Recorder) -> None:
    for _ in ch.progress(range(3), label="quick"):
        pass
    ((type_, data),) = sent(ch, recorder)  # start and end coalesced while queued
    assert (type_, data["key"], data["value"], data["done"]) == ("progress", "quick", 3, True)


def test_progress_is_throttled_and_reports_rate_and_eta() -> None:
    clock, spy = Clock(), Spy()
    bar = Progress(spy, range(1000), label="x", min_interval=0.1, clock=clock)
    for _ in bar:
        clock.now += 0.001  # 1000 items per second
    start, *updates, end = spy.published
    assert start["value"] == 0
    assert "rate" not in start
    assert 8 <= len(updates) <= 10  # one per 0.1 s over 1 s
    assert all(b["value"] - a["value"] >= 100 for a, b in itertools.pairwise(updates))
    for update in updates:
        assert update["rate"] == pytest.approx(1000, rel=0.02)
        assert update["eta"] == pytest.approx((1000 - update["value"]) / 1000, abs=0.02)
        assert "done" not in update
    assert (end["done"], end["value"], "eta" in end) == (True, 1000, False)
    assert end["rate"] == pytest.approx(1000, rel=0.02)


def test_a_fast_loop_reads_the_clock_rarely_and_a_slowdown_still_shows() -> None:
    """The clock is read every N items (as tqdm's miniters), adapted to the pace."""
    clock, spy = Clock(), Spy()
    bar = Progress(spy, range(2_000_000), min_interval=0.1, clock=clock)
    reads_fast = 0
    for i in bar:
        if i < 1_000_000:
            clock.now += 1e-6  # 1M items per second for 1 s
        else:
            reads_fast = reads_fast or clock.reads
            clock.now += 1e-4  # then 100x slower, for 100 s
    assert reads_fast < 100  # a million items, a few clock reads per 0.1 s
    assert clock.reads - reads_fast < 100 / 0.1 * 6  # still a few per 0.1 s when slow
    slow = [u for u in spy.published if u["value"] > 1_000_000 and not u.get("done")]
    # The first clock read after the slowdown comes after the old step (1/4 of the fast
    # pace's 0.1 s worth of items): the bar lags 2.5 s once, then updates every 0.1 s.
    assert slow[0]["value"] <= 1_000_000 + 25_001
    assert len(slow) > 700  # ~97 s at one update per 0.1-0.125 s
    assert slow[-1]["rate"] == pytest.approx(10_000, rel=0.05)


def test_update_in_a_with_block(ch: Channel, recorder: Recorder) -> None:
    with ch.progress(total=10, label="manual") as bar:
        bar.update(4)
        bar.update(6)
        assert bar.n == 10
    _, end = sent(ch, recorder)[-1]
    assert (end["value"], end["done"], "error" in end) == (10, True, False)


def test_an_exception_in_a_with_block_is_reported() -> None:
    spy = Spy()

    def train() -> None:
        with Progress(spy, range(10)) as bar:
            for i in bar:
                if i == 4:
                    raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        train()
    end = spy.published[-1]
    assert (end["value"], end["done"], end["error"]) == (4, True, "ValueError: bad batch")
    assert sum(1 for u in spy.published if u.get("done")) == 1


def test_an_exception_from_the_iterable_is_reported() -> None:
    def loader() -> Iterator[int]:
        yield 1
        raise KeyboardInterrupt

    spy = Spy()
    with pytest.raises(KeyboardInterrupt):
        for _ in Progress(spy, loader()):
            pass
    end = spy.published[-1]
    assert (end["value"], end["done"], end["error"]) == (1, True, "KeyboardInterrupt")
    assert "total" not in end


def test_break_ends_the_bar_where_it_stopped() -> None:
    spy = Spy()
    for i in Progress(spy, range(100), label="early"):
        if i == 9:
            break
    end = spy.published[-1]
    assert (end["value"], end["total"], end["done"], "error" in end) == (9, 100, True, False)


def test_keys_default_to_the_label_or_a_fresh_key(ch: Channel) -> None:
    assert ch.progress(total=1, label="epoch").key == "epoch"
    assert ch.progress(total=1, label="epoch", key="e1").key == "e1"
    first, second = ch.progress(total=1).key, ch.progress(total=1).key
    assert first != second
    assert first.startswith("progress-")
    assert len(ch.progress(range(5))) == 5


def test_an_alert_is_a_notify_marked_for_the_webhooks(ch: Channel, recorder: Recorder) -> None:
    ch.alert("loss diverged", level="error")
    ch.alert("check the run", title="run 1")
    assert sent(ch, recorder) == [
        ("notify", {"message": "loss diverged", "level": "error", "alert": True}),
        (
            "notify",
            {"message": "check the run", "level": "warning", "alert": True, "title": "run 1"},
        ),
    ]


def test_the_jupyter_namespace_is_refused_before_anything_is_queued(ch: Channel) -> None:
    """Only the server publishes under jupyter/; reading such a channel stays possible."""
    server_channel = Channel("jupyter/system", publisher=ch.publisher)
    for publish in (
        lambda: server_channel.metric(cpu=1.0),
        lambda: server_channel.notify("x"),
        lambda: server_channel.alert("x"),
        lambda: ch.publisher.publish("jupyter/activity", "status", {"key": "k", "value": 1}),
    ):
        with pytest.raises(SSEValueError, match=r"only the Jupyter server publishes to"):
            publish()
    assert ch.publisher.stats()["queued"] == 0
    Channel("jupyterlab/mine", publisher=ch.publisher).notify("outside the namespace")
    assert ch.publisher.stats()["queued"] + ch.publisher.stats()["sent"] == 1
