"""TensorBoard's own reader against a run folder's tensorboard/: for every variant and seed,
the scalar steps equal metrics.csv's epochs, the layer scalars equal activations.csv's rows,
the histogram steps equal histograms.json's probes, and the experiment text is there.

Run by .ci/run (`pip install tensorboard`, no TensorFlow needed):
    python3 tests/tensorboard/check_events.py <run-folder>
"""

import csv
import json
import math
import os
import sys
from collections import defaultdict

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

LAYER_SCALARS = {
    ("a", "saturated_fraction"): "saturated_fraction",
    ("a", "dead_units"): "dead_units",
    ("a", "zero_fraction"): "zero_fraction",
    ("a", "mean_derivative"): "mean_derivative",
    ("dz", "norm"): "dz_norm",
}


def main(folder):
    with open(os.path.join(folder, "metrics.csv")) as f:
        metrics = list(csv.DictReader(f))
    with open(os.path.join(folder, "activations.csv")) as f:
        layer_rows = list(csv.DictReader(f))
    with open(os.path.join(folder, "histograms.json")) as f:
        histograms = json.load(f)
    with open(os.path.join(folder, "summary.json")) as f:
        summary = json.load(f)
    names = {(r["variant"], int(r["layer"])): r["name"] for r in layer_rows}

    epochs = defaultdict(list)
    for row in metrics:
        epochs[(row["variant"], row["seed"])].append(int(row["epoch"]))
    checked = 0
    for (variant, seed), steps in epochs.items():
        path = os.path.join(folder, "tensorboard", variant, f"seed-{seed}")
        acc = EventAccumulator(path, size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
        acc.Reload()
        tags = acc.Tags()
        for tag in ["loss/train", "loss/test", "accuracy/train", "accuracy/test", "learning_rate"]:
            got = [e.step for e in acc.Scalars(tag)]
            assert got == steps, f"{path} {tag}: steps {got[:5]}... against metrics.csv {steps[:5]}..."
        first = [r for r in metrics if r["variant"] == variant and r["seed"] == seed]
        for event, row in zip(acc.Scalars("loss/train"), first):
            assert math.isclose(event.value, float(row["train_loss"]), rel_tol=1e-6), (event, row)
        probed = next(v for v in summary["variants"] if v["name"] == variant)["seed"] == int(seed)
        if not probed:
            assert not any(t.startswith("layers/") for t in tags["scalars"]), path
            continue
        assert "experiment" in tags["tensors"], f"{path}: the experiment text is missing"
        expected = defaultdict(list)
        for r in layer_rows:
            suffix = LAYER_SCALARS.get((r["tensor"], r["statistic"]))
            if r["variant"] == variant and suffix and math.isfinite(float(r["value"])):
                expected[f"layers/{r['name']}/{suffix}"].append(int(r["epoch"]))
        assert expected, f"{variant}: activations.csv has no layer scalars"
        for tag, want in expected.items():
            got = [e.step for e in acc.Scalars(tag)]
            assert got == want, f"{path} {tag}: {got} against activations.csv {want}"
        hist = defaultdict(list)
        for h in histograms:
            if h["variant"] == variant:
                hist[f"histograms/{names[(variant, h['layer'])]}/{h['tensor']}"].append((h["epoch"], sum(h["histogram"]["counts"])))
        assert hist, f"{variant}: histograms.json has no histograms"
        for tag, want in hist.items():
            got = [(e.step, int(e.histogram_value.num)) for e in acc.Histograms(tag)]
            assert got == want, f"{path} {tag}: {got[:3]} against histograms.json {want[:3]}"
        checked += 1
        print(f"{variant} seed {seed}: {len(steps)} epochs, {len(expected)} layer scalars, "
              f"{sum(len(v) for v in hist.values())} histograms as TensorBoard reads them")
    assert checked > 0, "no probed run was checked"


if __name__ == "__main__":
    main(sys.argv[1])
