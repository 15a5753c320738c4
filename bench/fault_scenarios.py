"""The scenarios of ``bench/faults.py``: one or more per numbered item of issue 25, each a few
seconds of tiny steps in its own ``Sandbox``. Each returns a ``Row``; ``ok`` says whether
what it checks held."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable

from fault_kit import MODELS, Row, Sandbox, changed, fingerprint, last_line, wait_until

from profiler.distributed.ports import free_port

TINY = ["--workload", "mlp", "--knob", "width=32", "--knob", "depth=1", "--batch-size", "8", "--threads", "1"]
TINY_DIST = ["--device", "cpu", "--workload", "mlp", "--knob", "width=32", "--knob", "depth=1", "--batch-size", "8",
             "--steps", "1000000", "--no-peak", "--reference-steps", "1"]
HANG_ENV = "HORSEPOWER_TEST_HANG_FILE"


def _dist_args(sb: Sandbox, kind: str) -> list[str]:
    if kind == "scale":
        return ["scale", "--nproc", "2", "--no-history", *TINY_DIST]
    return ["node", "--nnodes", "1", "--nproc-per-node", "2", "--rdzv-endpoint", f"127.0.0.1:{free_port()}",
            "--out", str(sb.dir / "out.json"), *TINY_DIST]


def listeners(kind: str) -> Callable[[Sandbox], Row]:
    """1: while ``scale``/``node`` trains, no marked process listens beyond loopback."""
    def scenario(sb: Sandbox) -> Row:
        row = Row(f"{kind} listens", "1", expected_exit="143")
        proc = sb.start(_dist_args(sb, kind))
        if not wait_until(sb.running("profiler.distributed.rank_entry", 2)):
            row.note = "ranks never started: " + last_line(proc.err_path)
            return row
        wait_until(lambda: sb.listeners_beyond_loopback() > 0, timeout_s=3.0)  # give every store time to bind
        row.listeners_beyond_loopback = sb.listeners_beyond_loopback()
        proc.send_signal(signal.SIGTERM)
        row.exit_code = proc.wait(60)
        row.processes_left = sb.survivors()
        row.ok = row.listeners_beyond_loopback == 0 and row.processes_left == 0 and row.exit_code == 143
        return row
    return scenario


def cwd_import(sb: Sandbox) -> Row:
    """2: a ``typing.py`` in the working directory never runs in a helper process."""
    row = Row("typing.py in cwd", "2", expected_exit="0")
    pwned = sb.dir / "PWN"
    (sb.dirs["CWD"] / "typing.py").write_text(f"open({str(pwned)!r}, 'w').close()\nraise SystemExit(99)\n")
    done = sb.run(["run", *TINY, "--steps", "3", "--no-history"])
    row.exit_code = done.returncode
    row.files_overwritten = int(pwned.exists())
    row.ok = row.exit_code == 0 and not pwned.exists()
    row.note = "" if row.ok else done.stderr.strip()[-160:]
    return row


def node_signal(signum: int) -> Callable[[Sandbox], Row]:
    """3: ``node`` on SIGTERM/SIGHUP stops its ranks, writes ``--out`` and exits 128+sig."""
    def scenario(sb: Sandbox) -> Row:
        name = signal.Signals(signum).name
        row = Row(f"node {name}", "3", expected_exit=str(128 + signum))
        proc = sb.start(_dist_args(sb, "node"))
        if not wait_until(sb.running("profiler.distributed.rank_entry", 2)):
            row.note = "ranks never started"
            return row
        proc.send_signal(signum)
        row.exit_code = proc.wait(60)
        row.processes_left = sb.survivors()
        wrote = (sb.dir / "out.json").exists()
        row.note = f"--out written: {wrote}"
        row.ok = row.exit_code == 128 + signum and row.processes_left == 0 and wrote
        return row
    return scenario


def parent_sigkill(kind: str) -> Callable[[Sandbox], Row]:
    """4 and 10: SIGKILL of the CLI leaves no agent, rank, check or training worker (a hung step too)."""
    def scenario(sb: Sandbox) -> Row:
        row = Row(f"{kind} SIGKILL", "10" if kind == "hung step" else "4", expected_exit="-9")
        hang = sb.dir / "hanging"
        if kind == "hung step":
            proc = sb.start(["run", "--model", f"{MODELS / 'hangs.py'}:build", "--steps", "50", "--no-history"],
                            **{HANG_ENV: str(hang)})
            reached = wait_until(hang.exists)
        else:
            proc = sb.start(_dist_args(sb, kind))
            reached = wait_until(sb.running("profiler.distributed.rank_entry", 2))
        if not reached:
            row.note = "the moment to kill never came"
            return row
        os.kill(proc.pid, signal.SIGKILL)
        row.exit_code = proc.wait(10)
        row.processes_left = sb.survivors(exclude=proc.pid)
        row.ok = row.processes_left == 0
        return row
    return scenario


def bad_ceiling_cache(sb: Sandbox) -> Row:
    """5: a bad cached GEMM ceiling is set aside with a notice; the run is summarised and saved."""
    row = Row("bad ceiling cache", "5", expected_exit="0")
    entry = {"flops_per_s": "fast", "measured_at": 1.0, "hardware_id": "x", "torch": "x"}
    (sb.dirs["CACHE"] / "gemm_ceilings.json").write_text(json.dumps({"schema": 1, "entries": {
        "cpu|fp32|threads=1": entry}}))
    out = sb.dir / "r.json"
    done = sb.run(["run", *TINY, "--steps", "5", "--json", str(out)], HORSEPOWER_CEILING="cached")
    row.exit_code = done.returncode
    result = json.loads(out.read_text()) if out.exists() else {}
    row.measured, row.stored = result.get("timed_steps"), sb.timed_steps_stored()
    aside = list(sb.dirs["CACHE"].glob("gemm_ceilings.json.bad-*"))
    row.ok = row.exit_code == 0 and bool(result) and bool(aside) and row.measured == row.stored
    row.note = f"set aside: {len(aside)} file(s)"
    return row


def nan_loss(sb: Sandbox) -> Row:
    """6: a NaN loss ends with a summary, a JSON and an exportable result, flagged."""
    row = Row("NaN loss", "6", expected_exit="0")
    out = sb.dir / "r.json"
    done = sb.run(["run", "--model", f"{MODELS / 'nan_loss.py'}:build", "--steps", "4", "--json", str(out)])
    row.exit_code = done.returncode
    result = json.loads(out.read_text()) if out.exists() else {}
    row.measured, row.stored = result.get("timed_steps"), sb.timed_steps_stored()
    exported = sb.run(["export", str(result.get("run_id", "none")), "--json", "-"])
    flagged = any("NaN" in w for w in result.get("warnings", []))
    try:
        json.loads(exported.stdout)
        exportable = exported.returncode == 0
    except ValueError:
        exportable = False
    row.note = f"flagged: {flagged}, exportable: {exportable}"
    row.ok = row.exit_code == 0 and flagged and exportable and row.measured == row.stored
    return row


def json_over_input(target: str) -> Callable[[Sandbox], Row]:
    """7: ``--json`` naming the model file or the history database is refused; nothing changes."""
    def scenario(sb: Sandbox) -> Row:
        row = Row(f"--json over {target}", "7", expected_exit="2")
        model = sb.dirs["CWD"] / "model.py"
        model.write_text((MODELS / "tiny_mlp.py").read_text())
        sb.run(["run", *TINY, "--steps", "2"])  # a history to protect
        path = model if target == "model" else sb.db
        before = fingerprint(model, sb.db)
        done = sb.run(["run", "--model", f"{model}:build", "--steps", "2", "--json", str(path)])
        row.exit_code = done.returncode
        row.files_overwritten = changed(before)
        row.ok = row.exit_code == 2 and row.files_overwritten == 0
        row.note = done.stderr.strip().splitlines()[-1][:120] if done.stderr.strip() else ""
        return row
    return scenario


def window_signal(signum: int) -> Callable[[Sandbox], Row]:
    """8: the window on a stop signal stops and stores the run, writes --json, exits 128+sig."""
    def scenario(sb: Sandbox) -> Row:
        row = Row(f"window {signal.Signals(signum).name}", "8", expected_exit=str(128 + signum))
        out = sb.dir / "r.json"
        proc = sb.start(["gui", "--run", "cpu:mlp", "--duration", "120", "--batch-size", "8", "--threads", "1",
                         "--json", str(out), "--quit-after", "300"], module="gui.app.launcher")
        if not wait_until(lambda: sb.timed_steps_stored() > 0, timeout_s=240):
            row.note = "never measured: " + last_line(proc.err_path)
            return row
        proc.send_signal(signum)
        row.exit_code = proc.wait(60)
        result = json.loads(out.read_text()) if out.exists() else {}
        row.measured, row.stored = result.get("timed_steps"), sb.timed_steps_stored()
        row.processes_left = sb.survivors()
        row.ok = (row.exit_code == 128 + signum and result.get("status") == "stopped"
                  and row.measured == row.stored and row.processes_left == 0)
        return row
    return scenario


def check_signal(signum: int) -> Callable[[Sandbox], Row]:
    """9: a stop signal during a hung model check stops the check and exits 128+sig."""
    def scenario(sb: Sandbox) -> Row:
        row = Row(f"check {signal.Signals(signum).name}", "9", expected_exit=str(128 + signum))
        hang = sb.dir / "hanging"
        proc = sb.start(["run", "--model", f"{MODELS / 'hangs.py'}:hangs_when_built", "--no-history"],
                        **{HANG_ENV: str(hang)})
        if not wait_until(hang.exists):
            row.note = "the check never hung"
            return row
        proc.send_signal(signum)
        row.exit_code = proc.wait(30)
        row.processes_left = sb.survivors()
        row.note = last_line(proc.err_path)
        row.ok = row.exit_code == 128 + signum and row.processes_left == 0
        return row
    return scenario


def delete_running(sb: Sandbox) -> Row:
    """11: ``history delete`` of a running run is refused; the run's steps and result are kept."""
    row = Row("delete a running run", "11", expected_exit="2")
    out = sb.dir / "r.json"
    proc = sb.start(["run", *TINY, "--duration", "60", "--json", str(out)])
    if not wait_until(lambda: sb.timed_steps_stored() > 0):
        row.note = "never measured"
        return row
    listed = json.loads(sb.run(["history", "--json"]).stdout or "[]")
    run_id = listed[0]["run_id"] if listed else "none"
    deleted = sb.run(["history", "delete", run_id])
    row.exit_code = deleted.returncode
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    result = json.loads(out.read_text()) if out.exists() else {}
    row.measured, row.stored = result.get("timed_steps"), sb.timed_steps_stored()
    row.ok = row.exit_code == 2 and row.measured == row.stored and bool(result)
    return row


def window_size(sb: Sandbox) -> Row:
    """12: a huge --window-size is refused; a huge saved size never reaches the window."""
    row = Row("window size", "12", expected_exit="0")
    refused = subprocess.run([sys.executable, "-P", "-m", "gui.app.launcher", "gui", "--window-size",
                              "100000x100000"], env=sb.env(), capture_output=True, timeout=60, check=False)
    (sb.dirs["CONFIG"] / "window.json").write_text(json.dumps({"schema": 1, "window_size": [10**30, 10**30]}))
    proc = sb.start(["gui", "--quit-after", "3"], module="gui.app.launcher")
    row.exit_code = proc.wait(120)
    saved = json.loads((sb.dirs["CONFIG"] / "window.json").read_text()).get("window_size", [0, 0])
    row.note = f"--window-size 100000x100000: exit {refused.returncode}; saved size now {saved}"
    row.ok = refused.returncode == 2 and row.exit_code == 0 and max(saved) <= 32768
    return row


def stdout_data(sb: Sandbox) -> Row:
    """13: ``--json -`` stdout is only the JSON though the model prints; ``compare --html -`` only HTML."""
    row = Row("stdout is data", "13", expected_exit="0")
    done = sb.run(["run", "--model", f"{MODELS / 'hangs.py'}:noisy", "--steps", "3", "--json", "-"])
    row.exit_code = done.returncode
    try:
        run_id = json.loads(done.stdout)["run_id"]
        html = sb.run(["compare", run_id, run_id, "--html", "-"]).stdout.lstrip().lower()
        exported = json.loads(sb.run(["export", run_id, "--json", "-"]).stdout)
        row.ok = row.exit_code == 0 and html.startswith("<!doctype html") and bool(exported)
    except (ValueError, KeyError) as exc:
        row.note = f"stdout was not pure data: {exc}"
    return row


BAD_NUMBERS = [
    ["run", "--threads", "1e23"], ["run", "--batch-size", "1e23"], ["run", "--steps", "1e23"],
    ["run", "--loader-workers", "1000"], ["run", "--trace", "t.json", "--trace-steps", "1e23"],
    ["history", "--limit", "1e23"],
    ["sweep", "--device", "cpu", "--knob", "batch_size", "--values", "1e23"], ["scale", "--timeout", "inf"],
    ["value", "set", "cpu", "--purchase", "1000", "--years", "1e-300", "--hours-per-day", "1e-300"],
    ["advise", "x", "--samples", "nan"], ["export", "x", "--json", ""],
]


def bad_numbers(sb: Sandbox) -> Row:
    """14: every bad number is one line, exit 2 (and a bad hardware.json is one line too)."""
    row = Row("bad numbers", "14", expected_exit="2")
    (sb.dirs["CONFIG"] / "hardware.json").write_text('{"schema": 1, "devices": [{"id": "x", "tdp_w": 1e308}]}')
    misses = []
    for args in [*BAD_NUMBERS, ["advise", "--catalogue"], ["gui", "--quit-after", "nan"]]:
        done = sb.run(args, timeout_s=60) if args[0] != "gui" else subprocess.run(
            [sys.executable, "-P", "-m", "gui.app.launcher", *args], env=sb.env(), capture_output=True,
            text=True, timeout=60, check=False)
        if done.returncode != 2 or len(done.stderr.strip().splitlines()) != 1 or "Traceback" in done.stderr:
            misses.append(" ".join(args))
    row.exit_code = 2 if not misses else 1
    row.note = f"{len(BAD_NUMBERS) + 2 - len(misses)} of {len(BAD_NUMBERS) + 2} refused in one line" + (
        f"; not: {misses}" if misses else "")
    row.ok = not misses
    return row


def leaks(sb: Sandbox) -> Row:
    """15: no torchelastic_* or horsepower temp files left; a FIFO with no reader never hangs."""
    row = Row("leaks and FIFO", "15", expected_exit="1")
    sb.run(["scale", "--nproc", "1", "--no-history", "--device", "cpu", "--workload", "mlp", "--knob", "width=32",
            "--batch-size", "8", "--steps", "3", "--no-peak", "--reference-steps", "1"])
    hang = sb.dir / "hanging"
    proc = sb.start(["run", "--model", f"{MODELS / 'hangs.py'}:hangs_when_built"], **{HANG_ENV: str(hang)})
    wait_until(hang.exists)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    sb.survivors()
    sb.run(["history"])  # the next process to make a temporary file removes what the killed one left
    fifo = sb.dir / "pipe"
    os.mkfifo(fifo)
    done = sb.run(["run", *TINY, "--steps", "3", "--json", str(fifo)], timeout_s=120)
    sb.run(["run", *TINY, "--steps", "2", "--no-history"])  # a new check/worker sweeps the temp dir
    kept = ("torchinductor_", "horsepower-2")  # torch's shared compile cache; a rescued result (deliberate)
    left = [p.name for p in sb.dirs["TMP"].iterdir() if not p.name.startswith(kept)]
    row.exit_code = done.returncode
    row.files_overwritten = len(left)
    row.note = f"FIFO: exit {done.returncode}, {last_line_text(done.stderr)}; temp left: {left[:4]}"
    row.ok = not left and done.returncode == 1
    return row


def last_line_text(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


SCENARIOS: dict[str, Callable[[Sandbox], Row]] = {
    "1-scale-listeners": listeners("scale"),
    "1-node-listeners": listeners("node"),
    "2-cwd-import": cwd_import,
    "3-node-sigterm": node_signal(signal.SIGTERM),
    "3-node-sighup": node_signal(signal.SIGHUP),
    "4-scale-sigkill": parent_sigkill("scale"),
    "4-node-sigkill": parent_sigkill("node"),
    "5-bad-ceiling-cache": bad_ceiling_cache,
    "6-nan-loss": nan_loss,
    "7-json-over-model": json_over_input("model"),
    "7-json-over-history": json_over_input("history"),
    "8-window-sigterm": window_signal(signal.SIGTERM),
    "8-window-sigint": window_signal(signal.SIGINT),
    "8-window-sighup": window_signal(signal.SIGHUP),
    "9-check-sigterm": check_signal(signal.SIGTERM),
    "9-check-sighup": check_signal(signal.SIGHUP),
    "10-hung-step-sigkill": parent_sigkill("hung step"),
    "11-delete-running": delete_running,
    "12-window-size": window_size,
    "13-stdout-data": stdout_data,
    "14-bad-numbers": bad_numbers,
    "15-leaks-fifo": leaks,
}
