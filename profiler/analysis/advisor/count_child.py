"""Count a model in a short-lived child process, for callers that must not run its code.

``OutOfProcessCount()(ref, knobs)`` runs ``python -m profiler.analysis.advisor.count_child
REF KNOBS_JSON``: the child builds the model and counts it (``model_facts.count_reference``:
meta device, or one CPU step) and prints ``{"facts": ...}`` or ``{"error": "one line"}`` as
its last stdout line. A user's model (``file.py:factory``, ``hf:``...) runs its own code when
built and may crash, hang or take the memory of the process it runs in; the window counts it
this way (its Advisor tab), the command line in its own process. ``stop()``, from any
thread, kills the count in progress (the user's Stop); ``cancel()`` kills it and refuses any
later one (the window closing); a child that outlives ``timeout_s`` is killed too. Every
failure is a ``CountError`` with one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

from profiler.analysis.advisor.model_facts import CountError, ModelFacts, count_reference

#: the longest a count may take (s): a large ``hf:`` model stepped on the CPU takes tens of seconds
COUNT_TIMEOUT_S = 300.0
CANCELLED = "the count was cancelled"
STOPPED = "the count was stopped before it finished"


class OutOfProcessCount:
    """One count at a time in a child process; ``cancel`` ends it and any later one."""

    def __init__(self, timeout_s: float = COUNT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None
        self._cancelled = False
        self._stopped = False  # the running count only (``stop``)

    def __call__(self, ref: str, knobs: Mapping[str, Any]) -> ModelFacts:
        """``ref`` with ``knobs`` counted in a child process (blocks up to ``timeout_s``)."""
        from profiler.child_process import describe_exit
        from profiler.lifeline import child_env, python_command

        cmd = python_command(__name__, ref, json.dumps(dict(knobs)))
        with self._lock:
            if self._cancelled:
                raise CountError(CANCELLED)
            self._stopped = False
            try:
                child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         stdin=subprocess.DEVNULL, env=child_env())
            except OSError as exc:
                raise CountError(f"cannot count {ref}: the counting process could not start ({exc})") from None
            self._child = child
        try:
            out, err = child.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise CountError(f"cannot count {ref}: counting took longer than {self.timeout_s:.0f} s") from None
        finally:
            with self._lock:
                self._child = None
        if self._cancelled or self._stopped:
            raise CountError(CANCELLED if self._cancelled else STOPPED)
        return _facts_of(ref, child.returncode, out, err, describe_exit(child.returncode))

    def stop(self) -> None:
        """Kill the running count (if any); later counts run. Any thread (the user's Stop)."""
        with self._lock:
            if self._child is not None and self._child.poll() is None:
                self._stopped = True
                self._child.kill()

    def cancel(self) -> None:
        """Kill the running count (if any) and refuse later ones. Any thread."""
        with self._lock:
            self._cancelled = True
            if self._child is not None and self._child.poll() is None:
                self._child.kill()


def _facts_of(ref: str, returncode: int | None, out: str, err: str, exit_words: str) -> ModelFacts:
    """The child's answer as facts, or the one line that says why there are none."""
    from profiler.child_process import last_line_json

    try:
        answer: dict[str, Any] = last_line_json(out)
    except ValueError:
        answer = {}
    if isinstance(answer.get("error"), str):
        raise CountError(answer["error"])
    if returncode != 0 or not isinstance(answer.get("facts"), dict):
        tail = (err.strip().splitlines() or ["no message"])[-1][:200]
        raise CountError(f"cannot count {ref}: the counting process ended with {exit_words} ({tail})")
    try:
        return ModelFacts.from_dict(answer["facts"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CountError(f"cannot count {ref}: the counting process answered something unexpected ({exc})") from None


def main(argv: list[str] | None = None) -> int:
    """The child: ``REF KNOBS_JSON`` -> one JSON line on stdout (exit 0 whether or not it counted)."""
    import logging

    from profiler.lifeline import die_with_parent

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    die_with_parent()
    args = sys.argv[1:] if argv is None else argv
    try:
        ref, knobs = args[0], json.loads(args[1])
        if not isinstance(knobs, dict):
            raise ValueError("knobs are not an object")
    except (IndexError, ValueError) as exc:
        print(json.dumps({"error": f"the counting process was started wrongly ({exc})"}))
        return 2
    try:
        facts = count_reference(ref, knobs)
    except CountError as exc:
        print(json.dumps({"error": str(exc)}))
        return 0
    print(json.dumps({"facts": facts.to_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
