"""The advisor's back-tests, kept on disk: computing them takes about 15 s of CPU (a nested
cross-validation over the corpus, three regimes), and every piece of advice shows their summary.

``backtests(corpus, facts)`` returns one ``Backtest`` per regime: from
``<cache dir>/advisor_backtests.json`` (``HORSEPOWER_CACHE_DIR``) when its key matches; else
from the back-tests shipped for the shipped corpus (``resources/published/backtests.json.gz``,
written by ``bench/ship_backtests.py``) when theirs does, so the first advice on a new machine
takes a second, not fifteen; else computed and written to the cache. The key is a digest of
everything the result depends on: each usable corpus figure as fitted (its row, model, device
and its architecture, software stack, features, log efficiency, peak and bandwidth), the
figures left out, and the source of the fitting and back-test code. A cache file that is not a
cache is set aside (never deleted); a write that fails is logged and advice goes on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from profiler import numbers, paths
from profiler.analysis.advisor import backtest as backtest_module
from profiler.analysis.advisor import fit as fit_module
from profiler.analysis.advisor import gpu_model as gpu_model_module
from profiler.analysis.advisor.backtest import Backtest, run_backtest
from profiler.analysis.advisor.corpus import CorpusRow
from profiler.analysis.advisor.fit import REGIMES
from profiler.analysis.advisor.gpu_model import samples_of
from profiler.analysis.advisor.model_facts import ModelFacts
from profiler.analysis.advisor.resources_io import PUBLISHED_DIR, resource_dir
from profiler.outputs import aside_path

log = logging.getLogger(__name__)

CACHE_FILE = "advisor_backtests.json"
#: the shipped back-tests of the shipped corpus, in ``resources/published``
SHIPPED_FILE = "backtests.json.gz"
#: entries kept (one per corpus and code version: an override corpus does not evict the shipped one)
MAX_ENTRIES = 4


def cache_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


def cache_key(corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts]) -> str:
    """A digest of every input of the back-test (module doc)."""
    samples, left_out = samples_of(corpus, facts)
    rows = {r.id: r for r in corpus}
    h = hashlib.sha256()
    for module in (fit_module, gpu_model_module, backtest_module):
        h.update(Path(module.__file__ or "").read_bytes())
    for s in samples:
        row = rows[s.row_id]
        h.update(repr((s.row_id, s.group, s.source, s.case.family, s.case.precision, s.case.batch,
                       s.case.device.id, s.case.device.architecture, row.model, row.device.name, row.precision,
                       row.batch, row.stack,
                       s.samples_per_s, s.log_efficiency, s.roof.peak.label, s.roof.peak.flops_per_s,
                       s.roof.bandwidth_bytes_per_s, s.x.tobytes().hex())).encode())
    h.update(repr(tuple(left_out)).encode())
    return h.hexdigest()


def backtests(corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts]) -> tuple[Backtest, ...]:
    """One back-test per regime (``fit.REGIMES``), from the cache when it holds this corpus."""
    key = cache_key(corpus, facts)
    entries = _read(cache_path())
    cached = entries.get(key)
    if cached is not None:
        try:
            return tuple(Backtest.from_dict(d) for d in cached["regimes"])
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("advisor back-test cache entry unreadable (%s): computing it again", exc)
    shipped = read_shipped(key)
    if shipped is not None:
        return shipped
    results = tuple(run_backtest(corpus, facts, regime) for regime in REGIMES)
    entries = {k: v for k, v in entries.items() if k != key}
    kept = dict(list(entries.items())[-(MAX_ENTRIES - 1):])
    kept[key] = {"regimes": [r.to_dict() for r in results]}
    _write(cache_path(), kept)
    return results


def shipped_path() -> Path:
    """The back-tests shipped with the corpus (they may be absent, or of other code)."""
    try:
        return resource_dir(PUBLISHED_DIR) / SHIPPED_FILE
    except FileNotFoundError:
        return Path(SHIPPED_FILE)  # no published folder: a name that does not exist


def read_shipped(key: str) -> tuple[Backtest, ...] | None:
    """The shipped back-tests when they were computed for ``key``, else None."""
    try:
        data = numbers.json_loads(gzip.decompress(shipped_path().read_bytes()).decode("utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return tuple(Backtest.from_dict(d) for d in data["regimes"])
    except FileNotFoundError:
        return None
    except (OSError, EOFError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        log.warning("the shipped advisor back-tests %s are unreadable (%s): computing them", shipped_path(), exc)
        return None


def ship(corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts], path: Path) -> str:
    """Compute the back-tests of ``corpus`` afresh and write them, with their key, to ``path``
    (gzipped JSON, complete or not at all); the key."""
    key = cache_key(corpus, facts)
    results = tuple(run_backtest(corpus, facts, regime) for regime in REGIMES)
    body = gzip.compress(json.dumps({"key": key, "regimes": [r.to_dict() for r in results]}).encode("utf-8"),
                         compresslevel=9, mtime=0)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(body)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def _read(path: Path) -> dict[str, Any]:
    try:
        data = numbers.json_loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _set_aside(path, str(exc))
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        _set_aside(path, "not a mapping of entries")
        return {}
    return data


def _set_aside(path: Path, reason: str) -> None:
    try:
        aside = path.rename(aside_path(path, "bad"))
        log.warning("the advisor back-test cache %s was invalid (%s); set aside as %s", path, reason, aside.name)
    except OSError as exc:
        log.warning("the advisor back-test cache %s is invalid (%s) and could not be set aside (%s)", path, reason, exc)


def _write(path: Path, entries: Mapping[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write the advisor back-test cache %s (%s): it is computed again next time", path, exc)
        tmp.unlink(missing_ok=True)
