"""Why a distributed run failed, in one line naming the rank to blame.

When one rank dies the others fail soon after (their collectives lose a peer), so the first
cause is chosen, not the last: a rank killed by a signal other than the agent's own SIGTERM
first, then the rank whose own failure record (``rank_entry.write_status``) is earliest, then the
agent's first failure. A rendezvous that never completed is blamed on no rank.
"""

from __future__ import annotations

from typing import Any

#: the agent stops surviving ranks with SIGTERM: a rank that died of it is not the cause
AGENT_STOP_SIGNALS = ("SIGTERM",)


def _rendezvous(error: str) -> str:
    low = error.lower()
    if "address already in use" in low:
        return f"the rendezvous port is in use ({error}); choose another port"
    if "timeout" in low or "timed out" in low:
        return f"the rendezvous did not complete in time ({error}); are all nodes started and reachable?"
    return f"the launch failed before training: {error}"


def explain(agent: dict[str, Any], statuses: list[dict[str, Any]], timed_out: bool = False,
            stopped: bool = False, deadline_s: float = 0.0) -> tuple[int | None, str]:
    """(rank to blame or None, one line) for a failed launch."""
    first_status = min(statuses, key=lambda s: float(s.get("time", 0.0))) if statuses else None
    if stopped:
        return None, "stopped before it finished; every rank was stopped"
    if timed_out:
        why = f"did not finish within {deadline_s:g} s; every rank was stopped"
        if first_status is not None:
            why += f" (first failure: rank {first_status['rank']}: {first_status['error']})"
        return None, why
    failures = list(agent.get("failures") or [])
    signalled = [f for f in failures if f.get("signal") and f["signal"] not in AGENT_STOP_SIGNALS]
    if signalled:
        f = min(signalled, key=lambda f: (f.get("timestamp") or 0, f["rank"]))
        return int(f["rank"]), f"rank {f['rank']} (pid {f['pid']}) was killed by {f['signal']}"
    if first_status is not None:
        rank = int(first_status["rank"])
        return (rank if rank >= 0 else None), f"rank {first_status['rank']} failed: {first_status['error']}"
    if failures:
        f = min(failures, key=lambda f: (f.get("timestamp") or 0, f["rank"]))
        how = f"was killed by {f['signal']}" if f.get("signal") else f"exited with code {f['exitcode']}"
        return int(f["rank"]), f"rank {f['rank']} (pid {f['pid']}) {how}"
    if agent.get("error"):
        return None, _rendezvous(str(agent["error"]))
    return None, "the launch ended without a result (see the log with -v)"
