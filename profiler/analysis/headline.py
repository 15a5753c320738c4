"""The one-sentence result for a title slide or the top of a report.

"NVIDIA H200 is 38× faster than this CPU on gpt-S, 0.90 USD per million samples": the
strongest honest comparison among the runs (a device speedup, else a settings speedup on
one device, else the fastest run's own throughput), with its money and energy figures
when they were measured and priced. Computed from result dicts; nothing is estimated.

A run measured on a busy machine (``profiler.metrics.contention``) is never a claim: no
speedup is headlined where either run was contended, a quiet run's figure is preferred, and
when every run was contended the headline says "measured on a busy machine: not this
hardware's capability" instead of a figure.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from profiler import units
from profiler.analysis.model_words import model_words
from profiler.analysis.value import PriceBook, device_value, measured_from_result
from profiler.metrics.comparison import DEVICE, SETTINGS, Speedup, speedup
from profiler.metrics.contention import NOT_CAPABILITY, contention_of_dict
from profiler.metrics.naming import model_part, part, run_label
from profiler.metrics.quality import partial_reason
from profiler.metrics.verdict import INPUT_BOUND

#: money per this many samples, the first that gives a readable amount
PER_SAMPLES = ((1, "sample"), (1_000, "thousand samples"), (1_000_000, "million samples"),
               (1_000_000_000, "billion samples"))


@dataclass(frozen=True)
class Headline:
    """``sentence`` is the headline; ``basis`` says what was run and measured; ``caveats``
    are the warnings of the runs it rests on. ``run_id``/``baseline_id`` name them."""

    sentence: str
    basis: str = ""
    caveats: tuple[str, ...] = ()
    run_id: str = ""
    baseline_id: str = ""
    speedup: float | None = None
    extras: tuple[str, ...] = field(default_factory=tuple)
    #: True: the sentence says the runs were measured on a busy machine instead of a claim
    contended: bool = False


def _usable(run: Mapping[str, Any]) -> bool:
    return str(run.get("status")) in ("completed", "stopped") and bool(run.get("samples_per_s"))


def device_words(run: Mapping[str, Any]) -> str:
    """``this CPU``, ``the CPU of host-b``, ``NVIDIA H200`` (the device's name), ``cuda:1``."""
    device = str(run.get("device") or "cpu")
    info = part(run, "device_info")
    env = part(run, "environment")
    if device == "cpu":
        host = str(env.get("hostname") or "")
        return "this CPU" if not host or host == socket.gethostname() else f"the CPU of {host}"
    name = str(info.get("name") or "")
    return name if name and name != device else device


def money_per_samples(samples_per_money: float | None, currency: str) -> str:
    """``0.90 USD per million samples``: the cost of a round number of samples, readable."""
    if not samples_per_money:
        return units.NA
    for count, words in PER_SAMPLES:
        cost = count / samples_per_money
        if cost >= 0.01:
            return f"{units.money(cost, currency)} per {words}"
    count, words = PER_SAMPLES[-1]
    return f"{units.money(count / samples_per_money, currency)} per {words}"


def _extras(run: Mapping[str, Any], prices: PriceBook | None) -> tuple[str, ...]:
    out = []
    if prices is not None:
        value = device_value(measured_from_result(run), prices.price_for(str(run.get("device"))),
                             prices.electricity_per_kwh)
        if value.samples_per_dollar:
            out.append(money_per_samples(value.samples_per_dollar, prices.currency))
    if run.get("samples_per_j"):
        out.append(units.si(run["samples_per_j"], "samples/J", spaced=True))
    return tuple(out)


def _best_pair(runs: Sequence[Mapping[str, Any]], kind: str,
               baseline: Mapping[str, Any] | None) -> tuple[Mapping[str, Any], Mapping[str, Any], Speedup] | None:
    best = None
    bases = [baseline] if baseline is not None else list(runs)
    for run in runs:
        for base in bases:
            if base is run or contention_of_dict(run).contended or contention_of_dict(base).contended:
                continue  # a speedup against (or of) a busy-machine figure is a contention artefact
            found = speedup(run, base)
            if found.kind != kind or found.value is None or found.value <= 1.0:
                continue
            if best is None or found.value > (best[2].value or 0.0):
                best = (run, base, found)
    return best


def _caveats(*runs: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for run in runs:
        out += [f"{run_label(run)}: {w}" for w in run.get("warnings") or ()]
        partial = partial_reason(run)
        if partial:
            out.append(f"{run_label(run)}: {partial}")
    return tuple(out)


def _basis(*runs: Mapping[str, Any]) -> str:
    first = runs[0]
    spec = part(first, "spec")
    batch = first.get("batch_size") or spec.get("batch_size")
    timed = " and ".join(units.seconds(r.get("timed_s")) for r in runs)
    precisions = " vs ".join(dict.fromkeys(str(r.get("precision")) for r in runs))
    windows = "timed window" if len(runs) == 1 else "timed windows"
    return (f"{model_part(spec or first)}, batch {batch}, {precisions}; {windows} of {timed} after "
            "warm-up; samples/s over the whole timed window")


def _limit(run: Mapping[str, Any]) -> str:
    """What the single-run headline adds after the rate: for an input-bound run, the share of
    each step spent waiting for data (its share of the hardware's peak would blame the chip for
    the loader); otherwise the share of the peak when known."""
    verdict = part(run, "verdict")
    feed = verdict.get("input_fraction")
    if verdict.get("kind") == INPUT_BOUND and isinstance(feed, (int, float)):
        return f" (input-bound: {units.pct(100.0 * feed)} of each step waits for data)"
    return f" ({units.share(run['mfu'])} of its hardware peak)" if run.get("mfu") else ""


def _sentence(head: str, extras: Sequence[str]) -> str:
    text = head + (", " + ", ".join(extras) if extras else "")
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first in ("this", "the", "a", "an", "your") else text


def headline(runs: Sequence[Mapping[str, Any]], prices: PriceBook | None = None,
             baseline_id: str | None = None, plain: bool = False) -> Headline | None:
    """The headline of ``runs`` (result dicts); None when no run measured anything.
    ``baseline_id`` restricts speedups to that baseline (a comparison's choice). ``plain``
    (an audience: presentation mode) names the model in words ("a small multilayer
    perceptron (2 hidden layers of 1024)", ``model_words``) instead of ``mlp-S``."""

    def model_of(run: Mapping[str, Any]) -> str:
        return model_words(run) if plain else model_part(part(run, "spec") or run)

    usable = [r for r in runs if _usable(r)]
    if not usable:
        return None
    baseline = next((r for r in usable if str(r.get("run_id")) == baseline_id), None)
    for kind in (DEVICE, SETTINGS):
        pair = _best_pair(usable, kind, baseline)
        if pair is None:
            continue
        run, base, found = pair
        model = model_of(run)
        if kind == DEVICE:
            sentence = (f"{device_words(run)} is {units.ratio(found.value)} faster than "
                        f"{device_words(base)} on {model}")
        else:
            changed = found.label.rsplit(" on ", 1)[0]
            new, sep, old = changed.partition(" vs ")
            on_model = f", training {model}" if plain else f" ({model})"
            if sep and "," not in changed:
                sentence = (f"{new} is {units.ratio(found.value)} faster than {old} on "
                            f"{device_words(run)}{on_model}")
            else:
                sentence = f"{changed}: {units.ratio(found.value)} faster on {device_words(run)}{on_model}"
        extras = _extras(run, prices)
        text = _sentence(sentence, extras)
        return Headline(text, _basis(run, base), _caveats(run, base), str(run.get("run_id")),
                        str(base.get("run_id")), found.value, extras)
    quiet = [r for r in usable if not contention_of_dict(r).contended]
    chosen = baseline if baseline is not None and (baseline in quiet or not quiet) else None
    run = chosen or max(quiet or usable, key=lambda r: float(r["samples_per_s"]))
    busy = contention_of_dict(run)
    if busy.contended:
        model = model_of(run)
        sentence = (f"{model} on {device_words(run)}: {NOT_CAPABILITY} (other processes used a median "
                    f"{units.pct(busy.others_median_percent)} of the CPU)")
        return Headline(_sentence(sentence, ()), _basis(run), _caveats(run), str(run.get("run_id")), contended=True)
    model = model_of(run)
    sentence = f"{device_words(run)} trains {model} at {units.rate(run['samples_per_s'])}{_limit(run)}"
    extras = _extras(run, prices)
    text = _sentence(sentence, extras)
    return Headline(text, _basis(run), _caveats(run), str(run.get("run_id")), extras=extras)
