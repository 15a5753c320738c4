"""The words for a run's state, one table for the cards' chip and the status bar. Qt-free.

The chip above the cards and the status bar read the same run state
(``profiler.results.result.RunState``) through this table, so they never disagree
("WARM-UP" on the chip while the status bar says "measuring").
"""

from __future__ import annotations

#: state -> (chip kind for the stylesheet, chip text, words for the status bar)
STATE_WORDS: dict[str, tuple[str, str, str]] = {
    "pending": ("preparing", "STARTING", "starting the worker process"),
    "preparing": ("preparing", "PREPARING", "preparing: building the model, counting FLOPs, probing the peak"),
    "warming": ("warmup", "WARM-UP", "warming up until step time settles (not measured)"),
    "measuring": ("live", "\u25cf LIVE", "measuring the timed window"),
    "completed": ("final", "FINAL", "completed"),
    "stopped": ("partial", "PARTIAL", "stopped: the figures cover only the steps measured"),
    "failed": ("failed", "FAILED", "failed"),
    "oom": ("failed", "OUT OF MEMORY", "ran out of memory"),
    "interrupted": ("failed", "INTERRUPTED", "interrupted"),
}
IDLE = ("idle", "IDLE", "idle")


def chip(state: str) -> tuple[str, str]:
    """(stylesheet kind, text) of the chip for ``state``."""
    kind, text, _ = STATE_WORDS.get(state, IDLE)
    return kind, text


def words(state: str) -> str:
    """The status bar's words for ``state``."""
    return STATE_WORDS.get(state, (state, state, state))[2]
