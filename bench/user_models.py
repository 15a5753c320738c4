"""Models we did not write, measured by the engine: figures per model, and a bare loop beside them.

Each model runs as ``horsepower run --model REF`` does (validated in a check process, trained
in a supervised worker). With ``--bare`` the same workload is also trained by a hand-written
loop in this process, and the ratio engine / bare shows the engine's overhead on that model
(target >= 0.97; it is noise-bound on a busy 2-core machine). Prints one JSON line per model.

    python bench/user_models.py                                   # GPT-2 small and BERT-base, batch 2
    python bench/user_models.py --models hf:gpt2 --duration 60 --bare
    python bench/user_models.py --models examples/plain_model.py:build --batch-size 64
    python bench/user_models.py --tiny --duration 2              # a quick check that it runs
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import torch

from profiler import units
from profiler.events import EventBus
from profiler.results.model_ref import model_spec_fields
from profiler.results.spec import RunSpec
from profiler.runner import validate_spec
from profiler.worker.supervisor import supervise
from profiler.workloads.batching import forward_loss
from profiler.workloads.user import UserWorkload

DEFAULT_MODELS = ("hf:gpt2", "hf:bert-base-uncased")
#: small configs of the same architectures, for a check that the script runs
TINY = {
    "hf:gpt2": {"n_layer": 1, "n_embd": 64, "n_head": 2, "seq_len": 32},
    "hf:bert-base-uncased": {"num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 2,
                             "intermediate_size": 128, "seq_len": 32},
}


def engine_run(ref: str, batch_size: int | None, knobs: dict[str, int], duration_s: float) -> dict[str, object]:
    spec = RunSpec(**model_spec_fields(ref), batch_size=batch_size, knobs=knobs, duration_s=duration_s,
                   warmup_max_s=max(15.0, duration_s / 2))
    info = validate_spec(spec)
    result = supervise(spec, EventBus(), threading.Event(), device_info=info)
    return result.to_dict()


def bare_loop(ref: str, batch_size: int, knobs: dict[str, int], duration_s: float, warmup_steps: int = 2) -> float:
    """Samples/s of the loop a user would write by hand for the same workload (this process)."""
    fields = model_spec_fields(ref)
    built = UserWorkload(fields["model"], fields["model_hash"]).build("cpu", "S", batch_size, knobs)
    opt = torch.optim.AdamW(built.model.parameters(), lr=1e-3, weight_decay=0.01)
    built.model.train()

    def step() -> None:
        loss = forward_loss(built.model, built.loss_fn, built.make_batch())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()

    for _ in range(warmup_steps):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < duration_s or steps < 2:
        step()
        steps += 1
    return built.batch_size * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(DEFAULT_MODELS))
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--duration", type=float, default=40.0, help="timed seconds per model")
    parser.add_argument("--tiny", action="store_true", help="small configs (a check that the script runs)")
    parser.add_argument("--bare", action="store_true", help="also time a hand-written loop of each model")
    args = parser.parse_args()
    for ref in args.models:
        knobs = dict(TINY.get(ref, {})) if args.tiny else {}
        d = engine_run(ref, args.batch_size, knobs, args.duration)
        row = {k: d[k] for k in ("name", "status", "params", "flops_per_step", "samples_per_s", "tokens_per_s",
                                 "achieved_flops_per_s", "peak_flops_per_s", "mfu", "timed_steps", "error")}
        row["model"] = ref
        row["notices"] = d["notices"]
        row["warnings"] = d["warnings"]
        if args.bare and d["status"] == "completed":
            bare = bare_loop(ref, int(d["batch_size"]), knobs, args.duration)  # type: ignore[call-overload]
            row["bare_samples_per_s"] = bare
            row["engine_over_bare"] = float(d["samples_per_s"]) / bare if d["samples_per_s"] else None  # type: ignore[arg-type]
        print(json.dumps(row))
        print(f"# {ref}: {units.count(d['samples_per_s'], 2)} samples/s, {units.count(d['tokens_per_s'], 1)} "
              f"tokens/s, {units.flop(d['flops_per_step'])}/step, MFU {units.percent(d['mfu'])}, "
              f"{units.count(d['params'])} params", flush=True)


if __name__ == "__main__":
    main()
