"""Fault injection for tests of distributed runs: ``HORSEPOWER_DIST_FAULT=<what>:<rank>:<step>``.

``kill`` sends SIGKILL to the rank itself (a native death: no Python cleanup), ``raise``
raises ``InjectedRankFault``, ``hang`` sleeps until the rank is killed. The fault fires
before timed step ``step`` of rank ``rank``.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass

ENV = "HORSEPOWER_DIST_FAULT"
KINDS = ("kill", "raise", "hang")


class InjectedRankFault(RuntimeError):
    """Raised by the ``raise`` fault."""


@dataclass(frozen=True)
class RankFault:
    kind: str
    rank: int
    step: int

    def maybe_fire(self, rank: int, step: int) -> None:
        if rank != self.rank or step != self.step:
            return
        if self.kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.kind == "raise":
            raise InjectedRankFault(f"injected fault on rank {rank} at timed step {step}")
        while True:  # hang: only a signal ends this
            time.sleep(3600)


def configured_fault(env: Mapping[str, str] | None = None) -> RankFault | None:
    """The fault ``HORSEPOWER_DIST_FAULT`` asks for, or None; ValueError when malformed."""
    raw = (os.environ if env is None else env).get(ENV, "").strip()
    if not raw:
        return None
    parts = raw.split(":")
    if len(parts) != 3 or parts[0] not in KINDS or not parts[1].isdigit() or not parts[2].isdigit():
        raise ValueError(f"{ENV}={raw!r} must be <{'|'.join(KINDS)}>:<rank>:<step>")
    return RankFault(parts[0], int(parts[1]), int(parts[2]))
