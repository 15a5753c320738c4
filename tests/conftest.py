"""Shared test set-up: offscreen Qt, small torch thread counts, isolated user dirs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


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
