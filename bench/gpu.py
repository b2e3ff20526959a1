"""The GPU checks of the seed network on JAX, as one script; prints numbers, asserts nothing.

    python bench/gpu.py                  # on the GPU machine, in the repository's root
    python bench/gpu.py --images 3000    # a quicker look (on a CPU too: it says no GPU was seen)

It needs the project's packages without TensorFlow: the package itself (`pip install -e .` or `PYTHONPATH=src`),
keras, jax with CUDA, snakemake, h5py, numpy, pandas, scikit-learn, pyyaml.

Renders a synthetic SDSS-size set and splits it through the workflow (untimed), then prints:
- the backend's devices, and the seed network's seconds per epoch at batch 32 and 256 (median after the first
  epoch, validation included) from the real training code on JAX, against the goals 0.1 s and 0.05 s;
- whether `nvidia-smi` listed this process while it trained (sampled every 0.2 s);
- the whole `train` job of the seed network through Snakemake with `gpu: 1` (start-up, import, compilation,
  training and saving; `backend: auto` picks JAX for a GPU job), from its benchmark file, against the goal 30 s;
- the project's CNN recipe (`small_cnn` of config/config.yaml) and the recipe before its strided stem
  (`small_cnn_full` of config/side_by_side.yaml), both on JAX with the feed processes a GPU job gets (every core
  but one), one after the other, seed 1, through bench/levers.py's worker: seconds per epoch, training seconds
  until the validation accuracy first reaches 0.8 / 0.85 / 0.875, test accuracy and balanced accuracy; and beside
  them the seconds the CPU takes to make one epoch of `small_cnn`'s training batches (its corruptions are drawn on
  the CPU, one batch after another).
"""

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import yaml
from levers import format_row, train_variant  # bench/ is on the path when a script of it runs

REPO = Path(__file__).resolve().parents[1]
GOALS = {32: 0.1, 256: 0.05}  # seconds per epoch
GOAL_JOB_S = 30
CNN_RECIPES = {"small_cnn": "config/config.yaml", "small_cnn_full": "config/side_by_side.yaml"}
CNN_TARGETS = [0.8, 0.85, 0.875]


class ProcessWatch:
    """Samples `nvidia-smi`'s compute processes in a thread; `seen` is whether this process was among them."""

    def __init__(self):
        self.seen, self.samples, self._stop = False, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        query = ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader"]
        while not self._stop.is_set():
            listed = subprocess.run(query, capture_output=True, text=True).stdout
            self.samples += 1
            self.seen |= any(line.split(",")[0].strip() == str(os.getpid()) for line in listed.splitlines())
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_quietly(command: list, cwd: Path) -> None:
    """Run a command; if it fails, show the end of its output and stop."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{(done.stdout + done.stderr)[-3000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=21785, help="synthetic images (SDSS's 21,785 by default)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per timed training")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--cnn-epochs", type=int, help="override the CNN recipes' epochs (a quick look only)")
    parser.add_argument("--cnn-only", action="store_true", help="time the CNN recipes only")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="galaxy10-gpu-"))

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    settings = config["experiments"]["seed_dnn"]
    config.update(dataset="synthetic", seeds=[1], run=["seed_dnn"], resources={"train": {"gpu": 1}},
                  synthetic={"n_images": args.images, "seed": 0})
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    snakemake = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "4"]
    results = workdir / "Results" / "synthetic"
    run_quietly([*snakemake, "Results/synthetic/split.npz"], workdir)

    from galaxy10.runtime import use_backend

    use_backend("jax", os.cpu_count())
    import jax

    print(f"devices: {jax.devices()}", flush=True)
    if not args.cnn_only:
        time_seed_network(results, workdir, snakemake, settings, args.epochs)
    time_cnn_recipes(results / "split.npz", workdir, args.cnn_epochs)


def time_seed_network(results: Path, workdir: Path, snakemake: list, settings: dict, epochs: int) -> None:
    """The seed network's epochs at batch 32 and 256 in this process, and its whole train job through Snakemake."""
    from galaxy10.training.train import train

    have_smi = shutil.which("nvidia-smi") is not None
    for batch, goal in GOALS.items():
        out = workdir / f"batch{batch}"
        with ProcessWatch() if have_smi else contextlib.nullcontext() as watch:
            history = train(results / "split.npz", out / "model.keras", out / "history.csv",
                            settings={**settings, "batch_size": batch, "epochs": epochs}, seed=1)
        epoch = statistics.median(history["seconds"].iloc[1:])
        listed = (f"nvidia-smi listed this process: {watch.seen} ({watch.samples} samples)" if have_smi
                  else "no nvidia-smi: no GPU seen")
        print(f"seed_dnn batch {batch:>3}: {epoch:.3f} s per epoch (goal ≤ {goal} s); {listed}")

    # the whole job as users run it: the workflow's train rule, one seed, on the split made above
    started = time.perf_counter()
    run_quietly([*snakemake, "Results/synthetic/seed_dnn/seed1/model.keras"], workdir)
    wall = time.perf_counter() - started
    run = results / "seed_dnn" / "seed1"
    job = pd.read_csv(run / "benchmarks" / "train.tsv", sep="\t")["s"].iloc[0]
    backend = json.loads((run / "run.json").read_text())["backend"]
    print(f"train job (seed_dnn, {settings['epochs']} epochs, gpu: 1, backend {backend}): {job:.1f} s "
          f"(goal ≤ {GOAL_JOB_S} s); snakemake in all {wall:.1f} s", flush=True)


def time_cnn_recipes(split: Path, workdir: Path, epochs: int | None) -> None:
    """The CNN recipes' time to accuracy on JAX, each in a fresh process, and the CPU's share: one epoch's batches."""
    from galaxy10.data.split import load_split
    from galaxy10.training.batches import ImageBatches

    recipes = {name: yaml.safe_load((REPO / config).read_text())["experiments"][name]
               for name, config in CNN_RECIPES.items()}
    x, y, _, _ = load_split(split, "train")
    feed, processes = recipes["small_cnn"], os.cpu_count() - 1  # as a GPU job with every core draws them
    for workers in (0, processes):
        batches = ImageBatches(x, y, feed["batch_size"], shuffle=True, seed=1, corrupt=feed["corrupt"],
                               corrupt_rate=feed["corrupt_rate"], feed_processes=workers)
        batches[0]  # the processes start
        started = time.perf_counter()
        for index in range(len(batches)):
            batches[index]
        batches.close()
        print(f"one epoch of small_cnn's training batches ({len(x)} images, corruptions included) on the CPU, "
              f"{workers} feed processes: {time.perf_counter() - started:.1f} s", flush=True)
    rows = []
    for name, settings in recipes.items():
        settings = {**settings, "backend": "jax", "feed_processes": processes}
        if epochs:
            settings |= {"epochs": epochs, "warmup_epochs": 0, "min_epochs": 0}
        if row := train_variant(name, split, settings, 1, workdir / "cnn" / name, CNN_TARGETS):
            rows.append(row)
            print(format_row(row, rows[0]), flush=True)
    print("against small_cnn_full (the recipe before the strided stem):")
    reference = next((row for row in rows if row["variant"] == "small_cnn_full"), rows[0]) if rows else None
    for row in rows:
        print(format_row(row, reference))


if __name__ == "__main__":
    main()
