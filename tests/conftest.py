"""Shared test set-up: offscreen Qt, small torch thread counts, isolated user dirs."""

from __future__ import annotations

import gc
import os
import signal
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One torch (OpenMP) thread per process unless a test or a run asks for more (--threads): under
# ``-n 2`` on two cores, two test processes each training on every core fought over the cores
# and spun in OpenMP barriers (a trivial step took ~50 ms instead of ~0.3 ms). Set before torch is
# imported, here and in every process a test starts (they inherit the environment).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Compiled modules are cached (``__pycache__``, git-ignored) even where the environment asks not
# to (PYTHONDONTWRITEBYTECODE): the suite starts about 150 Python processes (workers, model
# checks, ranks, the CLI, the window), and each would compile the engine's modules again.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import pytest

sys.dont_write_bytecode = False  # and this process
# A suite started from a background job (``cmd &`` in a script) inherits SIGINT ignored, and so
# would every process it starts (an ignored signal stays ignored across exec): the tests that stop
# a run with SIGINT, as Ctrl+C does, need it delivered. A handler here is reset to the default in
# each child. (SIGHUP ignored under nohup is left as it is: those tests skip.)
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the real history database, logs and settings."""
    root = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("HORSEPOWER_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("HORSEPOWER_LOG_DIR", str(root / "log"))
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(root / "cache"))
    # Runs read the GEMM ceiling from the (empty) cache instead of measuring it for seconds in a
    # child process; tests of the measurement itself set the policy they need.
    monkeypatch.setenv("HORSEPOWER_CEILING", "cached")
    monkeypatch.delenv("HORSEPOWER_FAULT", raising=False)


#: test modules about the contention verdict itself (and tests marked ``contention``): they keep
#: the engine's threshold and inject their own readings
CONTENTION_TESTS = frozenset({"test_contention", "test_quiet", "test_quiet_gate"})


@pytest.fixture(autouse=True)
def _own_workers_are_not_contention(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``-n 2`` the other test process is one of the "other processes" a run is judged
    against: outside the contention tests, no run counts as contended (threshold 100%), so a
    speedup or a headline does not flip with what the other worker happens to run."""
    about = request.module.__name__.rsplit(".", 1)[-1] in CONTENTION_TESTS
    if not about and request.node.get_closest_marker("contention") is None:
        monkeypatch.setenv("HORSEPOWER_CONTENDED_PERCENT", "100")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first (otherwise in collection order), so that under pytest-xdist
    the long ones start early and spread over the workers instead of one running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collecting the tests imported (torch, Qt, the engine: about 225,000 objects) lives
    for the whole session: freeze it out of the cyclic collector's view. Each GUI test ends
    with a full collection (``GuiThreadCollector.stop``), which then scans only what the tests
    made instead of taking 0.1-0.4 s."""
    gc.collect()
    gc.freeze()
