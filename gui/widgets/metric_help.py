"""One sentence per metric, for tooltips everywhere in the window. Qt-free."""

from __future__ import annotations

HELP: dict[str, str] = {
    "samples_per_s": "Training samples processed per second in the timed window (after warm-up), "
    "including forward, backward and optimizer step.",
    "tflops": "Floating-point operations per second the model actually did (G = 1e9, "
    "T = 1e12), from the FLOPs counted per step over measured step time.",
    "mfu": "Model FLOPs utilization: achieved FLOP/s as a share of this device's hardware peak at "
    "the run's precision (ISA table or datasheet); the tooltip of the peak says where it comes from.",
    "speedup": "This run's samples/s over a comparable run's: the CPU's on the same workload, size, "
    "batch and settings (a device speedup), or the same device with other settings (labelled). "
    "A repeat of the same run shows its run-to-run spread instead; anything else is not comparable.",
    "step_time": "Wall time of one optimizer step in milliseconds, synchronized with the device.",
    "step_p50": "Median step time of the timed window, in milliseconds.",
    "spread": "Step-time spread: 95th over 5th percentile; above ~1.2x the machine was busy "
    "or the run was still warming up.",
    "loss": "Training loss on synthetic data: it should fall, which shows the model really trains.",
    "cpu_util": "Share of all CPU cores busy, machine-wide, in percent, over the last minute "
    "(read twice a second, also when nothing runs).",
    "process_share": "A run's own worker process, as a share of the whole machine on the same "
    "scale (100% = every core busy with this run).",
    "machine_memory": "RAM in use on the whole machine, each GPU's memory in use, and a run's own "
    "worker process (its resident memory; on a GPU also its tensors).",
    "per_core": "Busy percent of each logical core right now; an idle core while training "
    "on the CPU means threads are waiting.",
    "device_util": "Percent of time a kernel was running on the device (NVML's definition: "
    "not how many cores were busy).",
    "rss": "Resident memory of the worker process (host RAM it actually holds).",
    "alloc": "Device memory held by tensors in torch's caching allocator.",
    "reserved": "Device memory torch's caching allocator has reserved from the driver.",
    "cpu_shares": "This run's process / machine CPU: the run's own CPU time as a share of all cores, "
    "beside how busy the whole machine was (every process), means over the timed window: the two lines "
    "of the Utilization plot. Other processes taking more than about 15 points flag the run contended.",
    "peak_mem": "Highest memory seen during the run: device tensors on accelerators, "
    "worker RSS on the CPU.",
    "energy": "Energy the device used during the timed window, from its energy counter.",
    "status": "How the run ended: completed, stopped by you, failed, or out of memory.",
    "gui_cpu": "CPU time the window's GUI thread used per second (1.0 = one whole core): "
    "what watching costs the run.",
    "paint_ms": "Milliseconds spent painting the plots per refresh.",
    "latency": "99th-percentile delay of the window's event loop: how long a click can wait.",
    "refresh": "Plot refreshes per second; lowered while a CPU run is active so the window "
    "leaves the cores to training.",
    "sampling": "Telemetry readings per second taken by the engine's sampler.",
    "tokens_per_s": "Tokens per second: samples/s times the tokens in one sample, for a model that "
    "says how many tokens a sample holds (sequence models, hf: language models).",
}

NA_REASONS: dict[str, str] = {
    "tflops": "n/a: the engine has not counted this model's FLOPs (yet).",
    "mfu": "n/a: needs counted FLOPs and a hardware peak for this device and precision.",
    "speedup": "n/a: run the same workload on the CPU in this session to get a baseline.",
    "samples_per_s": "n/a: no timed steps yet (the run is still warming up).",
    "energy": "n/a: this device has no energy counter torch or its driver can read.",
    "tokens_per_s": "n/a: this model does not say how many tokens a sample holds.",
    "device_util": "n/a: this device does not report utilization.",
}


def tip(metric: str) -> str:
    return HELP.get(metric, "")


def na_tip(metric: str) -> str:
    return NA_REASONS.get(metric, "n/a: this reading is not available on this device.")
