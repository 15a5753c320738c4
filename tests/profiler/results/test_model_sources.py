"""A model's hash covers its wrapper and the local modules it imports, nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

from profiler.results.model_ref import model_hash, parse_model_ref, sha256_file
from profiler.results.model_sources import local_imports

WRAPPER = """
import os
import torch
from model import GPT
import layers.attention
from . import nothing_here  # a relative import in a plain file resolves to the folder
def build():
    from helpers import make_batch  # imports inside functions count too
    return GPT, make_batch
"""


def project(root: Path) -> Path:
    (root / "layers").mkdir(parents=True)
    (root / "train.py").write_text(WRAPPER)
    (root / "model.py").write_text("from layers.mlp import MLP\nclass GPT: ...\n")
    (root / "helpers.py").write_text("def make_batch(): ...\n")
    (root / "layers" / "__init__.py").write_text("")
    (root / "layers" / "attention.py").write_text("A = 1\n")
    (root / "layers" / "mlp.py").write_text("class MLP: ...\n")
    (root / "unrelated.py").write_text("X = 1\n")
    return root / "train.py"


def test_the_wrapper_and_every_local_module_it_imports_are_found(tmp_path: Path) -> None:
    wrapper = project(tmp_path / "p")
    found = {Path(f).relative_to((tmp_path / "p").resolve()).as_posix() for f in local_imports(str(wrapper))}
    assert found == {"model.py", "helpers.py", "layers/__init__.py", "layers/attention.py", "layers/mlp.py"}


def test_the_hash_follows_imported_files_only_and_not_where_they_live(tmp_path: Path) -> None:
    wrapper = project(tmp_path / "a")
    ref = parse_model_ref(f"{wrapper}:build")
    before = model_hash(ref)
    (tmp_path / "a" / "unrelated.py").write_text("X = 2\n")
    assert model_hash(ref) == before  # not imported: not the model
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert model_hash(parse_model_ref(f"{tmp_path / 'b' / 'train.py'}:build")) == before  # location-free
    (tmp_path / "a" / "layers" / "mlp.py").write_text("class MLP:\n    width = 2\n")  # imported indirectly
    assert model_hash(ref) != before


def test_a_file_that_imports_nothing_local_keeps_its_own_sha256(tmp_path: Path) -> None:
    alone = tmp_path / "alone.py"
    alone.write_text("import torch\ndef build(): ...\n")
    assert model_hash(parse_model_ref(f"{alone}:build")) == sha256_file(str(alone))
