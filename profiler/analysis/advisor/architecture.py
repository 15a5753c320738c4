"""A GPU's architecture: the generation of chip design it belongs to, read from its name.

GPUs of one architecture share their tensor cores, their caches and the kernels the libraries
tune for them, so they reach similar shares of their peaks: the efficiency model gives each
architecture an offset (``fit.OFFSET_LEVELS``, outermost), and a GPU the corpus lacks inherits
the offset its siblings earned. The names follow the vendors' own: NVIDIA's architecture
whitepapers (Kepler GK110, Maxwell GM200, Pascal GP100, Volta GV100, Turing TU102, Ampere
GA100/GA102, Ada Lovelace AD102, Hopper GH100, Blackwell) and AMD's CDNA whitepapers. A name no
pattern matches has none (n/a): it gets no architecture offset. A ``hardware.json`` row may set
it (``architecture``). Within an architecture the GeForce parts form a product line of their own
(``product_line``): their tensor cores run FP32-accumulate at half rate.
"""

from __future__ import annotations

import re

#: (vendor, architecture, pattern searched in the device's name), checked in order
ARCHITECTURES: tuple[tuple[str, str, str], ...] = (
    ("NVIDIA", "NVIDIA Blackwell", r"\bG?B[123]00\b|GeForce RTX 50\d0"),
    ("NVIDIA", "NVIDIA Hopper", r"\bG?H[12]00\b|\bH800\b|\bH20\b"),
    ("NVIDIA", "NVIDIA Ada Lovelace", r"GeForce RTX 40\d0|\bL4\b|\bL40S?\b|\bL20\b|\bL2\b|Ada Generation"),
    ("NVIDIA", "NVIDIA Ampere", r"\bA100\b|\bA800\b|\bA10G?\b|\bA30\b|\bA40\b|\bA16\b|RTX A\d000|GeForce RTX 30\d0"),
    ("NVIDIA", "NVIDIA Turing", r"GeForce RTX 20\d0|Quadro RTX|\bT4\b|TITAN RTX|GTX 16\d0"),
    ("NVIDIA", "NVIDIA Volta", r"\bV100S?\b|Titan V\b"),
    ("NVIDIA", "NVIDIA Pascal", r"\bP100\b|\bP40\b|\bP4\b|GTX 10\d0|TITAN Xp\b|TITAN X \(Pascal\)|Quadro P\d"),
    ("NVIDIA", "NVIDIA Maxwell", r"\bM40\b|\bM60\b|GTX 9\d0|GTX TITAN X\b|Quadro M\d|Quadro K(1200|2200|620)\b"),
    ("NVIDIA", "NVIDIA Kepler", r"\bK[248]0[cmstX]?\b|GTX 7\d0|GTX TITAN( Black)?$|Quadro K[456]000\b"),
    ("AMD", "AMD CDNA 4", r"\bMI35\dX\b"),
    ("AMD", "AMD CDNA 3", r"\bMI3[02]\d[XA]?\b"),
    ("AMD", "AMD CDNA 2", r"\bMI2[15]0X?\b"),
)


def architecture_of(name: str, vendor: str) -> str | None:
    """The architecture of the GPU ``name`` from ``vendor``, or None when no pattern knows it."""
    for maker, arch, pattern in ARCHITECTURES:
        if maker.lower() == vendor.lower() and re.search(pattern, name, re.IGNORECASE):
            return arch
    return None


GEFORCE, PROFESSIONAL = "GeForce", "professional and data-centre"


def product_line(name: str) -> str:
    """``GEFORCE`` for a GeForce part (by its name), else ``PROFESSIONAL``."""
    return GEFORCE if "geforce" in name.lower() else PROFESSIONAL
