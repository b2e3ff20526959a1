"""Benchmark of `galaxy10-classify` on many cutouts in one Galaxy10-format HDF5 file; prints numbers, asserts nothing.

    .venv/bin/python bench/classify.py                  # 100,000 synthetic 69×69 cutouts, the notebook's network
    .venv/bin/python bench/classify.py --n 5000 --tta   # fewer, with the eight D4 views each

Prints the images per second of the whole command (model loading, reading, prediction, table and contact sheet)
and the process's peak memory before and after it: reading and predicting a batch at a time, the peak should not
grow with --n.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from galaxy10.classify.cli import main  # noqa: E402
from galaxy10.training.models import build_model  # noqa: E402
from galaxy10.data.synthetic import write_synthetic  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def bench(n: int, tta: bool, batch_size: int, processes: int, model: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        write_synthetic(tmp / "cutouts.h5", n, seed=0, processes=processes)  # renders in child processes
        print(f"rendered {n} cutouts in {time.perf_counter() - started:.1f} s")
        if model is None:
            model = tmp / "model.keras"
            build_model("seed_dnn", (69, 69, 3), 10, 1 / 255).save(model)  # untrained: the speed is the same
        before = peak_mb()
        argv = [str(model), "--input", str(tmp / "cutouts.h5"), "--out", str(tmp / "out"), "--quiet"]
        argv += ["--batch-size", str(batch_size)] + (["--tta"] if tta else [])
        started = time.perf_counter()
        if main(argv) != 0:
            sys.exit(1)
        seconds = time.perf_counter() - started
        print(f"classified {n} images in {seconds:.1f} s: {n / seconds:.0f} images/s" + (" (TTA)" if tta else ""))
        print(f"peak RSS: {before:.0f} MB before classifying, {peak_mb():.0f} MB after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="cutouts (default 100,000)")
    parser.add_argument("--tta", action="store_true", help="average over the eight D4 views")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--processes", type=int, default=os.cpu_count(), help="for rendering the cutouts")
    parser.add_argument("--model", help="a trained .keras file instead of an untrained seed_dnn")
    args = parser.parse_args()
    bench(args.n, args.tta, args.batch_size, args.processes, args.model)
