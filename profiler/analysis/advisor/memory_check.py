"""How the memory-fit verdicts fare on the published corpus, where every batch is known to fit.

Each corpus figure was trained at its batch on its GPU, so the memory verdict for it
(``roofline.memory_fit`` of the model's counted facts at that batch and precision) should be
"fits" or, where the count cannot tell, "may not fit"; a "does not fit" is provably wrong.
The low activation factors (``census.ACTIVATION_MEMORY_FACTORS``) were set below every bound
the corpus gives, so this is an in-sample check that the constants and the corpus agree, and
a guard for a corpus that grows: a new figure that contradicts them shows up here. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from profiler.analysis.advisor.corpus import CorpusRow
from profiler.analysis.advisor.model_facts import ModelFacts
from profiler.analysis.advisor.roofline import FITS, MAYBE, NO_FIT, memory_fit
from profiler.analysis.advisor.subject import step_of


@dataclass(frozen=True)
class MemoryCheck:
    """Verdicts on published batches: counts by status and the figures wrongly refused."""

    counts: Mapping[str, int]
    wrong: tuple[str, ...]  # "row id: message" of each "does not fit"

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        """One line for the back-test table and the Advisor tab."""
        known = self.counts.get(FITS, 0) + self.counts.get(MAYBE, 0) + self.counts.get(NO_FIT, 0)
        return (f"Memory fit on {known} published batches (each trained on its GPU): "
                f"{self.counts.get(FITS, 0)} fits, {self.counts.get(MAYBE, 0)} may not fit, "
                f"{self.counts.get(NO_FIT, 0)} wrongly called does not fit"
                + (f"; {self.checked - known} unknown (no memory figure)" if self.checked > known else ""))

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "wrong": list(self.wrong), "line": self.line()}


def check_memory(corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts]) -> MemoryCheck:
    """The memory verdict of every corpus figure whose model was counted."""
    counts: Counter[str] = Counter()
    wrong = []
    for row in corpus:
        counted = facts.get(row.model_key)
        if counted is None:
            continue
        fit = memory_fit(step_of(counted, row.batch, row.precision), row.device)
        counts[fit.status] += 1
        if fit.status == NO_FIT:
            wrong.append(f"{row.id}: {fit.message}")
    return MemoryCheck(dict(counts), tuple(wrong))
