"""Is a measured run sound enough to be a basis for advice?

A run that failed, ran out of memory, was interrupted or stopped before its window, timed too
few steps, or was measured on a busy machine (``metrics.contention``: other processes' median
share of the CPU over its timed window above the threshold) says little about its hardware: it
is never a basis for a CPU projection and never calibrates anything. GPU targets may still be
projected from its counted FLOPs (they need no timing). ``unsound_reason(run)`` is one line
saying why, or None for a sound run.
"""

from __future__ import annotations

from profiler.results.result import RunResult

#: fewer timed steps than this: the rate is not a measurement
MIN_TIMED_STEPS = 5
#: a stopped run passes this first check only to be named for what it is next: partial
#: (``metrics.quality.partial_reason``), or a run that measured nothing
SOUND_STATUSES = ("completed", "stopped")


def busy_reason(run: RunResult) -> str | None:
    """Why the run counts as measured on a busy machine (the engine's one verdict,
    ``metrics.contention``: others' median CPU share over the timed window), or None."""
    verdict = run.contention
    if not verdict.contended:
        return None
    share = verdict.others_median_percent
    return "it was measured on a busy machine" + (f" (other processes used a median {share:.0f}% of the CPU)"
                                                   if share is not None else "")


def unsound_reason(run: RunResult) -> str | None:
    """One line on why ``run`` cannot be a basis for CPU advice, or None when it can."""
    if run.status not in SOUND_STATUSES:
        return f"the run did not complete (status {run.status or 'unknown'})"
    partial = run.partial  # the engine's one definition: a stopped run measured part of its window
    if partial:
        return f"the run is {partial}"
    steps = len(run.step_times_s)
    if steps < MIN_TIMED_STEPS:
        return f"the run timed {steps} step(s), fewer than {MIN_TIMED_STEPS}"
    if not run.samples_per_s:
        return "the run measured no samples/s"
    return busy_reason(run)


def refusal(reason: str) -> str:
    """The sentence shown instead of CPU projections for an unsound run."""
    return (f"Not a basis for CPU advice: {reason}. CPU figures need a sound measurement: run it again "
            "on a quiet machine. GPU rows are projected from the model's counted FLOPs, not from this timing.")
