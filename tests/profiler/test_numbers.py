"""Every number from the user or a file is checked at the boundary (finite, in range, right
type): one line, exit 2, nothing started."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from profiler import numbers
from profiler.numbers import Bound, NumberError


def test_bound_checks_type_finiteness_and_range() -> None:
    b = Bound("--years", 0.01, 100, unit="years")
    assert b.parse(" 3 ") == 3.0 and b.check(2) == 2
    for bad in ("nan", "inf", "-inf", "1e-300", "1e308", "abc", ""):
        with pytest.raises(NumberError, match=r"^--years must be a number from 0.01 to 100 years, got"):
            b.parse(bad)
    for bad in (True, "3", [1], {"a": 1}, None, math.nan, -1.0):
        with pytest.raises(NumberError):
            b.check(bad)
    whole = Bound("--threads", 1, 4096, integer=True)
    assert whole.parse("1e3") == 1000 and whole.check(8.0) == 8 and isinstance(whole.check(8.0), int)
    for bad in ("1e23", "2.5", "0", "-3", "99999999999999999999999999"):
        with pytest.raises(NumberError, match="whole number from 1 to 4096"):
            whole.parse(bad)
    with pytest.raises(NumberError, match="got 1e23"):
        whole.parse("1e23")


def test_json_loads_refuses_deep_nesting_and_nan() -> None:
    assert numbers.json_loads('{"a": [1, {"b": "[[[["}]}') == {"a": [1, {"b": "[[[["}]}
    with pytest.raises(ValueError, match="nested deeper"):
        numbers.json_loads("[" * 10_000 + "]" * 10_000)
    with pytest.raises(ValueError, match="not a number"):
        numbers.json_loads('{"flops_per_s": NaN}')


@pytest.mark.parametrize("args", [
    ["run", "--threads", "1e23"], ["run", "--batch-size", "1e23"], ["run", "--steps", "1e23"],
    ["run", "--loader-workers", "1000"], ["run", "--workers", "1000"],
    ["run", "--trace", "t.json", "--trace-steps", "1e23"],
    ["run", "--duration", "nan"], ["run", "--knob", "width=99999999999999999999"],
    ["history", "--limit", "1e23"], ["scale", "--timeout", "inf"], ["scale", "--seed", "-1"],
    ["sweep", "--device", "cpu", "--knob", "batch_size", "--values", "8,1e23"],
    ["value", "set", "cpu", "--purchase", "1000", "--years", "1e-300", "--hours-per-day", "1e-300"],
    ["value", "project", "r", "--samples", "nan"], ["devices", "--seconds", "inf"],
    ["node", "--nnodes", "1e9", "--rdzv-endpoint", "127.0.0.1:1"],
])
def test_cli_refuses_bad_numbers_in_one_line(tmp_path: Path, args: list[str]) -> None:
    env = {**os.environ, "HORSEPOWER_DATA_DIR": str(tmp_path / "d"), "HORSEPOWER_CONFIG_DIR": str(tmp_path / "c"),
           "HORSEPOWER_CACHE_DIR": str(tmp_path / "k")}
    done = subprocess.run([sys.executable, "-m", "profiler.cli", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())  # nothing saved
