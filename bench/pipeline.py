"""Benchmark of the workflow on the full-size synthetic set; prints numbers, asserts nothing.

    .venv/bin/python bench/pipeline.py [--n-images 21785] [--epochs 3] [--keep DIR]

Prints: wall time and peak RSS of every stage (from Snakemake's `benchmark:` files, and for the download a
transfer of the rendered file from a local HTTP server); seed-network seconds per epoch at batch 32 and 256
for each installed Keras backend (median of the epochs after the first); the no-op and dry-run times.
"""

import argparse
import functools
import http.server
import subprocess
import sys
import tempfile
import threading
import time
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "2"]
GOAL_RSS_MB = 1000
GOAL_NOOP_S = 1.5

EPOCH_TIMER = """
import os, sys, time, statistics
from galaxy10.runtime import use_backend
use_backend(sys.argv[1], 2)
import keras
from galaxy10.batches import ImageBatches
from galaxy10.models import build_model
from galaxy10.split import load_split

class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.start)

x, y, _, scale = load_split(sys.argv[2], "train")
xv, yv, _, _ = load_split(sys.argv[2], "valid")
for batch in (32, 256):
    times = []
    model = build_model("seed_dnn", x.shape[1:], scale)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(ImageBatches(x, y, batch, shuffle=True), validation_data=ImageBatches(xv, yv, batch),
              epochs=int(sys.argv[3]), callbacks=[Timer()], verbose=0)
    print(batch, statistics.median(times[1:]), times[0])
"""


def run(cmd, cwd):
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def stage_table(results: Path) -> pd.DataFrame:
    rows = []
    for tsv in sorted(results.rglob("benchmarks/*.tsv")):
        bench = pd.read_csv(tsv, sep="\t")
        run = tsv.parent.parent.relative_to(results)
        stage = tsv.stem if run == Path(".") else f"{tsv.stem} ({run})"
        rows.append({"stage": stage, "wall_s": bench["s"].iloc[0], "peak_rss_mb": bench["max_rss"].iloc[0]})
    return pd.DataFrame(rows)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def download_bench(h5: Path, workdir: Path) -> dict:
    """Fetch the rendered file through the real download code from a local HTTP server."""
    handler = functools.partial(QuietHandler, directory=str(h5.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{h5.name}"
    code = (
        "import resource, sys; from galaxy10.download import fetch, sha256sum;"
        "fetch(sys.argv[1], sys.argv[2], sha256sum(sys.argv[3]), progress=False);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, url, str(workdir / "fetched.h5"), str(h5)],
        check=True, capture_output=True, text=True,
    ).stdout
    wall = time.perf_counter() - started
    server.shutdown()
    return {"stage": "download (local HTTP, incl. 2 sha256 passes)", "wall_s": wall, "peak_rss_mb": float(out)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-images", type=int, default=21785)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per backend and batch size (≥ 2)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="galaxy10-bench-"))
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(  # the notebook's experiment, once: the stages' costs, not the comparison
        dataset="synthetic",
        synthetic={"n_images": args.n_images, "seed": 0},
        seeds=[1],
        experiments={"seed_dnn": config["experiments"]["seed_dnn"]},
    )
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))

    pipeline_s = run(SNAKEMAKE, workdir)
    results = workdir / "Results" / "synthetic"
    download = download_bench(results / "Galaxy10.h5", workdir)
    stages = pd.concat([pd.DataFrame([download]), stage_table(results)], ignore_index=True)
    stages["rss_goal_met"] = stages["peak_rss_mb"] <= GOAL_RSS_MB
    print(f"Full-size synthetic pipeline ({args.n_images} images), 2 cores: {pipeline_s:.1f} s in all")
    print(stages.to_string(index=False, float_format="%.2f"))

    noop = [run(SNAKEMAKE, workdir) for _ in range(3)]
    dry = [run([*SNAKEMAKE, "--dry-run"], workdir) for _ in range(3)]
    print(f"\nno-op run: {min(noop):.2f} s   dry run: {min(dry):.2f} s   (best of 3; goal ≤ {GOAL_NOOP_S} s)")

    print("\nseed network, seconds per epoch (13,942 train + 3,486 valid at full size; median after epoch 1)")
    print("backend      batch  s/epoch  first epoch")
    for backend in ("tensorflow", "jax", "torch"):
        if find_spec(backend) is None:
            print(f"{backend:<12} not installed")
            continue
        out = subprocess.run(
            [sys.executable, "-c", EPOCH_TIMER, backend, str(results / "split.npz"), str(args.epochs)],
            capture_output=True, text=True, check=True,
        ).stdout
        for line in out.split("\n"):
            if line.strip():
                batch, steady, first = line.split()
                print(f"{backend:<12} {batch:>5}  {float(steady):7.2f}  {float(first):7.2f}")


if __name__ == "__main__":
    main()
