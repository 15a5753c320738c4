"""Run history: a crash-safe SQLite store of every run, recorded while it runs."""

from profiler.history.database import HistoryError
from profiler.history.recorder import RunRecorder, recording
from profiler.history.store import HistoryStore, RunSummary

__all__ = ["HistoryError", "HistoryStore", "RunRecorder", "RunSummary", "recording"]
