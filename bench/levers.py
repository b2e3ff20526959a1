"""The levers of the CNN recipe's speed, each measured against today's recipe in one run, one seed, one machine:
seconds per epoch, training seconds until the validation accuracy first reaches each target, the best validation
accuracy, and the kept model's test accuracy and balanced accuracy (reported, never used to choose). Prints
numbers, asserts nothing.

    .venv/bin/python bench/levers.py                                  # every lever, full-size synthetic set
    .venv/bin/python bench/levers.py --epochs 1                       # seconds per epoch only, quickly
    .venv/bin/python bench/levers.py --variants today stride2 --n-images 3000 --data-seed 5

Each variant is `small_cnn_full` of config/side_by_side.yaml (today's recipe, as the time-to-accuracy work calls
it: config/config.yaml's `small_cnn` before its strided stem) with a few settings changed, trained through
the project's train() in a fresh process (so one variant's dtype policy or compiled graphs never reach the next),
on a synthetic set rendered once into a temporary folder (or `--split`, any split file). `--recipe` takes another
experiment of a config as the base. The stride is small_cnn's `stem_stride`; the width is bench/lever_models.py's
knob (its stride-2 model, the same network, made the measurements of docs/speed-and-memory.md before the option).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from time_to_accuracy import matmul_gflops  # bench/ is on the path when a script of it runs

REPO = Path(__file__).resolve().parents[1]
KNOBBED = str(REPO / "bench" / "lever_models.py") + ":knobbed_cnn"


def strided_knobbed(width: int) -> dict:
    """The settings of bench/lever_models.py's network with a strided stem, `width` wide (the base recipe's own
    stem_stride unset: a file.py:function model takes its options under `options`)."""
    return {"model": KNOBBED, "stem_stride": None, "options": {"stem_stride": 2, "width": width}}


SHORT = {"epochs": 10, "warmup_epochs": 1, "min_epochs": 5}  # half the epochs on the same cosine
EPOCHS12 = {"epochs": 12, "warmup_epochs": 1, "min_epochs": 6}
# name: (what changes, the settings changed); the worker sets the backend (before keras is imported, as the
# workflow's train job does) and train()'s feed_processes, which are no training settings
VARIANTS = {
    "today": ("small_cnn_full: small_cnn before its strided stem", {}),
    "no_corrupt": ("no corruption training (its cost in the feed)", {"corrupt": []}),
    "bfloat16": ("bfloat16 compute, float32 weights", {"mixed_precision": "bfloat16"}),
    "batch128": ("batch 128, learning rate ×2", {"batch_size": 128, "learning_rate": 0.004}),
    "stride2": ("first convolution with stride 2", {"stem_stride": 2}),
    "stride2_jax": ("stride 2 on JAX: config/config.yaml's small_cnn on CPUs without AVX-512",
                    {"stem_stride": 2, "backend": "jax"}),
    "today_jax": ("small_cnn_full on JAX", {"backend": "jax"}),
    "stride2_bf16": ("stride 2, bfloat16 compute (TensorFlow: oneDNN)",
                     {"stem_stride": 2, "mixed_precision": "bfloat16"}),
    "stride2_jax_bf16": ("stride 2 on JAX, bfloat16 compute",
                         {"stem_stride": 2, "backend": "jax", "mixed_precision": "bfloat16"}),
    "xla": ("XLA (jit_compile) on TensorFlow", {"jit_compile": True}),
    "stride2_w48": ("stride 2, first block 48 wide", strided_knobbed(48)),
    "stride2_bf16_plain": ("stride 2, bfloat16, no corruption training",
                           {"stem_stride": 2, "mixed_precision": "bfloat16", "corrupt": []}),
    "stride2_w24": ("stride 2, first block 24 wide", strided_knobbed(24)),
    "stride2_w16": ("stride 2, first block 16 wide", strided_knobbed(16)),
    "stride2_bf16_e12": ("stride 2, bfloat16, 12 epochs",
                         {"stem_stride": 2, "mixed_precision": "bfloat16", **EPOCHS12}),
    "feed1": ("one feed process draws the training corruptions beside the steps", {"feed_processes": 1}),
    "epochs10": ("10 epochs instead of 20", SHORT),
    "stride2_epochs10": ("stride 2, 10 epochs", {"stem_stride": 2, **SHORT}),
}

WORKER = """
import json, sys
from pathlib import Path
from galaxy10.runtime import use_backend
settings = json.loads(sys.argv[2])
use_backend(settings.pop("backend", "tensorflow"), 2)
import keras
import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from galaxy10.data.split import load_split
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.study.time_to_accuracy import seconds_to_reach
from galaxy10.training.models import load_model
from galaxy10.training.train import train

split, seed, out, targets = sys.argv[1], int(sys.argv[3]), Path(sys.argv[4]), json.loads(sys.argv[5])
feed_processes = settings.pop("feed_processes", 0)
history = train(split, out / "m.keras", out / "h.csv", settings=settings, seed=seed, feed_processes=feed_processes)
net = load_model(out / "m.keras")
x, y, _, _ = load_split(split, "test")
predicted = predict_probabilities(net, x, 256).argmax(1)
print("RESULT " + json.dumps({
    "params": net.count_params(), "epochs": len(history), "s_per_epoch": float(history["seconds"].median()),
    "train_s": float(history["seconds"].sum()), "best_val": float(history["val_accuracy"].max()),
    **{f"to_{t:g}": seconds_to_reach(history, t) for t in targets},
    "test_acc": accuracy_score(y, predicted), "test_bal": balanced_accuracy_score(y, predicted)}))
"""


def render_split(folder: Path, n_images: int | None, data_seed: int) -> Path:
    from galaxy10.data.facts import DATASETS
    from galaxy10.data.split import write_split
    from galaxy10.data.synthetic import write_synthetic

    source, split = folder / "synthetic.h5", folder / "split.npz"
    write_synthetic(source, n_images or DATASETS["sdss"].n_images, data_seed, processes=2)
    write_split(source, split, seed=42)  # the config's default split
    return split


def train_variant(name: str, split: Path, settings: dict, seed: int, out: Path, targets) -> dict | None:
    """Train one variant in a fresh process; its numbers as a row, or None (and the error printed) if it failed."""
    out.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", WORKER, str(split), json.dumps(settings), str(seed), str(out),
                           json.dumps(targets)], capture_output=True, text=True, cwd=REPO)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not result:
        print(f"{name}: failed\n{done.stderr[-2000:]}", flush=True)
        return None
    return {"variant": name, **json.loads(result[0][7:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--split", help="a split file (.npz); default: render a synthetic set")
    parser.add_argument("--n-images", type=int, help="images to render (default: the real set's 21,785)")
    parser.add_argument("--data-seed", type=int, default=0, help="the synthetic set's seed (the config's: 0)")
    parser.add_argument("--seed", type=int, default=1, help="the training seed")
    parser.add_argument("--epochs", type=int, help="override every variant's epochs (timing only)")
    parser.add_argument("--recipe", default="config/side_by_side.yaml:small_cnn_full",
                        help="config:experiment as 'today'")
    parser.add_argument("--targets", nargs="+", type=float, default=[0.8, 0.85, 0.875])
    args = parser.parse_args()
    config, experiment = args.recipe.rsplit(":", 1)
    base = yaml.safe_load((REPO / config).read_text())["experiments"][experiment]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        split = Path(args.split) if args.split else render_split(tmp, args.n_images, args.data_seed)
        print(f"split {split} ready in {time.perf_counter() - started:.0f} s; machine float32 matmul peak "
              f"{matmul_gflops():.0f} GFLOP/s", flush=True)
        rows = []
        for name in args.variants:
            settings = {**base, **VARIANTS[name][1]}
            if args.epochs:
                settings |= {"epochs": args.epochs, "warmup_epochs": 0, "min_epochs": 0}
            row = train_variant(name, split, settings, args.seed, tmp / name, args.targets)
            if row:
                rows.append(row)
                print(format_row(rows[-1], rows[0]), flush=True)
        print(f"\nmatmul peak at the end {matmul_gflops():.0f} GFLOP/s; against today's recipe:")
        reference = next((row for row in rows if row["variant"] == "today"), rows[0])
        for row in rows:
            print(format_row(row, reference))
        for row in rows:
            print(f"  {row['variant']:>18}: {VARIANTS[row['variant']][0]}")


def format_row(row: dict, reference: dict) -> str:
    times = "  ".join(f"{k}={row[k]:.0f}s" for k in row if k.startswith("to_"))
    speedups = "  ".join(f"{k}×{reference[k] / row[k]:.2f}" for k in row
                         if k.startswith("to_") and np.isfinite(row[k]) and np.isfinite(reference[k]))
    return (f"{row['variant']:>18}: {row['params']:>8,} params  {row['epochs']:>2} epochs  "
            f"{row['s_per_epoch']:6.1f} s/epoch (×{reference['s_per_epoch'] / row['s_per_epoch']:.2f})  "
            f"train {row['train_s']:6.0f} s  best val {row['best_val']:.3f}  test {row['test_acc']:.3f} / "
            f"{row['test_bal']:.3f}  {times}  {speedups}")


if __name__ == "__main__":
    main()
