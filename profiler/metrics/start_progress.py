"""What a run does before its timed window, as steps a user can follow: building the model,
counting its FLOPs, finding the hardware peak, warming up. A "10 s" run spends seconds to tens of
seconds here; the engine says which step it is on in its ``RunStateChanged`` messages
(``step_message``), and the CLI and the window show ``start_progress`` of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

START_STEPS = ("building the model", "counting FLOPs", "finding the hardware peak", "warming up")
_MESSAGE = re.compile(r"^step (\d+) of (\d+): (.*)$")
PREPARING, WARMING = "preparing", "warming"  # profiler.results.result.RunState (results is above metrics)


def step_message(index: int, detail: str = "") -> str:
    """``step 2 of 4: counting FLOPs`` (``detail`` replaces the step's words when given)."""
    return f"step {index + 1} of {len(START_STEPS)}: {detail or START_STEPS[index]}"


@dataclass(frozen=True)
class StartProgress:
    """Step ``index`` (0-based) of ``total``, in ``words``; ``fraction`` of the whole start done
    (0..1, each step an equal share, warm-up by its steps of at most ``warmup_max_steps``)."""

    index: int
    total: int
    words: str
    fraction: float

    @property
    def text(self) -> str:
        return f"Getting ready · step {self.index + 1} of {self.total}: {self.words}"


def start_progress(state: str, message: str, warmup_steps: int = 0,
                   warmup_max_steps: int = 0) -> StartProgress | None:
    """Where a run is in its start, from its last state and message; None once it measures
    (or for a message that is not a start step)."""
    total = len(START_STEPS)
    if state == WARMING:
        share = min(1.0, warmup_steps / warmup_max_steps) if warmup_max_steps > 0 else 0.0
        words = START_STEPS[-1] + (f" ({warmup_steps} of at most {warmup_max_steps} steps)" if warmup_steps else "")
        return StartProgress(total - 1, total, words, (total - 1 + share) / total)
    if state != PREPARING:
        return None
    found = _MESSAGE.match(message or "")
    if found is None:
        return StartProgress(0, total, START_STEPS[0], 0.0)
    index = max(0, min(total - 1, int(found.group(1)) - 1))
    return StartProgress(index, total, found.group(3), index / total)
