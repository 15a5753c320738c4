"""What a step's FLOP count covers: FLOPs, calls of ops with a formula, and matrix-type ops
with none (counted by ``profiler.workloads.flop_coverage``; kept on the run result).

The share reported is of calls: uncounted matrix-op calls over all matrix-op calls of the
step. Calls, not time, because the count runs on the meta device, where nothing has a
duration; a call of an uncounted op may cost more or less than an average one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: what ``StepFlops.uncounted_share`` is a share of, in words (in the result's JSON)
BASIS = "calls of matrix-type ops in one training step"


@dataclass(frozen=True)
class StepFlops:
    """FLOPs of one step (multiply-add = 2) and its coverage: ``counted_calls`` of ops with a
    formula and ``uncounted`` matrix-type ops with none (op name -> calls)."""

    flops: int
    counted_calls: int = 0
    uncounted: Mapping[str, int] = field(default_factory=dict)

    @property
    def uncounted_calls(self) -> int:
        return sum(self.uncounted.values())

    @property
    def matrix_calls(self) -> int:
        return self.counted_calls + self.uncounted_calls

    @property
    def uncounted_share(self) -> float:
        """Uncounted over all matrix-op calls of the step (0.0 when it has none)."""
        return self.uncounted_calls / self.matrix_calls if self.matrix_calls else 0.0

    def sentence(self) -> str:
        """One line naming what was not counted ("" when everything was)."""
        if not self.uncounted:
            return ""
        ops = ", ".join(f"{name} ({calls} call{'s' if calls != 1 else ''})"
                        for name, calls in sorted(self.uncounted.items(), key=lambda kv: (-kv[1], kv[0])))
        share = self.uncounted_share * 100
        pct = f"{share:.0f}%" if share >= 1 else "under 1%"
        return (f"{pct} of the step's matrix-op calls ({self.uncounted_calls} of {self.matrix_calls}) have no FLOP "
                f"formula: {ops}; FLOPs, TFLOP/s and MFU leave them out")

    def to_dict(self) -> dict[str, Any]:
        """For the result's JSON: ``basis`` says what the share is of."""
        return {"flops": self.flops, "counted_calls": self.counted_calls, "uncounted_calls": dict(self.uncounted),
                "uncounted_share": self.uncounted_share, "basis": BASIS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepFlops:
        """The inverse of ``to_dict`` (derived keys ignored)."""
        return cls(int(data.get("flops") or 0), int(data.get("counted_calls") or 0),
                   {str(k): int(v) for k, v in dict(data.get("uncounted_calls") or {}).items()})

    @staticmethod
    def extrapolate(at2: StepFlops, at3: StepFlops, n: int) -> StepFlops:
        """The step at ``n`` of a step exactly affine in one knob, from its counts at 2 and 3."""
        def line(a: int, b: int) -> int:
            return a + (n - 2) * (b - a)

        names = set(at2.uncounted) | set(at3.uncounted)
        uncounted = {k: line(at2.uncounted.get(k, 0), at3.uncounted.get(k, 0)) for k in names}
        return StepFlops(line(at2.flops, at3.flops), line(at2.counted_calls, at3.counted_calls),
                         {k: v for k, v in uncounted.items() if v > 0})
