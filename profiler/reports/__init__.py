"""Exports, imports and self-contained HTML reports of runs and comparisons."""
