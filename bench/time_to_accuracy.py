"""Time to accuracy: per experiment, the training seconds until the validation accuracy first reached each
target (median over seeds, from every run's history.csv), and the comparison's wall time from the first job to
the last (from Snakemake's logs). Prints numbers, asserts nothing.

    .venv/bin/python bench/time_to_accuracy.py Results/study/synthetic --targets 0.8 0.85 0.875
    .venv/bin/python bench/time_to_accuracy.py Results/old/synthetic Results/new/synthetic   # side by side

Several folders are printed one after another, each with the machine's float32 matrix-multiply peak measured
in the same run, so that runs of two recipes done side by side can be read together.
"""

import argparse
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from galaxy10.study.time_to_accuracy import summary, time_to_accuracy


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a
    started = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * n**3 * repeats / (time.perf_counter() - started) / 1e9


def wall_seconds(folder: Path) -> float | None:
    """From the earliest job start to the latest job end under `folder`: each benchmark file was written when its
    job ended (its modification time), and holds the job's duration (its `s` column)."""
    spans = []
    for tsv in folder.rglob("benchmarks/*.tsv"):
        lines = tsv.read_text().splitlines()
        if len(lines) > 1 and re.match(r"^[\d.]+\t", lines[-1]):
            end = tsv.stat().st_mtime
            spans.append((end - float(lines[-1].split("\t")[0]), end))
    return max(end for _, end in spans) - min(start for start, _ in spans) if spans else None


def report(folder: Path, targets) -> None:
    records = sorted(folder.glob("*/seed*/run.json"))
    if not records:
        raise SystemExit(f"{folder}: no runs (*/seed*/run.json)")
    table = summary(time_to_accuracy(records, targets))
    wall = wall_seconds(folder)
    print(f"\n{folder}: {len(records)} runs; jobs from first start to last end: "
          f"{'unknown' if wall is None else f'{wall / 60:.1f} min'} (as of {datetime.now():%Y-%m-%d %H:%M})")
    seconds = [column for column in table if "seconds" in column]
    print(table.round({**{column: 1 for column in seconds}, "best_val_accuracy": 3}).to_string())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="<results>/<dataset> folders")
    parser.add_argument("--targets", nargs="+", type=float, default=[0.8, 0.85, 0.875])
    args = parser.parse_args()
    print(f"float32 matrix-multiply peak of this machine: {matmul_gflops():.0f} GFLOP/s (1024², one process)")
    for folder in args.folders:
        report(folder, args.targets)
