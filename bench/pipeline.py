"""Benchmark of the workflow on a full-size synthetic set; prints numbers, asserts nothing.

    .venv/bin/python bench/pipeline.py                       # SDSS size: 21,785 images of 69×69
    .venv/bin/python bench/pipeline.py --decals              # DECaLS size: 17,736 images of 256×256
    .venv/bin/python bench/pipeline.py --comparison          # the whole default comparison (49 min on 2 cores)
    .venv/bin/python bench/pipeline.py --comparison --old-recipe  # then with small_cnn as before its strided stem

Prints: wall time and peak RSS of every stage (from Snakemake's `benchmark:` files, and for the download a
transfer of the rendered file from a local HTTP server); the time from the split to the metrics and the share
of it that is not training; the no-op and dry-run times; the machine's float32 matrix-multiply peak and, for
each model, seconds per epoch (from the history the real training code writes) beside its FLOP bound and the
compiled steps alone (for the CNNs, the least any feed could reach). `--comparison` instead runs the default
comparison (config/config.yaml: every experiment and seed) on a full-size synthetic set from an empty folder and
prints its wall time, where it went, and the leaderboard; with `--old-recipe`, then the same with small_cnn's
recipe before its strided stem (the issue "Time to accuracy" asks for the comparison in 40 % of that one's time).
"""

import argparse
import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from time_to_accuracy import matmul_gflops  # bench/ is on the path when a script of it runs

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before keras is imported for the FLOP counts
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "2"]
GOAL_RSS_MB = {False: 1000, True: 6000}  # per stage: SDSS size, DECaLS size
GOAL_NOOP_RATIO = 1.5  # the workflow's no-op against a one-rule Snakefile's, measured in the same run

# One model trained two ways in one process, on the same split, backend and batch: the project's train() and the
# plain way (the notebook's: float32 arrays scaled beforehand, held in memory, model.fit). Prints each epoch's
# seconds, validation included, for both.
EPOCH_TIMER = """
import json, sys, tempfile, time
from pathlib import Path
import numpy as np
from galaxy10.runtime import use_backend
use_backend(sys.argv[1], 2)
import keras
from galaxy10.training.models import build_model
from galaxy10.data.split import load_split
from galaxy10.training.settings import TrainingSettings
from galaxy10.training.train import train

settings = json.loads(sys.argv[3])
seed = settings.pop("seed")
out = Path(tempfile.mkdtemp())
project = list(train(sys.argv[2], out / "m.keras", out / "h.csv", settings=settings, seed=seed)["seconds"])

(x, y, _, scale), (xv, yv, _, _) = load_split(sys.argv[2], "train"), load_split(sys.argv[2], "valid")
x, xv = (np.asarray(images, np.float32) * np.float32(scale) for images in (x, xv))
keras.utils.set_random_seed(seed)
options = TrainingSettings.from_dict(settings).model_options()  # small_cnn's stride: the same network both ways
net = build_model(settings["model"], x.shape[1:], 10, 1.0, settings.get("augment", False), **options)
net.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]), loss="sparse_categorical_crossentropy",
            metrics=["accuracy"])
plain = []
timer = keras.callbacks.LambdaCallback(
    on_epoch_begin=lambda epoch, logs: plain.append(-time.perf_counter()),
    on_epoch_end=lambda epoch, logs: plain.__setitem__(-1, plain[-1] + time.perf_counter()),
)
net.fit(x, y, batch_size=settings["batch_size"], epochs=settings["epochs"], validation_data=(xv, yv),
        callbacks=[timer], verbose=0)

# The compiled steps alone, one resident batch over and over (no feed, no callbacks), one call per step: where a
# step is long compared with a call (the CNNs), the least an epoch can take with this backend's kernels.
def step_seconds(step, images, labels):
    step(images, labels)
    times = []
    for _ in range(15):
        started = time.perf_counter()
        step(images, labels)
        times.append(time.perf_counter() - started)
    return float(np.median(times))

batch = settings["batch_size"]
steps = lambda n: -(-n // batch)
compute = (steps(len(x)) * step_seconds(net.train_on_batch, x[:batch], y[:batch])
           + steps(len(xv)) * step_seconds(net.test_on_batch, xv[:batch], yv[:batch]))
print(json.dumps({"project": project, "plain": plain, "compute": compute}))
"""

# numpy's float32 matmul on this machine's cores: the peak the FLOP bounds use
PEAK = """
import time, numpy as np
a, b = (np.random.default_rng(0).random((2048, 2048), np.float32) for _ in range(2))
a @ b
times = []
for _ in range(7):
    t = time.perf_counter(); a @ b; times.append(time.perf_counter() - t)
print(2 * 2048**3 / min(times))
"""


def forward_flops(settings: dict, image_shape) -> float:
    """FLOPs of one image's forward pass through the Dense and Conv2D layers (2 per multiply-add)."""
    import keras

    from galaxy10.training.models import build_model
    from galaxy10.training.settings import TrainingSettings

    options = TrainingSettings.from_dict(settings).model_options()
    net = build_model(settings["model"], image_shape, 10, 1 / 255, **options)
    flops = 0
    for layer in net.layers:
        if isinstance(layer, keras.layers.Dense):
            flops += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, keras.layers.Conv2D):
            height, width = layer.output.shape[1:3]
            flops += 2 * height * width * int(np.prod(layer.kernel.shape))
    return flops


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
        "import resource, sys; from galaxy10.data.download import fetch, sha256sum;"
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


def epoch_seconds(backend, split, settings) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", EPOCH_TIMER, backend, str(split), json.dumps(settings)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def whole_comparison(workdir: Path, old_recipe: bool = False) -> None:
    """The default comparison from an empty folder; with `old_recipe`, then the same with small_cnn's recipe
    before its strided stem (config/side_by_side.yaml's small_cnn_full), one after the other, and the ratio."""
    config = {**yaml.safe_load((REPO / "config" / "config.yaml").read_text()), "dataset": "synthetic"}
    recipes = {"today": config["experiments"]}
    if old_recipe:
        full = yaml.safe_load((REPO / "config" / "side_by_side.yaml").read_text())["experiments"]["small_cnn_full"]
        recipes["small_cnn_full"] = {**config["experiments"], "small_cnn": full}
    walls = {}
    for name, experiments in recipes.items():
        folder = workdir / f"comparison_{name}"
        (folder / "config").mkdir(parents=True, exist_ok=True)
        (folder / "config" / "config.yaml").write_text(yaml.safe_dump({**config, "experiments": experiments}))
        peak = matmul_gflops()
        walls[name] = run(SNAKEMAKE, folder)
        print(f"float32 matmul peak {peak:.0f} GFLOP/s before this comparison, {matmul_gflops():.0f} after")
        results = folder / "Results" / "synthetic"
        stages = stage_table(results)
        stages["rule"] = stages["stage"].str.split(" ").str[0]
        board = pd.read_csv(results / "leaderboard.csv")
        print(f"The default comparison, small_cnn as {name} ({len(board)} experiments × {board['seeds'].max()} "
              f"seeds, 21,785 synthetic images, from an empty folder): {walls[name] / 60:.1f} min wall time")
        print("sum of the jobs' wall times per rule (s):")
        print(stages.groupby("rule")["wall_s"].agg(["count", "sum"]).to_string(float_format="%.0f"))
        columns = ["experiment", "accuracy_mean", "accuracy_std", "balanced_accuracy_mean", "balanced_accuracy_std",
                   "collapsed_seeds", "train_seconds_mean"]
        print(board[columns].to_string(index=False, float_format="%.3f"))
    if old_recipe:
        print(f"today / small_cnn_full wall time: {walls['today'] / walls['small_cnn_full']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decals", action="store_true", help="17,736 images of 256×256 instead of SDSS's set")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed training (≥ 2)")
    parser.add_argument("--cnn-images", type=int, default=4000, help="images in the set the CNNs are timed on")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--comparison", action="store_true", help="time the whole default comparison instead")
    parser.add_argument("--old-recipe", action="store_true",
                        help="with --comparison: then again with small_cnn's recipe before its strided stem")
    args = parser.parse_args()
    if args.comparison:
        return whole_comparison(args.keep or Path(tempfile.mkdtemp(prefix="galaxy10-bench-")), args.old_recipe)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="galaxy10-bench-"))
    results, size = stage_costs(args, workdir)
    snakemake_overhead(workdir)
    epoch_speeds(args, workdir, results, size)


def stage_costs(args, workdir):
    """Every stage's time and memory through Snakemake, then the time from the split to the metrics."""
    n_images, size = (17736, 256) if args.decals else (21785, 69)
    experiments = ["seed_dnn", "galaxy10_cnn"] if args.decals else ["seed_dnn"]
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(  # the stages' costs, one seed: not the comparison
        dataset="synthetic",
        synthetic={"n_images": n_images, "image_size": size, "seed": 0},
        seeds=[1],
        experiments={name: config["experiments"][name] for name in experiments},
    )
    if args.decals:  # a CNN epoch on 256×256 images takes minutes on 2 cores
        for name in experiments:
            config["experiments"][name]["epochs"] = 2
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))

    pipeline_s = run(SNAKEMAKE, workdir)
    results = workdir / "Results" / "synthetic"
    download = download_bench(results / "Galaxy10.h5", workdir)
    stages = pd.concat([pd.DataFrame([download]), stage_table(results)], ignore_index=True)
    stages[f"rss ≤ {GOAL_RSS_MB[args.decals]} MB"] = stages["peak_rss_mb"] <= GOAL_RSS_MB[args.decals]
    print(f"Synthetic pipeline, {n_images} images of {size}×{size}, 2 cores: {pipeline_s:.1f} s in all")
    print(stages.to_string(index=False, float_format="%.2f"))

    print("\nfrom the split to the metrics (snakemake --forcerun split), per experiment")
    for name in [] if args.decals else experiments:  # DECaLS: the stage table above is the point
        metrics = f"Results/synthetic/{name}/seed1/metrics.json"
        total = run([*SNAKEMAKE, metrics, "--forcerun", "split"], workdir)  # --forcerun takes what follows it
        training = pd.read_csv(results / name / "seed1" / "history.csv")["seconds"].sum()
        print(f"{name:<14} {total:7.1f} s, of which training epochs {training:7.1f} s; "
              f"not training: {1 - training / total:.0%} (goal < 25 %)")
    return results, size


def snakemake_overhead(workdir):
    """A no-op and a dry run of the workflow beside a one-rule Snakefile's no-op."""
    noop = [run(SNAKEMAKE, workdir) for _ in range(3)]
    dry = [run([*SNAKEMAKE, "--dry-run"], workdir) for _ in range(3)]
    plain = workdir / "one-rule"  # Snakemake's own start-up: a one-rule workflow with nothing to do
    plain.mkdir(exist_ok=True)
    (plain / "Snakefile").write_text('rule all:\n    input: "done"\n\n\nrule make:\n    output: "done"\n    shell: "touch {output}"\n')
    run([sys.executable, "-m", "snakemake", "--cores", "1"], plain)
    one_rule = min(run([sys.executable, "-m", "snakemake", "--cores", "1"], plain) for _ in range(3))
    print(f"\nno-op run: {min(noop):.2f} s   dry run: {min(dry):.2f} s   one-rule Snakefile's no-op: {one_rule:.2f} s   "
          f"ratio {min(noop) / one_rule:.2f} (best of 3; goal ≤ {GOAL_NOOP_RATIO})")


def epoch_speeds(args, workdir, results, size):
    """Seconds per epoch of the project's train() beside the plain way, the FLOP bound and the steps alone."""
    peak = float(subprocess.run(
        [sys.executable, "-c", PEAK], capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"},
    ).stdout)
    print(f"\nfloat32 matmul peak (numpy, 2048², 2 cores): {peak / 1e9:.0f} GFLOP/s")
    from galaxy10.data.split import write_split
    from galaxy10.data.synthetic import write_synthetic

    small = workdir / "cnn-timing"
    small.mkdir(exist_ok=True)
    write_synthetic(small / "Galaxy10.h5", args.cnn_images, seed=1, processes=2, image_size=size)
    write_split(small / "Galaxy10.h5", small / "split.npz", seed=42)
    timings = [("seed_dnn", results / "split.npz", batch) for batch in (32, 256)]
    timings += [(name, small / "split.npz", None) for name in ("galaxy10_cnn", "small_cnn")]
    print("seconds per epoch (median after the first), validation included: the project's train() and the plain way")
    print("(float32 arrays in memory, model.fit) side by side in one process, same backend, batch and data; the")
    print("bound is the training FLOPs (3 × forward, per training image) at that peak; steps alone s: the compiled")
    print("steps on one resident batch, one call each (for the CNNs the most a feed could gain is plain/steps alone)")
    print("backend      model          batch  train n  project  plain  plain/project  bound s  project/bound  "
          "steps alone s  plain/steps alone")
    defaults = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["experiments"]
    notebook = {}  # the plain way on TensorFlow: the notebook's
    for backend in ("tensorflow", "jax", "torch"):
        if find_spec(backend) is None:
            print(f"{backend:<12} not installed")
            continue
        for name, split, batch in timings:
            settings = {**defaults[name], "epochs": args.epochs, "seed": 1}
            settings["batch_size"] = batch or settings["batch_size"]
            for key in ("reduce_lr", "early_stopping", "keep_best", "min_epochs"):  # the epochs' cost, not the recipe's
                settings.pop(key, None)
            settings["warmup_epochs"] = min(settings.get("warmup_epochs", 0), args.epochs - 1)
            with np.load(split) as npz:
                n_train, shape = len(npz["y_train"]), npz["x_train"].shape[1:]
            bound = 3 * forward_flops({k: v for k, v in settings.items() if k != "seed"}, shape) * n_train / peak
            timed = epoch_seconds(backend, split, settings)
            seconds = {way: statistics.median(timed[way][1:]) for way in ("project", "plain")}
            print(f"{backend:<12} {name:<14} {settings['batch_size']:>5}  {n_train:>7}  {seconds['project']:7.2f}  "
                  f"{seconds['plain']:5.2f}  {seconds['plain'] / seconds['project']:12.2f}×  {bound:7.2f}  "
                  f"{seconds['project'] / bound:12.1f}×  {timed['compute']:13.2f}  "
                  f"{seconds['plain'] / timed['compute']:17.2f}×")
            if backend == "tensorflow":
                notebook[name, settings["batch_size"]] = seconds["plain"]
            else:
                key = (name, settings["batch_size"])
                print(f"{'':<12} {'':<14} {'':>5}  the notebook's way (plain, TensorFlow) / this: "
                      f"{notebook.get(key, float('nan')) / seconds['project']:.2f}×")


if __name__ == "__main__":
    main()
