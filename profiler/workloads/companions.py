"""Model libraries that cannot import beside this torch: named, with the reason and the fix.

A torchvision wheel built for CUDA beside a CPU-only torch (or for another torch version)
fails on import with "operator torchvision::nms does not exist". ``breakage`` turns such a
failure into one line naming the library, its version, the torch it meets, why, and the
fix. ``block_if_broken`` tries a companion library once; if it is installed but does not
import, it is marked absent (``sys.modules[name] = None``, so ``importlib.util.find_spec``
answers None and a library that imports it lazily, as transformers does torchvision for image
processors, goes on without it) and the reason is kept in ``BROKEN``. Process-wide; call in a
worker or a model-check process only (it imports libraries).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import sys

import torch

log = logging.getLogger(__name__)

#: companions a library cannot work without (checked first, named when broken)
REQUIRED_COMPANIONS: dict[str, tuple[str, ...]] = {"timm": ("torchvision",)}
#: companions a library imports only for some models (blocked when broken)
OPTIONAL_COMPANIONS: dict[str, tuple[str, ...]] = {"transformers": ("torchvision",)}
#: name -> why it does not import here (companions found broken in this process)
BROKEN: dict[str, str] = {}


def version_of(name: str) -> str:
    """The installed distribution's version, or "" when it has no metadata."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def breakage(name: str, exc: BaseException) -> str:
    """``torchvision 0.22.0+cu121 does not import beside torch 2.13.0+cpu (RuntimeError: ...):
    a CUDA build beside a CPU-only torch; fix: ...``."""
    version = version_of(name)
    text = str(exc).strip().splitlines()
    error = f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__
    torch_version = torch.__version__
    cuda_torch = torch.version.cuda is not None
    local = version.partition("+")[2]
    if local.startswith("cu") and not cuda_torch:
        why = f"a CUDA build ({local}) beside a CPU-only torch"
        index = "cpu"
    elif local == "cpu" and cuda_torch:
        why = "a CPU-only build beside a CUDA torch"
        index = f"cu{str(torch.version.cuda).replace('.', '')}"
    else:
        why = f"probably built for another torch than {torch_version}"
        index = "cu" + str(torch.version.cuda).replace(".", "") if cuda_torch else "cpu"
    fix = (f"install the {name} build made for torch {torch_version} (pip install --force-reinstall --no-deps "
           f"{name} --index-url https://download.pytorch.org/whl/{index}) or uninstall {name}")
    named = f"{name} {version}".rstrip()
    return f"{named} does not import beside torch {torch_version} ({error}): {why}; fix: {fix}"


def block_if_broken(name: str) -> str:
    """"" when ``name`` imports or is not installed; else why not (and it is blocked from now on)."""
    if name in BROKEN:
        return BROKEN[name]
    if sys.modules.get(name) is not None:
        return ""
    try:
        if importlib.util.find_spec(name) is None:
            return ""
    except (ImportError, ValueError):
        return ""
    try:
        importlib.import_module(name)
        return ""
    except Exception as exc:
        reason = breakage(name, exc)
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[loaded]
    sys.modules[name] = None  # type: ignore[assignment]  # "not installed" to find_spec and import
    BROKEN[name] = reason
    log.warning("%s; models that need it are unavailable", reason)
    return reason
