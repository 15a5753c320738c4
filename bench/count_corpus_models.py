"""Count every model of the published-throughput corpus and write ``model_facts.json``.

For each distinct (model_ref, knobs) of ``resources/published/training_throughput.csv`` the
advisor's counter (``profiler.analysis.advisor.model_facts.count_model``: the engine's
FlopCounterMode on the meta device, or one CPU step where meta cannot run) gives FLOPs per
sample, the convolution share, parameters and activation bytes per sample. An ``hf:`` row
whose knobs are not plain integers (``hidden_sizes=[64,128,256,512]``, ``layer_type=basic``)
is counted from a config.json written to a temporary folder: the model type's default config
with every knob set. Rows that cannot be counted (a library that is not installed) are listed
under ``skipped`` with the reason; the advisor leaves their figures out and says so.

    python bench/count_corpus_models.py                    # writes resources/published/model_facts.json
    python bench/count_corpus_models.py --corpus my.csv --out /tmp/facts.json
    python bench/count_corpus_models.py --merge            # count only what the file lacks

Takes a minute or two (GPT-2 cannot run on meta: one real CPU step). Deterministic; timing free.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from profiler.analysis.advisor.corpus import CORPUS_FILE, parse_knobs  # noqa: E402
from profiler.analysis.advisor.model_facts import CountError, ModelFacts, count_model, facts_key  # noqa: E402

PUBLISHED = ROOT / "resources" / "published"
#: knobs that are the workload's, not a config field
WORKLOAD_KNOBS = ("seq_len",)


def _value(text: Any) -> Any:
    if isinstance(text, str) and text.startswith("["):
        return json.loads(text)
    return text


def _hf_config(target: str, knobs: dict[str, Any], folder: Path) -> str:
    """A config.json for ``hf:target`` with every knob set; returns its path."""
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    from profiler.workloads.hf_names import documented_checkpoints

    documented = documented_checkpoints()
    model_type = target if target in CONFIG_MAPPING_NAMES else documented.get(target) or documented.get(
        target.split("/")[-1])
    if model_type is None:
        raise CountError(f"cannot count hf:{target}: not a model type or documented checkpoint")
    config = transformers.AutoConfig.for_model(model_type)
    data = config.to_dict()
    for key, value in knobs.items():
        if key not in WORKLOAD_KNOBS:
            data[key] = _value(value)
    if "num_labels" in knobs:
        data["id2label"] = {str(i): f"LABEL_{i}" for i in range(int(knobs["num_labels"]))}
        data["label2id"] = {v: int(k) for k, v in data["id2label"].items()}
    data["model_type"] = model_type
    path = folder / f"{abs(hash((target, tuple(sorted(knobs.items())))))}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def count_row(ref: str, knobs: dict[str, Any], folder: Path) -> ModelFacts:
    """The facts of one corpus model (``CountError`` when it cannot be counted)."""
    if ref.startswith("hf:"):
        path = _hf_config(ref[3:], knobs, folder)
        workload_knobs = {k: v for k, v in knobs.items() if k in WORKLOAD_KNOBS}
        facts = count_model(f"hf:{path}", workload_knobs)
    else:
        facts = count_model(ref, knobs)
    return ModelFacts(ref, knobs, facts.flops_per_sample, facts.params, facts.conv_share,
                      facts.activation_bytes_per_sample, facts.how, facts.sample_unit)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(PUBLISHED / CORPUS_FILE))
    ap.add_argument("--out", default=str(PUBLISHED / "model_facts.json"))
    ap.add_argument("--merge", action="store_true", help="keep the models --out already has; count the rest")
    args = ap.parse_args(argv)
    models: dict[str, tuple[str, dict[str, Any]]] = {}
    with open(args.corpus, encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            knobs = parse_knobs(raw.get("knobs") or "")
            shape = str(raw.get("input_shape") or "")
            if shape.startswith("seq=") and "seq_len" not in knobs:
                knobs["seq_len"] = int(shape[4:])
            models.setdefault(facts_key(raw["model_ref"], knobs), (raw["model_ref"], knobs))
    out: dict[str, Any] = {}
    if args.merge and Path(args.out).is_file():
        out = {k: v for k, v in json.loads(Path(args.out).read_text(encoding="utf-8"))["models"].items()
               if k in models}
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, (ref, knobs) in sorted(models.items()):
            if key in out:
                continue
            gc.collect()  # the last model's tensors: a big model needs the room
            start = time.monotonic()
            try:
                facts = count_row(ref, knobs, Path(tmp))
            except CountError as exc:
                skipped[key] = str(exc)
                print(f"skip  {key}: {exc}", file=sys.stderr)
                continue
            out[key] = facts.to_dict()
            print(f"count {key}: {facts.flops_per_sample / 1e9:.3g} GFLOP/sample, {facts.params / 1e6:.3g} M params, "
                  f"conv {facts.conv_share:.0%}, {facts.how} ({time.monotonic() - start:.1f} s)", file=sys.stderr)
    import torch

    data = {"schema": 1, "generated_by": "bench/count_corpus_models.py", "torch": torch.__version__,
            "note": "FLOPs per sample: forward + backward, multiply-add = 2, optimizer excluded; bytes fp32",
            "models": out, "skipped": skipped}
    Path(args.out).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(out)} models ({len(skipped)} skipped) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
