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
  training and saving; `backend: auto` picks JAX for a GPU job), from its benchmark file, against the goal 30 s.
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

REPO = Path(__file__).resolve().parents[1]
GOALS = {32: 0.1, 256: 0.05}  # seconds per epoch
GOAL_JOB_S = 30


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=21785, help="synthetic images (SDSS's 21,785 by default)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per timed training")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
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
    subprocess.run([*snakemake, "Results/synthetic/split.npz"], cwd=workdir, check=True, capture_output=True)

    from galaxy10.runtime import use_backend

    use_backend("jax", os.cpu_count())
    import jax

    from galaxy10.training.train import train

    print(f"devices: {jax.devices()}")
    have_smi = shutil.which("nvidia-smi") is not None
    for batch, goal in GOALS.items():
        out = workdir / f"batch{batch}"
        with ProcessWatch() if have_smi else contextlib.nullcontext() as watch:
            history = train(results / "split.npz", out / "model.keras", out / "history.csv",
                            settings={**settings, "batch_size": batch, "epochs": args.epochs}, seed=1)
        epoch = statistics.median(history["seconds"].iloc[1:])
        listed = (f"nvidia-smi listed this process: {watch.seen} ({watch.samples} samples)" if have_smi
                  else "no nvidia-smi: no GPU seen")
        print(f"seed_dnn batch {batch:>3}: {epoch:.3f} s per epoch (goal ≤ {goal} s); {listed}")

    # the whole job as users run it: the workflow's train rule, one seed, on the split made above
    started = time.perf_counter()
    subprocess.run([*snakemake, "Results/synthetic/seed_dnn/seed1/model.keras"], cwd=workdir, check=True,
                   capture_output=True)
    wall = time.perf_counter() - started
    run = results / "seed_dnn" / "seed1"
    job = pd.read_csv(run / "benchmarks" / "train.tsv", sep="\t")["s"].iloc[0]
    backend = json.loads((run / "run.json").read_text())["backend"]
    print(f"train job (seed_dnn, {settings['epochs']} epochs, gpu: 1, backend {backend}): {job:.1f} s "
          f"(goal ≤ {GOAL_JOB_S} s); snakemake in all {wall:.1f} s")


if __name__ == "__main__":
    main()
