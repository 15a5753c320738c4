"""Model libraries behind ``timm:NAME`` and ``torchvision:NAME`` (``hf:`` is ``hf.py``), and
what every model source gives the user workload: a factory with knobs.

Every model is built with random weights and nothing is downloaded (``pretrained=False``,
``weights=None``). Batches are random images of the model's input size with class labels;
the loss is cross-entropy on the logits (an output with auxiliary heads, as Inception's in
training mode, contributes its main logits). Runs library code: worker or model-check only.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F

from profiler.workloads.companions import BROKEN, OPTIONAL_COMPANIONS, REQUIRED_COMPANIONS, block_if_broken, breakage
from profiler.workloads.loading import Knob, LibraryError, traceback_of, user_error
from profiler.workloads.protocol import ModelWorkload, WorkloadError

IMAGE_SIZE = 224
IMAGE_BATCH = 16
CLASSES = 1000
#: torchvision classification models whose input is not 224x224 (their documented size)
TORCHVISION_SIZES = {"inception_v3": 299}


@dataclass(frozen=True)
class ModelSource:
    """A loaded factory: ``build(**knobs)`` returns the workload; ``who`` names it in messages;
    ``library`` is the library and version that builds it ("" for the user's own code)."""

    who: str
    knobs: dict[str, Knob]
    build: Callable[..., Any]
    library: str = ""


def import_library(module: str, prefix: str) -> ModuleType:
    """Import a model library, saying plainly when it is missing or does not import.

    A companion it needs (timm: torchvision) that does not import is named with the reason
    and the fix; one it only imports lazily (transformers: torchvision, for image processors)
    is blocked instead (``companions.block_if_broken``), so a broken torchvision never breaks
    ``hf:gpt2``."""
    if module in BROKEN:  # found broken earlier in this process (and blocked since)
        raise LibraryError(f"{prefix}: {BROKEN[module]}")
    for companion in REQUIRED_COMPANIONS.get(module, ()):
        reason = block_if_broken(companion)
        if reason:
            raise LibraryError(f"{prefix}: models need {companion}, which does not import here: {reason}")
    for companion in OPTIONAL_COMPANIONS.get(module, ()):
        block_if_broken(companion)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            raise WorkloadError(f"{prefix}: models need the {module} library, which is not installed here "
                                f"(pip install {module})") from None
        raise user_error(f"{module} is installed but does not import (a missing dependency?)", exc,
                         LibraryError) from None
    except Exception as exc:
        raise LibraryError(f"{prefix}: {breakage(module, exc)}", traceback_of(exc)) from None


def logits_loss(output: Any, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the main logits (``output.logits``, ``output[0]`` or the output)."""
    logits = getattr(output, "logits", None)
    if logits is None:
        logits = output[0] if isinstance(output, (tuple, list)) else output
    return F.cross_entropy(logits, labels)


def image_workload(model: torch.nn.Module, image_size: int, classes: int) -> ModelWorkload:
    """A classifier on random ``(3, image_size, image_size)`` images with labels below ``classes``."""

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        images = torch.randn(batch_size, 3, image_size, image_size, device=device)
        return images, torch.randint(0, classes, (batch_size,), device=device)

    return ModelWorkload(model=model, make_batch=make_batch, loss=logits_loss, sample_unit="images",
                         batch_size=IMAGE_BATCH)


def _knobs(image_size: int) -> dict[str, Knob]:
    return {"image_size": Knob("image_size", image_size, "input height and width in pixels"),
            "num_classes": Knob("num_classes", CLASSES, "output classes")}


def _unknown(prefix: str, name: str, names: list[str], extra: str = "") -> WorkloadError:
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return WorkloadError(f"unknown {prefix} model {name!r}{hint}{extra}")


def timm_source(name: str) -> ModelSource:
    """``timm.create_model(name, pretrained=False, num_classes=...)``."""
    timm = import_library("timm", "timm")
    if not timm.is_model(name):
        raise _unknown("timm", name, list(timm.list_models()), " (timm.list_models() lists them)")
    size = IMAGE_SIZE
    get_cfg = getattr(getattr(timm, "models", None), "get_pretrained_cfg", None)
    cfg = get_cfg(name) if callable(get_cfg) else None
    input_size = getattr(cfg, "input_size", None)
    if isinstance(input_size, (tuple, list)) and len(input_size) == 3:
        size = int(input_size[-1])

    def build(image_size: int = size, num_classes: int = CLASSES) -> ModelWorkload:
        model = timm.create_model(name, pretrained=False, num_classes=num_classes)
        return image_workload(model, image_size, num_classes)

    return ModelSource(f"timm:{name}", _knobs(size), build, f"timm {getattr(timm, '__version__', '?')}")


def torchvision_source(name: str) -> ModelSource:
    """``torchvision.models.get_model(name, weights=None, num_classes=...)`` (classifiers only)."""
    torchvision = import_library("torchvision", "torchvision")
    models = torchvision.models
    classifiers = list(models.list_models(module=models))
    if name not in classifiers:
        if name in models.list_models():
            raise WorkloadError(f"torchvision:{name} is not an image classifier; Horsepower trains the "
                                f"classification models (e.g. {', '.join(sorted(classifiers)[:4])})")
        raise _unknown("torchvision", name, classifiers, " (torchvision.models.list_models() lists them)")
    size = TORCHVISION_SIZES.get(name, IMAGE_SIZE)

    def build(image_size: int = size, num_classes: int = CLASSES) -> ModelWorkload:
        model = models.get_model(name, weights=None, num_classes=num_classes)
        return image_workload(model, image_size, num_classes)

    version = f"torchvision {getattr(torchvision, '__version__', '?')}"
    return ModelSource(f"torchvision:{name}", _knobs(size), build, version)
