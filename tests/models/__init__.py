"""Model files for the user-model tests (importable as ``tests.models.NAME`` too)."""
