"""Value arithmetic against hand-worked examples; prices file round trip and validation."""

from __future__ import annotations

import json

import pytest

from profiler.analysis.prices import PricesError, check_price, load_prices, save_prices
from profiler.analysis.value import (
    NA_ENERGY,
    DevicePrice,
    Job,
    PriceBook,
    device_value,
    measured_from_result,
    measured_of,
    project,
    value_table,
)

GPU = DevicePrice("cuda:0", purchase_price=2000.0, amortise_years=3, hours_per_day=8)
BOOK = PriceBook(electricity_per_kwh=0.30, devices=(GPU, DevicePrice("cpu", cloud_per_h=0.10)))


def gpu_result(**extra):
    # 10,000 samples/s; 2,500 J over a 10 s timed window = 250 W mean.
    return {"device": "cuda:0", "samples_per_s": 10_000.0, "energy_j": 2500.0, "timed_s": 10.0,
            **extra}


def test_amortised_purchase_per_hour():
    # 2000 / (3 years * 365 days * 8 h) = 2000 / 8760 = 0.228310... per hour
    assert GPU.hardware_per_h == pytest.approx(0.2283105, rel=1e-6)
    assert GPU.basis == "purchase"


def test_purchase_value_adds_electricity():
    value = device_value(measured_from_result(gpu_result()), GPU, 0.30)
    assert value.power_w == pytest.approx(250.0)
    assert value.samples_per_j == pytest.approx(40.0)  # 10,000 / 250
    # 0.2283105 hardware + 0.250 kW * 0.30 = 0.075 electricity = 0.3033105 per hour
    assert value.cost_per_h == pytest.approx(0.3033105, rel=1e-6)
    # 36,000,000 samples per hour / 0.30331050 = 118,690,252 samples per unit of money
    assert value.samples_per_dollar == pytest.approx(118_690_252, rel=1e-6)
    assert value.notes == ()


def test_job_projection():
    value = device_value(measured_from_result(gpu_result()), GPU, 0.30)
    proj = project(Job(dataset_samples=1_000_000, epochs=10), value)
    assert proj.time_s == pytest.approx(1000.0)  # 1e7 samples / 1e4 per s
    assert proj.energy_wh == pytest.approx(69.444444, rel=1e-6)  # 250 W * 1000 s / 3600
    assert proj.cost == pytest.approx(0.0842529, rel=1e-5)  # 0.3033105 * 1000 / 3600


def test_cloud_rate_includes_electricity_and_energy_na_is_not_invented():
    cpu = {"device": "cpu", "samples_per_s": 360.0, "energy_j": None, "timed_s": 10.0}
    value = device_value(measured_from_result(cpu), BOOK.price_for("cpu"), 0.30)
    assert value.power_w is None and value.samples_per_j is None
    assert NA_ENERGY in value.notes
    assert value.cost_per_h == pytest.approx(0.10)
    assert value.samples_per_dollar == pytest.approx(12_960_000)  # 360*3600/0.10
    proj = project(Job(1_296_000, 1), value)
    assert proj.time_s == pytest.approx(3600.0)
    assert proj.energy_wh is None
    assert proj.cost == pytest.approx(0.10)


def test_purchase_without_energy_says_cost_excludes_electricity():
    measured = measured_from_result({"device": "cuda:0", "samples_per_s": 100.0, "timed_s": 1.0})
    value = device_value(measured, GPU, 0.30)
    assert value.cost_per_h == pytest.approx(0.2283105, rel=1e-6)
    assert "cost excludes electricity" in value.notes and NA_ENERGY in value.notes


def test_power_from_telemetry_and_no_price():
    result = {"device": "cuda:0", "samples_per_s": 500.0, "energy_j": None, "timed_s": 2.0,
              "telemetry": {"cuda:0.power_w": {"mean": 125.0, "max": 130.0}}}
    measured = measured_from_result(result)
    assert measured.power_w == 125.0 and measured.power_source == "mean power telemetry"
    value = device_value(measured, None, None)
    assert value.samples_per_j == pytest.approx(4.0)
    assert value.samples_per_dollar is None and "no price set" in value.notes


def test_value_table_in_order():
    rows = value_table([gpu_result(), {"device": "cpu", "samples_per_s": 360.0}], BOOK, Job(3600))
    assert [v.device for v, _ in rows] == ["cuda:0", "cpu"]
    assert rows[1][1].time_s == pytest.approx(10.0)


def test_prices_round_trip_and_validation(tmp_path, monkeypatch):
    monkeypatch.setenv("HORSEPOWER_CONFIG_DIR", str(tmp_path))
    assert load_prices() == PriceBook()
    path = save_prices(BOOK)
    assert path == tmp_path / "prices.json"
    assert load_prices() == BOOK
    data = json.loads(path.read_text())
    data["devices"]["cpu"]["hours_per_day"] = 30
    path.write_text(json.dumps(data))
    notices: list[str] = []
    assert load_prices(notices=notices) == PriceBook()  # a bad file is set aside, never fatal
    assert "hours_per_day" in notices[0] and not path.exists()
    assert len(list(tmp_path.glob("prices.json.bad-*"))) == 1
    for bad in ("[1, 2]", '{"schema": 1, "devices": {"cpu": {"amortise_years": 1e-300}}}', "[" * 5000):
        path.write_text(bad)
        notices.clear()
        assert load_prices(notices=notices) == PriceBook() and "set it aside" in notices[0]
    with pytest.raises(PricesError, match="amortise_years"):
        check_price(DevicePrice("cpu", amortise_years=1e-300))


def test_a_run_and_its_dict_measure_the_same_power():
    from tests.helpers import run_result

    metered = run_result("gpu", device="cuda:0", device_name="Test GPU A", energy_j=2500.0)  # 10 s window
    assert measured_of(metered) == measured_from_result(metered.to_dict())
    assert measured_of(metered).power_w == pytest.approx(250.0)
    assert measured_of(metered).power_source == "energy counter"
    sampled = run_result("gpu", device="cuda:0", device_name="Test GPU A",
                         telemetry={"cuda:0.power_w": {"mean": 180.0, "max": 200.0}})
    assert measured_of(sampled) == measured_from_result(sampled.to_dict())
    assert measured_of(sampled).power_w == 180.0
    assert measured_of(run_result("cpu")).power_w is None  # not measured: n/a, never 0
