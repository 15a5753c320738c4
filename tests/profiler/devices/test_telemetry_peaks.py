"""Datasheet peak lookup: specific rows win, unknown devices give None, every row has a source."""

from __future__ import annotations

import pytest

from profiler.devices.peaks import PRECISIONS, datasheet_peak, load_table, match_device


@pytest.mark.parametrize(
    ("name", "precision", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "bf16", 989.5e12),  # how torch names the SXM part
        ("NVIDIA H100 SXM5 94GB", "bf16", 989.5e12),
        ("NVIDIA H100 PCIe", "bf16", 756.5e12),
        ("NVIDIA H100 NVL", "bf16", 835.5e12),
        ("NVIDIA H200", "bf16", 989.5e12),
        ("NVIDIA H200 NVL", "bf16", 835.5e12),
        ("NVIDIA A100-SXM4-80GB", "tf32", 156e12),
        ("NVIDIA A100 80GB PCIe", "fp32", 19.5e12),
        ("NVIDIA B200", "bf16", 2250e12),
        ("NVIDIA L4", "bf16", 121e12),
        ("NVIDIA L40S", "fp16", 362.05e12),
        ("NVIDIA GeForce RTX 4090", "bf16", 165.2e12),
        ("AMD Instinct MI300X", "bf16", 1307.4e12),
        ("AMD Instinct MI250X", "bf16", 191.5e12),
        ("Apple M2 Max (38-core GPU)", "fp32", 13.6e12),
        ("Tesla T4", "fp16", 65e12),
        ("NVIDIA A40", "bf16", 149.7e12),  # MFU for an A40 (no row matched it before)
        ("NVIDIA TITAN RTX", "fp16", 130e12),
        ("NVIDIA GeForce RTX 3070", "bf16", 40.6e12),
    ],
)
def test_known_devices(name, precision, expected):
    found = datasheet_peak(name, precision)
    assert found is not None
    value, source = found
    assert value == pytest.approx(expected, rel=1e-3)
    assert source


def test_sxm_and_pcie_differ_and_name_the_row():
    sxm = datasheet_peak("NVIDIA H100 80GB HBM3", "bf16")
    pcie = datasheet_peak("NVIDIA H100 PCIe", "bf16")
    assert sxm and pcie and sxm[0] > pcie[0]
    assert sxm[1].startswith("H100 SXM:") and pcie[1].startswith("H100 PCIe:")


def test_a_gh200_is_its_own_row_never_an_h200():
    # "NVIDIA GH200 480GB" contains "H200" but is the 96GB HBM3 superchip (named after its CPU memory)
    found = match_device("NVIDIA GH200 480GB")
    assert found is not None and found.name == "GH200 96GB HBM3"
    assert match_device("NVIDIA H200").name != found.name
    assert match_device("NVIDIA GH200 144G HBM3e").name == "GH200 144GB HBM3e"  # the other superchip, its own row


@pytest.mark.parametrize(
    "name",
    [
        "NVIDIA GeForce RTX 4090 Laptop GPU",  # a different chip budget than the desktop card
        "NVIDIA A100-SXM4-80GB MIG 1g.10gb",  # a slice of a GPU
        "AMD Instinct MI250X/MI250",  # ambiguous marketing name
        "Apple M3 Max",  # core count unknown: 30 or 40
        "NVIDIA H100",  # variant unknown
        "Intel(R) Core(TM) i7",
        "",
    ],
)
def test_unknown_or_ambiguous_is_none_never_a_guess(name):
    assert datasheet_peak(name, "bf16") is None
    assert match_device(name) is None


def test_missing_precision_is_none_and_tf32_falls_back_only_without_tf32_units():
    assert datasheet_peak("Tesla T4", "bf16") is None  # Turing has no BF16 tensor cores
    t4 = datasheet_peak("Tesla T4", "tf32")
    assert t4 is not None and t4[0] == pytest.approx(8.1e12) and "FP32 peak" in t4[1]
    with pytest.raises(ValueError):
        datasheet_peak("NVIDIA H100 PCIe", "fp8")


def test_table_is_dense_sourced_and_covers_the_required_devices():
    rows = load_table()
    for row in rows:
        assert row.source and set(row.flops) <= set(PRECISIONS)
        assert all(1e12 <= v <= 5e15 for v in row.flops.values())
        if row.vendor == "Apple":
            assert row.estimate
    names = " | ".join(r.name for r in rows)
    for needed in (
        "V100",
        "A100 SXM4 40GB",
        "A100 PCIe 80GB",
        "H100 SXM",
        "H100 PCIe",
        "H200",
        "B200",
        "L4",
        "L40S",
        "A10G",
        "T4",
        "RTX 3090",
        "RTX 4090",
        "RTX 5090",
        "RTX 4080",
        "RTX 3080",
        "MI100",
        "MI210",
        "MI250X",
        "MI300X",
        "MI325X",
        "M1",
        "M2 Pro",
        "M3 Max",
        "M4",
    ):
        assert needed in names, needed
    # dense, not the 2:4-sparsity figure: H100 SXM BF16 is published as 1979 "with sparsity"
    assert datasheet_peak("NVIDIA H100 80GB HBM3", "bf16")[0] < 1.0e15
