"""The hardware catalogue: Epoch AI joined with the datasheet table, CPUs, prices, user rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler.analysis.advisor import EPOCH_CREDIT, credits, load_catalogue
from profiler.analysis.advisor.accelerators import binary_memory
from profiler.analysis.advisor.cpus import CpuInfo, identify_cpu, last_level_cache_bytes, match_generic
from profiler.analysis.advisor.epoch import load_epoch
from profiler.analysis.advisor.hardware import Figure
from profiler.analysis.advisor.overrides import OverrideError, overrides_path
from profiler.history.paths import config_dir
from tests.helpers import run_result

GIB = 2**30


def test_shipped_catalogue_joins_epoch_with_the_datasheet_table() -> None:
    cat = load_catalogue(use_overrides=False)
    assert len(load_epoch()) == 169
    h100 = cat.get("h100-sxm")
    assert h100 is not None and h100.featured
    assert h100.peak("bf16").value == pytest.approx(989.5e12)  # datasheet table, dense
    assert h100.peak("bf16").source.startswith("datasheet:")
    assert h100.memory_bytes.value == 80 * GIB and h100.memory_bytes.epoch  # memory from Epoch, its GB read as GiB
    # Epoch's RTX 4090 tensor figure is FP16-accumulate (330 TFLOP/s); the datasheet row wins
    assert cat.get("rtx-4090").peak("bf16").value == pytest.approx(165.2e12)
    # pre-Ampere NVIDIA: fp16 tensor cores, no bf16 figure (never borrowed)
    assert cat.get("t4").peak("bf16") is None and cat.get("t4").peak("fp16") is not None
    v100_epoch = [d for d in cat.devices if d.origin == "epoch" and "V100" in d.name]
    assert v100_epoch and all(d.peak("bf16") is None for d in v100_epoch)
    # an Epoch-only row keeps Epoch's figures and its credit flag
    tpu = cat.get("epoch-google-tpu-v5e")
    assert tpu is not None and tpu.device_class == "tpu" and tpu.peak("bf16").epoch
    assert cat.match_accelerator("NVIDIA H100 80GB HBM3").id == "h100-sxm"
    assert cat.match_accelerator("NVIDIA H200").id == "h200-sxm"
    assert cat.match_accelerator("Quantum Accelerator 1") is None


def test_the_lower_clocked_v100_board_is_its_own_device_with_an_estimated_peak() -> None:
    # the driver names the DGX Max-Q board "Tesla V100-SXM2-32GB-LS"; it is not the 300 W board,
    # and no vendor figure of its own exists, so its peak is flagged as an estimate
    cat = load_catalogue(use_overrides=False)
    board = cat.match_accelerator("Tesla V100-SXM2-32GB-LS")
    full = cat.match_accelerator("Tesla V100-SXM2-32GB")
    assert board is not None and full is not None
    assert (board.id, full.id) == ("v100-sxm2-32gb-ls", "v100-sxm2-32gb")
    assert board.estimate and not full.estimate
    assert board.architecture == full.architecture == "NVIDIA Volta"
    assert board.peak("fp16").value == full.peak("fp16").value  # an upper bound, said so in its source
    assert "estimate" in board.peak("fp16").source and board.tdp_w is None  # unknown, never guessed


def test_the_96gb_gh200_is_told_apart_from_the_hbm3e_one() -> None:
    # torch names the 96GB HBM3 superchip after its CPU memory ("NVIDIA GH200 480GB"); it moves
    # 4 TB/s, not the 4.9 TB/s of Epoch AI's (144GB HBM3e) GH200 row, and holds 96 GB
    cat = load_catalogue(use_overrides=False)
    gh200 = cat.match_accelerator("NVIDIA GH200 480GB")
    assert gh200 is not None and gh200.id == "gh200-96gb" and gh200.architecture == "NVIDIA Hopper"
    assert gh200.memory_bytes.value == 96 * GIB and gh200.bandwidth_bytes_per_s.value == 4.0e12
    assert gh200.peak("bf16").value == cat.get("h100-sxm").peak("bf16").value  # the same GPU die and clocks
    hbm3e = cat.match_accelerator("NVIDIA GH200 144G HBM3e")  # Epoch AI's GH200 row, with its memory filled in
    assert hbm3e is not None and hbm3e.id == "gh200-144gb" and hbm3e.bandwidth_bytes_per_s.value == 4.9e12
    assert hbm3e.memory_bytes.value == 144 * GIB and cat.get("epoch-nvidia-gh200") is None  # one GH200 (HBM3e) entry


def test_accelerator_memory_in_gb_is_read_as_the_gib_it_is() -> None:
    # "8 GB" on a card is 8 GiB: Lambda's RTX 3070 log reports 7,982 MiB usable, more than 8e9
    # bytes, and its published BERT-large AMP batch of 2 was called "does not fit" against 8e9
    assert binary_memory(Figure(8e9, "spec")).value == 8 * GIB
    assert 7982 * 2**20 > 8e9 and 7982 * 2**20 < binary_memory(Figure(8e9, "spec")).value
    assert "read as 8 GiB" in binary_memory(Figure(8e9, "spec")).source
    assert binary_memory(Figure(8.5e9, "measured")).value == 8.5e9  # not a whole GB figure: bytes as given
    assert binary_memory(None) is None
    cat = load_catalogue(use_overrides=False)
    assert cat.get("rtx-4090").memory_bytes.value == 24 * GIB  # Epoch's 24e9, read as GiB


def test_the_titan_rtx_is_the_full_tu102_with_full_rate_tensor_accumulate() -> None:
    # torch names it "NVIDIA TITAN RTX": the Quadro RTX 6000's chip and clocks (FP16 tensor with
    # FP32 accumulate at full rate, unlike a GeForce RTX 2080 Ti's), 24 GB, no TF32 or BF16
    cat = load_catalogue(use_overrides=False)
    titan = cat.match_accelerator("NVIDIA TITAN RTX")
    quadro = cat.match_accelerator("Quadro RTX 6000")
    assert titan is not None and titan.id == "titan-rtx" and quadro is not None and quadro.id != titan.id
    assert titan.architecture == "NVIDIA Turing" and titan.device_class == "consumer-gpu"
    assert titan.peak("fp16").value == pytest.approx(quadro.peak("fp16").value, rel=0.01)
    assert titan.peak("fp16").value > 2 * cat.get("epoch-nvidia-geforce-rtx-2080-ti-11gb").peak("fp16").value
    assert titan.peak("bf16") is None and titan.peak("tf32").value == titan.peak("fp32").value
    assert titan.memory_bytes.value == 24 * GIB and titan.bandwidth_bytes_per_s.value == 672e9


def test_the_a100_pcie_40gb_is_matched_with_its_datasheet_bandwidth_not_the_80gb_boards() -> None:
    # torch names it "NVIDIA A100-PCIE-40GB"; Epoch AI's "NVIDIA A100 PCIe" row holds its 40 GB but
    # the 80GB PCIe board's 1,940 GB/s and 300 W, which the join corrects from NVIDIA's datasheet
    cat = load_catalogue(use_overrides=False)
    board = cat.match_accelerator("NVIDIA A100-PCIE-40GB")
    assert board is not None and board.id == "a100-pcie-40gb" and board.name == "NVIDIA A100 PCIe 40GB"
    assert board.bandwidth_bytes_per_s.value == 1555e9 and board.tdp_w.value == 250
    assert "datasheet" in board.bandwidth_bytes_per_s.source and not board.bandwidth_bytes_per_s.epoch
    assert board.memory_bytes.value == 40 * GIB and board.memory_bytes.epoch  # Epoch's figure where it is right
    assert cat.match_accelerator("NVIDIA A100 80GB PCIe").bandwidth_bytes_per_s.value == 1935e9
    assert cat.get("epoch-nvidia-a100-pcie") is None  # one entry for the board


def test_the_rtx_3070_is_a_geforce_ampere_part_with_half_rate_tensor_accumulate() -> None:
    cat = load_catalogue(use_overrides=False)
    card = cat.match_accelerator("NVIDIA GeForce RTX 3070")
    assert card is not None and card.id == "rtx-3070" and card.architecture == "NVIDIA Ampere"
    assert card.peak("fp16").value == pytest.approx(2 * card.peak("fp32").value)  # FP32 accumulate, GeForce
    assert card.memory_bytes.value == 8 * GIB and card.bandwidth_bytes_per_s.value == 448e9
    assert cat.match_accelerator("NVIDIA GeForce RTX 3070 Ti") is None  # another chip budget: not this card


@pytest.mark.parametrize(("torch_name", "device_id", "memory_gib"), [
    # boards that share one datasheet row are told apart by the name torch reports (a 16 GB
    # V100 SXM2 had been taken for the 32 GB one, and a V100 PCIe, an A40 or an old driver's
    # "TITAN Xp" matched nothing)
    ("Tesla V100-SXM2-16GB", "epoch-nvidia-tesla-v100-sxm2-16-gb", 16),
    ("Tesla V100-SXM2-32GB", "v100-sxm2-32gb", 32),
    ("Tesla V100-SXM2-32GB-LS", "v100-sxm2-32gb-ls", 32),
    ("Tesla V100-SXM3-32GB", "epoch-nvidia-tesla-v100-sxm3-32-gb", 32),
    ("Tesla V100-PCIE-16GB", "v100-pcie-16gb", 16),
    ("Tesla V100-PCIE-32GB", "v100-pcie-32gb", 32),
    ("Tesla V100S-PCIE-32GB", "v100s-pcie-32gb", 32),
    ("NVIDIA A40", "a40", 48),
    ("TITAN Xp", "epoch-nvidia-titan-xp", 12),
    ("NVIDIA TITAN Xp", "epoch-nvidia-titan-xp", 12),
    ("NVIDIA A100-PCIE-40GB", "a100-pcie-40gb", 40),
    ("NVIDIA A100 80GB PCIe", "a100-pcie-80gb", 80),
])
def test_torchs_name_for_a_board_finds_that_board(torch_name: str, device_id: str, memory_gib: int) -> None:
    found = load_catalogue(use_overrides=False).match_accelerator(torch_name)
    assert found is not None and found.id == device_id, torch_name
    assert found.memory_bytes is not None and found.memory_bytes.value == memory_gib * GIB


def test_every_figure_names_a_source_and_prices_are_dated() -> None:
    cat = load_catalogue(use_overrides=False)
    for device in cat.devices:
        for figure in (*device.peaks.values(), device.memory_bytes, device.bandwidth_bytes_per_s, device.tdp_w):
            assert figure is None or figure.source, device.id
    assert {"h100-sxm", "a100-sxm4-80gb", "l4", "t4", "h200-sxm"} <= {p.device for p in cat.prices}
    for p in cat.prices:
        assert p.source.startswith("https://") and p.age_days() >= 0 and cat.get(p.device) is not None


def test_cpu_peaks_are_derived_from_cores_clock_and_isa() -> None:
    cat = load_catalogue(use_overrides=False)
    zen5 = cat.get("ryzen-9-9950x")
    assert zen5.peak("fp32").value == pytest.approx(16 * 5.7e9 * 64)  # 5.84 TFLOP/s
    assert zen5.bandwidth_bytes_per_s.value == pytest.approx(2 * 5600e6 * 8)
    raptor = cat.get("core-i9-14900k")  # 8 P-cores x 32 + 16 E-cores x 16 FLOP/cycle; no bf16 units
    assert raptor.peak("fp32").value == pytest.approx(8 * 6.0e9 * 32 + 16 * 4.4e9 * 16)
    assert raptor.peak("bf16") is None
    two = cat.get("xeon-6972p").slice(2)
    assert two.peak("fp32").value == pytest.approx(2 * 3.9e9 * 64)
    assert two.bandwidth_bytes_per_s.value == pytest.approx(12 * 6400e6 * 8 * 2 / 96)
    assert "2 of 96 cores" in two.peak("fp32").source


def test_generic_cpu_class_from_cpuinfo(tmp_path: Path) -> None:
    cat = load_catalogue(use_overrides=False)
    amx = CpuInfo("GenuineIntel", 6, "Intel(R) Xeon(R) Processor", frozenset({"avx512f", "amx_bf16"}))
    zen5 = CpuInfo("AuthenticAMD", 26, "AMD EPYC Processor", frozenset({"avx512f"}))
    avx2 = CpuInfo("GenuineIntel", 6, "Intel(R) Core(TM) i5", frozenset({"avx2"}))
    assert match_generic(amx, cat.generic_cpus).id == "generic-intel-xeon-amx"
    assert match_generic(zen5, cat.generic_cpus).id == "generic-amd-zen5"
    assert match_generic(avx2, cat.generic_cpus) is None
    named = identify_cpu(run_result("r", device_name="AMD Ryzen 9 9950X 16-Core Processor"),
                         cat.cpus(), cat.generic_cpus)
    assert named[0].id == "ryzen-9-9950x"
    elsewhere = identify_cpu(run_result("r", device_name="Mystery CPU", hostname="another-host"),
                             cat.cpus(), cat.generic_cpus)
    assert elsewhere[0] is None and "not in the catalogue" in elsewhere[1]
    cache = tmp_path / "cache"
    for index, (level, size) in enumerate([(1, "48K"), (2, "2048K"), (3, "491520K")]):
        (cache / f"index{index}").mkdir(parents=True)
        (cache / f"index{index}" / "level").write_text(str(level))
        (cache / f"index{index}" / "size").write_text(size)
    assert last_level_cache_bytes(cache) == 491520 * 1024


def test_credit_line() -> None:
    assert EPOCH_CREDIT == ('Data: Epoch AI, "Data on Machine Learning Hardware", '
                            "https://epoch.ai/data/machine-learning-hardware (CC BY 4.0)")
    assert EPOCH_CREDIT in credits()


def _write(doc: object) -> Path:
    path = overrides_path()
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_overrides_change_and_add_rows_and_prices() -> None:
    _write({"schema": 1, "devices": [
        {"id": "rtx-4090", "release_price_usd": 1499, "source": "my invoice", "as_of": "2026-11-30"},
        {"id": "lab-gpu", "name": "Lab GPU", "class": "consumer-gpu", "peak_flops": {"fp32": 4e13, "bf16": 1.6e14},
         "memory_bytes": 2.4e10, "bandwidth_bytes_per_s": 1e12, "tdp_w": 350, "source": "vendor sheet",
         "pattern": "Lab GPU", "architecture": "NVIDIA Ada Lovelace"},
        {"id": "lab-gpu-2", "name": "Lab GPU 2000", "class": "consumer-gpu", "peak_flops": {"fp32": 4e13},
         "source": "vendor sheet"},
        {"id": "lab-cpu", "name": "Lab CPU", "class": "cpu", "cores": 8, "peak_flops": {"fp32": 1e12},
         "source": "measured FMA loop"}],
        "prices": [{"device": "lab-gpu", "provider": "our cluster", "usd_per_h": 0.2, "read_on": "2026-11-30",
                    "source": "internal rate"}]})
    cat = load_catalogue()
    assert cat.override_file == str(config_dir() / "hardware.json")
    rtx = cat.get("rtx-4090")
    assert rtx.release_price_usd.value == 1499 and "my invoice" in rtx.release_price_usd.source
    assert rtx.peak("bf16").value == pytest.approx(165.2e12)  # untouched fields stay
    assert cat.get("lab-gpu").peak("bf16").value == 1.6e14 and cat.match_accelerator("Lab GPU 2").id == "lab-gpu"
    assert cat.get("lab-cpu").slice(2).peak("fp32").value == pytest.approx(0.25e12)
    assert cat.prices_for("lab-gpu")[0].usd_per_h == 0.2 and cat.prices_for("lab-gpu")[0].user
    assert cat.get("lab-gpu").architecture == "NVIDIA Ada Lovelace"  # as the row says
    assert cat.get("lab-gpu-2").architecture is None  # no row says, no pattern knows: n/a
    assert rtx.architecture == "NVIDIA Ada Lovelace"  # an override keeps what the name says


def test_a_gpus_architecture_is_read_from_its_name() -> None:
    from profiler.analysis.advisor.architecture import architecture_of

    nvidia = {"NVIDIA Quadro RTX 5000": "NVIDIA Turing",  # not a Blackwell "RTX 50x0"
              "NVIDIA GeForce RTX 5090": "NVIDIA Blackwell", "NVIDIA GB200": "NVIDIA Blackwell",
              "NVIDIA H100 SXM5 80GB": "NVIDIA Hopper", "NVIDIA L40S": "NVIDIA Ada Lovelace",
              "NVIDIA RTX 6000 Ada Generation": "NVIDIA Ada Lovelace", "NVIDIA A10G": "NVIDIA Ampere",
              "NVIDIA RTX A6000": "NVIDIA Ampere", "NVIDIA Tesla T4": "NVIDIA Turing",
              "NVIDIA Titan V": "NVIDIA Volta", "NVIDIA TITAN Xp": "NVIDIA Pascal",
              "NVIDIA GeForce GTX TITAN X": "NVIDIA Maxwell",  # the 2015 one; the Pascal one is "TITAN X (Pascal)"
              "NVIDIA Tesla K80": "NVIDIA Kepler", "NVIDIA GeForce GTX 580": None}
    for name, arch in nvidia.items():
        assert architecture_of(name, "NVIDIA") == arch, name
    assert architecture_of("AMD Instinct MI300X", "AMD") == "AMD CDNA 3"
    assert architecture_of("AMD Instinct MI355X", "AMD") == "AMD CDNA 4"
    assert architecture_of("NVIDIA A100", "AMD") is None  # the vendor must match too
    cat = load_catalogue(use_overrides=False)
    assert all(d.architecture is None for d in cat.devices if d.family != "gpu")
    assert cat.get("t4").architecture == "NVIDIA Turing" and cat.get("mi300x").architecture == "AMD CDNA 3"


@pytest.mark.parametrize(("doc", "fragment"), [
    ({"schema": 2}, "needs \"schema\": 1"),
    ({"schema": 1, "extra": []}, "unknown key(s) extra"),
    ({"schema": 1, "devices": [{"id": "rtx-4090", "tdp_w": -5, "source": "x"}]},
     "devices[0] ('rtx-4090'): tdp_w must be a number from 0.1 to 100000"),
    ({"schema": 1, "devices": [{"id": "rtx-4090", "tdp_w": 300}]}, "source must say where"),
    ({"schema": 1, "devices": [{"id": "new", "name": "N", "class": "gpu", "peak_flops": {"fp32": 1}, "source": "s"}]},
     "class must be one of"),
    ({"schema": 1, "devices": [{"id": "new", "name": "N", "class": "consumer-gpu", "source": "s"}]},
     "needs at least one peak_flops"),
    ({"schema": 1, "devices": [{"id": "t4", "peak_flops": {"int8": 1e14}, "source": "s"}]}, "unknown precision 'int8'"),
    ({"schema": 1, "devices": [{"id": "t4", "colour": "red", "source": "s"}]}, "unknown field(s) colour"),
    ({"schema": 1, "devices": [{"id": "t4", "architecture": 7, "source": "s"}]}, "architecture must be text"),
    ({"schema": 1, "devices": [{"id": "c", "name": "C", "class": "cpu", "peak_flops": {"fp32": 1e12}, "source": "s"}]},
     "a new CPU needs cores"),
    ({"schema": 1, "devices": [{"id": "t4", "as_of": "2099-01-01", "source": "s"}]},
     "as_of 2099-01-01 is in the future"),
    ({"schema": 1, "prices": [{"device": "t4", "provider": "p", "usd_per_h": 0, "read_on": "2026-01-01",
                               "source": "s"}]}, "prices[0]: usd_per_h must be a number from 0.0001 to 1000000"),
    ({"schema": 1, "prices": [{"device": "nope", "provider": "p", "usd_per_h": 1, "read_on": "2026-01-01",
                               "source": "s"}]}, "prices[0]: device 'nope' is not in the catalogue"),
    ({"schema": 1, "prices": [{"device": "t4", "provider": "p", "usd_per_h": 1, "source": "s"}]}, "missing read_on"),
])
def test_bad_override_rows_are_one_line_naming_file_and_row(doc: object, fragment: str) -> None:
    path = _write(doc)
    with pytest.raises(OverrideError) as info:
        load_catalogue()
    message = str(info.value)
    assert message.startswith(str(path)) and fragment in message and "\n" not in message


def test_unreadable_override_file() -> None:
    overrides_path().write_text("{not json", encoding="utf-8")
    with pytest.raises(OverrideError, match="not readable JSON"):
        load_catalogue()


def test_a_generic_cpu_class_names_its_cores_even_for_one() -> None:
    from profiler.analysis.advisor.catalogue import load_catalogue

    generic, _ = load_catalogue().generic_cpus[0]
    assert generic.slice(1).name == f"{generic.name}, 1 core"
    assert generic.slice(2).name == f"{generic.name}, 2 cores"
