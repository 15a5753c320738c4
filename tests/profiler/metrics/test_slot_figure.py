"""The comparison slot's stand-in on a CPU-only machine: energy first, then MFU, else n/a."""

from profiler.metrics.slot_figure import slot_figure


def test_the_slot_prefers_measured_energy_then_mfu_and_never_invents_one():
    energy = slot_figure(64.0, 0.02, 0.3, "sequences")
    assert energy is not None and energy.title == "SEQUENCES PER JOULE" and energy.text == "64 sequences/J"
    ceiling = slot_figure(None, 0.02, 0.3)
    assert ceiling is not None and ceiling.text == "30%" and "GEMM" in ceiling.title
    peak = slot_figure(None, 0.02, None)
    assert peak is not None and peak.text == "2.0%" and "PEAK" in peak.title
    assert slot_figure(None, None, None) is None
    assert slot_figure(0.0, None, None) is None  # no energy measured is not zero samples per joule
