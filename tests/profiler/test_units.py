"""The one formatter: units chosen by size, n/a for None, one ratio style."""

from __future__ import annotations

from profiler import units


def test_na_for_missing_and_non_finite():
    for fn in (units.flops, units.count, units.nbytes, units.percent, units.seconds, units.ratio):
        assert fn(None) == "n/a"
        assert fn(float("nan")) == "n/a"


def test_prefixes_by_size():
    assert units.flops(82.5e9) == "82.5 GFLOP/s"
    assert units.flops(1.2e12) == "1.2 TFLOP/s"
    assert units.flop(2.45e9) == "2.45 GFLOP"
    assert units.nbytes(1.5 * 2**30) == "1.5 GiB"
    assert units.per_money(78.9e6, "samples", "USD") == "78.9 M samples/USD"


def test_times_read_naturally():
    assert units.seconds(1.38) == "1.38 s"
    assert units.seconds(0.0123) == "12.3 ms"
    assert units.seconds(850e-6) == "850 µs"
    assert units.seconds(150) == "2.5 min"
    assert units.duration(3.1 * 3600) == "3.1 h"


def test_counts_ratios_money():
    assert units.count(9812.4) == "9,812"
    assert units.count(3.14159) == "3.14"
    assert units.ratio(2.5) == "2.50×" and units.ratio(38.04) == "38.0×" and units.ratio(412.3) == "412×"
    assert units.percent(0.42) == "42.0%"
    assert units.money(0.4, "USD") == "0.40 USD" and units.money(1234, "EUR") == "1,234 EUR"
    assert units.money(7.63e-3, "USD") == "0.0076 USD" and units.money(7.63e-05, "USD") == "under 0.0001 USD"


def test_columns_align_and_rule():
    text = units.columns([("a", "bb"), ("ccc", "d")], right=(1,))
    assert text.splitlines() == ["a    bb", "---  --", "ccc   d"]


def test_one_start_time_format_and_na_when_unknown():
    import time

    stamp = 1_780_000_000.0
    assert units.started_text(stamp) == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
    for unknown in (None, 0, -5.0, True, float("nan"), float("inf"), 1e30):
        assert units.started_text(unknown) == units.NA  # type: ignore[arg-type]
