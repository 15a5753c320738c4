"""The Qt-free data path: ring buffers, the store, and event ingestion."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gui.runs import event_ingest as ingest
from gui.runs.event_ingest import EventIngest
from gui.viewmodel import series_store as sk
from gui.viewmodel.series_store import RingBuffer, SeriesStore
from profiler.events import StepFinished, TelemetrySample


def test_ring_buffer_keeps_last_points_in_order():
    buf = RingBuffer(capacity=4)
    for i in range(10):
        buf.append(float(i), float(i * 10))
    t, v = buf.snapshot()
    assert t.tolist() == [6.0, 7.0, 8.0, 9.0]
    assert v.tolist() == [60.0, 70.0, 80.0, 90.0]
    assert buf.last() == 90.0 and len(buf) == 4 and buf.version == 10


def test_ring_buffer_rejects_zero_capacity():
    with pytest.raises(ValueError):
        RingBuffer(0)


def test_store_is_bounded_and_thread_safe():
    store = SeriesStore(capacity=500)

    def writer(run: str) -> None:
        for i in range(2000):
            store.append(run, "x", float(i), float(i))

    threads = [threading.Thread(target=writer, args=(f"r{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for _ in range(50):
        t, _, _ = store.snapshot("r0", "x")
        assert np.all(np.diff(t) > 0)  # a snapshot is never torn
    for th in threads:
        th.join()
    assert store.point_count() == 4 * 500
    assert store.version("r1", "x") == 2000
    store.drop_run("r1")
    assert store.run_ids() == ["r0", "r2", "r3"]


def test_ingest_computes_rolling_throughput_and_skips_na():
    store = SeriesStore()
    handle = EventIngest(store)
    handle(StepFinished("r", 1, "warmup", 0.1, 0.1, 64, 2.0))
    handle(StepFinished("r", 2, "timed", 0.2, 0.05, 64, 1.5))
    _, rate, _ = store.snapshot("r", ingest.SAMPLES_PER_S)
    assert rate.tolist() == pytest.approx([640.0, 64 / 0.05])  # each stage has its own window
    assert store.scalar("r", sk.LIVE).samples_per_s == pytest.approx(64 / 0.05)  # the one timed step
    _, ms, _ = store.snapshot("r", ingest.STEP_TIME_MS)
    assert ms.tolist() == pytest.approx([100.0, 50.0])
    handle(TelemetrySample("r", "host", 0.3, {
        "cpu_util_percent": 75.0, "cpu_freq_mhz": None, "cpu_per_core_percent": [50.0, None],
    }))
    assert store.last("r", "host.cpu_util_percent") == 75.0
    assert "host.cpu_freq_mhz" not in store.keys("r")  # n/a is absent, never 0
    assert store.vector("r", "host.cpu_per_core_percent")[0] == 50.0
    assert np.isnan(store.vector("r", "host.cpu_per_core_percent")[1])
