"""Check a user's model before a run starts, in a short-lived child process.

Why a child: checking means importing the user's module and calling their factory, and
their code may crash natively, hang or eat memory; in the window's or the CLI's own process
that would take the parent down. So the parent only parses the reference and looks at the
file (``model_ref.check_reference``, no user code), and a spawned child
(``model_check_child``) imports the model, builds it on ``meta`` (shapes only, nothing
allocated) and runs one forward, loss and backward there, falling back to the run's device
at a batch of at most 2 when the model cannot run on ``meta``. The child works under a
deadline (``RunSpec.build_timeout_s``) and dumps its stacks when it passes or the model
crashes; the parent turns that into one line plus details. The worker builds the model
again for the run, under its own deadline.

A passing check is cached per (model, file hash, knobs, device) for the parent's lifetime,
so a sweep checks each distinct model once, all of them in one child. Thread-safe.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

from profiler.child_process import describe_exit
from profiler.lifeline import isolate_spawn, spawn_entry, temp_prefix
from profiler.results.model_ref import model_label
from profiler.results.spec import RunSpec
from profiler.runner.deadline import passed_deadline, read_dump
from profiler.runner.model_check_answer import ModelCheck

log = logging.getLogger(__name__)

#: how long a check child may take to start (spawn, import torch) before its deadline applies
STARTUP_S = 120.0
POLL_S = 0.05

_cache: dict[tuple[Any, ...], ModelCheck] = {}
_lock = threading.Lock()
_running: set[Any] = set()  # check processes alive now (``stop_checks`` kills them)
_stopped: set[int] = set()  # pids of the check processes ``stop_checks`` killed


def stop_checks() -> int:
    """Kill every model check running in this process's children (a Cancel, the window
    closing); each waiting ``check_models`` then answers that the check was stopped. Returns
    how many were killed. Thread-safe."""
    with _lock:
        procs = list(_running)
        _stopped.update(p.pid for p in procs)
    for proc in procs:
        proc.kill()
    return len(procs)


def cache_key(spec: RunSpec) -> tuple[Any, ...]:
    return (spec.model, spec.model_hash, tuple(sorted(spec.knobs.items())), spec.device)


def check_model(spec: RunSpec) -> ModelCheck:
    """Check the user's model of ``spec`` (cached on success)."""
    return check_models([spec])[0]


def check_models(specs: Sequence[RunSpec]) -> list[ModelCheck]:
    """Check every distinct user model among ``specs`` in one child process; one answer per
    spec, in order. Blocks the calling thread (seconds: the child imports torch)."""
    keys = [cache_key(s) for s in specs]
    with _lock:
        todo = {k: s for k, s in zip(keys, specs, strict=True) if k not in _cache}
    found = _run_child(list(todo.values())) if todo else []
    answers = dict(zip(todo, found, strict=True))
    with _lock:
        for key, answer in answers.items():
            if answer.ok:
                _cache[key] = answer
        return [_cache.get(k) or answers[k] for k in keys]


def forget_checks() -> None:
    """Drop every cached check (tests; a window's "check again")."""
    with _lock:
        _cache.clear()


def _run_child(specs: list[RunSpec]) -> list[ModelCheck]:
    timeout_s = max(s.build_timeout_s for s in specs)
    isolate_spawn()
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    fd, dump_path = tempfile.mkstemp(prefix=temp_prefix("model-check"), suffix=".txt")
    os.close(fd)
    proc = ctx.Process(target=spawn_entry, args=("profiler.runner.model_check_child:check_child_main",
                                                 [s.to_dict() for s in specs], send, dump_path, timeout_s),
                       name="horsepower-model-check", daemon=True)
    proc.start()
    with _lock:
        _running.add(proc)
    send.close()
    results: dict[int, ModelCheck] = {}
    activities: dict[int, str] = {}
    try:
        _pump(proc, recv, results, activities, STARTUP_S + timeout_s * len(specs) + 10.0)
    except BaseException:  # stopped (a signal, Ctrl-C, the window closing): the check goes at once
        proc.kill()
        raise
    finally:
        recv.close()
        _reap(proc)
        with _lock:
            _running.discard(proc)
            stopped = proc.pid in _stopped
            _stopped.discard(proc.pid)
    dump = read_dump(dump_path)
    try:
        os.unlink(dump_path)
    except OSError:
        pass
    if stopped:
        return [results.get(i) or ModelCheck(model_label(spec.model), error=f"{model_label(spec.model)}: the check "
                                             "was stopped (Cancel) before it finished") for i, spec in enumerate(specs)]
    return [results.get(i) or _lost(spec, i, activities, proc.exitcode, dump, timeout_s, results)
            for i, spec in enumerate(specs)]


def _pump(proc: Any, recv: Any, results: dict[int, ModelCheck], activities: dict[int, str], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if not recv.poll(POLL_S):
                if not proc.is_alive() and not recv.poll(0):
                    return
                continue
            kind, index, payload = recv.recv()
        except (EOFError, OSError):
            return
        if kind == "activity":
            activities[index] = str(payload)
        elif kind == "result":
            results[index] = ModelCheck(**payload)
        elif kind == "done":
            return
    log.warning("model check process %s still running after %.0f s; killing it", proc.pid, limit_s)
    proc.kill()


def _reap(proc: Any) -> None:
    proc.join(5.0)
    if proc.is_alive():
        proc.kill()
        proc.join(2.0)


def _lost(spec: RunSpec, index: int, activities: dict[int, str], exitcode: int | None, dump: str,
          timeout_s: float, results: dict[int, ModelCheck]) -> ModelCheck:
    """The answer for a spec the child never answered: it hung, crashed, or died earlier."""
    label = model_label(spec.model)
    if index not in activities:
        reason = ("not checked: the check process ended at an earlier model" if results or activities
                  else f"the model check process ended before checking ({_exit_text(exitcode)})")
        return ModelCheck(label, error=f"{label}: {reason}", details=dump)
    activity = activities[index]
    if passed_deadline(dump):
        return ModelCheck(label, details=dump, error=(
            f"{label}: {activity} did not finish within {timeout_s:g} s (a factory or forward that hangs?); "
            "its stack when it was stopped is in the details"))
    return ModelCheck(label, details=dump, error=(
        f"{label}: the model crashed the check process ({_exit_text(exitcode)}) while {activity}; "
        "its Python stack is in the details"))


def _exit_text(exitcode: int | None) -> str:
    return describe_exit(exitcode, running="killed: it did not finish")
