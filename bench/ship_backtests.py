"""Compute the advisor's back-tests of the shipped corpus and ship them with it.

Writes ``resources/published/backtests.json.gz``: the three regimes' back-tests (``fit.REGIMES``)
with the digest of everything they depend on (``profiler.reports.backtest_cache.cache_key``:
the corpus as fitted and the fitting code). Advice reads them instead of computing them on a
new machine (about 15 s of CPU) whenever the digest matches; a test fails while it does not.
Run it after changing the corpus, the model facts or the fitting code:

    python bench/ship_backtests.py            # about 15 s; prints the summary it shipped
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from profiler.analysis.advisor import load_catalogue  # noqa: E402
from profiler.analysis.advisor.corpus import load_corpus  # noqa: E402
from profiler.analysis.advisor.model_facts import shipped_facts  # noqa: E402
from profiler.reports import backtest_cache  # noqa: E402

OUT = ROOT / "resources" / "published" / backtest_cache.SHIPPED_FILE


def main() -> int:
    corpus, facts = load_corpus(load_catalogue(use_overrides=False)), shipped_facts()
    key = backtest_cache.ship(corpus, facts, OUT)
    shipped = backtest_cache.read_shipped(key)
    assert shipped is not None, "the file just written does not read back"
    for result in shipped:
        card = result.scorecard()
        print(f"{card.title}: " + ", ".join(f"{s.name} {s.value} ({s.target}: {'met' if s.met else 'NOT met'})"
                                            for s in card.scores))
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size:,} bytes), key {key[:12]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
