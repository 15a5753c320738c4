"""A model file whose import fails (a dependency that is not installed)."""

import a_package_that_does_not_exist  # noqa: F401


def build() -> dict:
    return {}
