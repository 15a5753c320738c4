"""Where things are in the repository, for tests: one place, so moving a test never breaks a path."""

from __future__ import annotations

from pathlib import Path

#: the repository root (the folder holding pyproject.toml)
REPO_ROOT = Path(__file__).resolve().parent.parent
#: the small user models the tests load (tests/models/)
TEST_MODELS = REPO_ROOT / "tests" / "models"
#: the example models shipped with the repository (examples/)
EXAMPLES = REPO_ROOT / "examples"
