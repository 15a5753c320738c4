"""Counting a model in a child process: the same facts as in-process, one line when it cannot, killable."""

from __future__ import annotations

import threading
import time

import pytest

from profiler.analysis.advisor.count_child import CANCELLED, STOPPED, OutOfProcessCount
from profiler.analysis.advisor.model_facts import CountError, count_reference

SLOW_MODEL = '''
import time

def build():
    time.sleep(120)  # a model whose construction hangs (a download, a deadlock)
'''


def test_a_child_counts_what_the_process_itself_counts() -> None:
    here = count_reference("mlp-M", {"width": 256})
    there = OutOfProcessCount()("mlp-M", {"width": 256})
    assert there == here and there.how == "meta" and there.knobs == {"width": 256}


def test_what_cannot_be_counted_is_the_counters_one_line(tmp_path) -> None:
    with pytest.raises(CountError, match=r"^'resnet50' is not a built-in model"):
        OutOfProcessCount()("resnet50", {})
    broken = tmp_path / "broken.py"
    broken.write_text("def build():\n    raise RuntimeError('the user model is broken')\n")
    with pytest.raises(CountError, match="the user model is broken"):
        OutOfProcessCount()(f"{broken}:build", {})


def _ended_by(end: str, slow_model: str) -> tuple[OutOfProcessCount, list[str]]:
    """A hanging count, ended by ``stop`` or ``cancel`` once its child runs: (the counter, its errors)."""
    count = OutOfProcessCount()
    failures: list[str] = []

    def run() -> None:
        try:
            count(f"{slow_model}:build", {})
        except CountError as exc:
            failures.append(str(exc))

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    while count._child is None and time.monotonic() < deadline:  # the child has started
        time.sleep(0.05)
    started = time.monotonic()
    getattr(count, end)()
    worker.join(timeout=10)
    assert not worker.is_alive() and time.monotonic() - started < 10
    return count, failures


def test_cancel_kills_a_count_in_progress_and_refuses_later_ones(tmp_path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_MODEL)
    count, failures = _ended_by("cancel", str(slow))
    assert failures == [CANCELLED]
    with pytest.raises(CountError, match=CANCELLED):
        count("mlp", {})


def test_stop_kills_the_count_in_progress_and_the_next_one_runs(tmp_path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_MODEL)
    count, failures = _ended_by("stop", str(slow))
    assert failures == [STOPPED]
    assert count("mlp", {}).flops_per_sample > 0


def test_a_count_past_its_time_is_killed(tmp_path) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_MODEL)
    with pytest.raises(CountError, match=r"counting took longer than 3 s"):
        OutOfProcessCount(timeout_s=3)(f"{slow}:build", {})
