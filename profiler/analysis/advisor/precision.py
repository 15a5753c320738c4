"""The precision a user trains with on a target device, and the peak FLOP/s that precision gets.

Target precisions (``horsepower advise --precision``):

- ``fp32``: what PyTorch runs by default for fp32 tensors. On a device with TF32 tensor units
  (Ampere and newer) cuDNN convolutions run in TF32 (``torch.backends.cudnn.allow_tf32`` is
  True by default) while matmuls stay FP32 (``torch.backends.cuda.matmul.allow_tf32`` is False
  by default since PyTorch 1.12). A mixed model's peak is the FLOP-weighted harmonic mean of the
  two: ``flops / (conv_flops / tf32_peak + other_flops / fp32_peak)``, so a CNN gets nearly the
  TF32 peak and a transformer the FP32 peak. Elsewhere: the plain FP32 peak.
- ``tf32``: TF32 for convolutions and matmuls (``torch.set_float32_matmul_precision("high")``);
  the plain FP32 peak on a device without TF32 units.
- ``bf16`` / ``fp16``: autocast to that type; the tensor-core peak of that type.
- ``amp``: automatic mixed precision as NVIDIA's and Lambda's benchmarks run it (fp16 autocast
  with a loss scaler): the fp16 peak.

FLOPs do not depend on the dtype, so any run or model can be projected at any precision the
target has a figure for; a missing figure is ``NoFigure`` ("n/a: no fp16 figure for this
device"), never a figure of another precision. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler import units
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.roofline import NoFigure

TARGET_PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "amp")
#: precision class of a target precision for the efficiency model: plain/TF32 fp32 or 16-bit
HALF = ("bf16", "fp16", "amp")


class PrecisionError(ValueError):
    """An unknown precision name; the message is one line for the user."""


@dataclass(frozen=True)
class Peak:
    """The peak one target precision gets on one device for one model (FLOP/s), and its words."""

    precision: str
    flops_per_s: float
    label: str   # "A100 SXM4 80 GB, TF32 dense 156 TFLOP/s"
    kind: str    # the efficiency model's precision class: fp32, tf32 or half
    source: str


def check_precision(name: str) -> str:
    """``name`` lower-cased if it is a target precision, else ``PrecisionError``."""
    value = str(name).strip().lower()
    if value not in TARGET_PRECISIONS:
        raise PrecisionError(f"unknown precision {name!r}; choose from {', '.join(TARGET_PRECISIONS)}")
    return value


def default_precision(run_precision: str | None) -> str:
    """The target precision a run's own dtype setting means on another device: an fp32 run
    trains at PyTorch's fp32 default there, a tf32/bf16/fp16 run at that setting."""
    value = str(run_precision or "fp32").lower()
    return value if value in TARGET_PRECISIONS else "fp32"


def has_tf32_units(device: HardwareDevice) -> bool:
    """True when the device's TF32 figure is its own (tensor units), not the FP32 fallback."""
    tf32, fp32 = device.peak("tf32"), device.peak("fp32")
    return tf32 is not None and (fp32 is None or tf32.value > fp32.value * 1.01)


def peak_for(device: HardwareDevice, precision: str, conv_share: float | None = None,
             matmul_tf32: bool = False) -> Peak:
    """The peak ``precision`` gets on ``device`` for a model whose FLOPs are ``conv_share``
    convolutions (None: unknown, taken as none). ``matmul_tf32``: the software enables TF32
    matmuls for fp32 (NGC containers and PyTorch 1.7-1.11 did). ``NoFigure`` when the device
    has no figure for the precision."""
    precision = check_precision(precision)
    name = device.name
    if precision in HALF:
        dtype = "fp16" if precision == "amp" else precision
        figure = device.peak(dtype)
        if figure is None:
            raise NoFigure(f"n/a: no {dtype} figure for this device")
        what = "AMP (fp16 autocast)" if precision == "amp" else dtype.upper()
        return Peak(precision, figure.value, f"{name}, {what} dense {units.flops(figure.value)}", "half",
                    figure.source)
    fp32 = device.peak("fp32")
    if fp32 is None:
        raise NoFigure("n/a: no fp32 figure for this device")
    if not has_tf32_units(device):
        tf32 = device.peak("tf32")
        why = ("no TF32 units" if tf32 is None or "no TF32 units" in tf32.source
               else "its TF32 tensor rate is the FP32 rate: no gain from TF32 here")
        return Peak(precision, fp32.value, f"{name}, FP32 {units.flops(fp32.value)} ({why})", "fp32", fp32.source)
    tf32 = device.peak("tf32")
    assert tf32 is not None
    if precision == "tf32" or matmul_tf32:
        why = "" if precision == "tf32" else " (the software enables TF32 matmuls)"
        return Peak(precision, tf32.value, f"{name}, TF32 dense {units.flops(tf32.value)}{why}", "tf32", tf32.source)
    share = min(1.0, max(0.0, conv_share or 0.0))
    value = 1.0 / (share / tf32.value + (1.0 - share) / fp32.value)
    if share >= 0.995:
        label = f"{name}, TF32 dense {units.flops(tf32.value)} (PyTorch's fp32 default runs convolutions in TF32)"
        return Peak(precision, value, label, "tf32", tf32.source)
    if share <= 0.005:
        label = f"{name}, FP32 {units.flops(fp32.value)} (PyTorch's fp32 default: matmuls in FP32)"
        return Peak(precision, value, label, "fp32", fp32.source)
    label = (f"{name}, FP32 default {units.flops(value)}: {share:.0%} of FLOPs in convolutions at TF32 "
             f"{units.flops(tf32.value)}, the rest FP32 {units.flops(fp32.value)}")
    return Peak(precision, value, label, "tf32" if share >= 0.5 else "fp32", f"{tf32.source}; {fp32.source}")
