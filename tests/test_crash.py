"""Crash consistency: the small workflow killed with SIGKILL (the whole process group: Snakemake and its jobs) at
seeded random moments, each kill followed by `snakemake --unlock` and a plain re-run, ends with the outputs of a
run that was never killed. Floats are compared within rtol 1e-4: TensorFlow's CPU kernels are not bitwise
reproducible between processes (tests/test_training.py's same-seed runs agree to that tolerance), and a resumed
run is a new process."""

import base64
import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_workflow import NO_ROBUSTNESS, OUT, SNAKEMAKE, small_config, write_config

pytestmark = pytest.mark.slow

KILLS = 20
TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}
TIMES = ("seconds", "train_seconds")  # wall-clock times differ between any two runs


def run_until_done(workdir, kills: int, rng, *args, watched: int = 0) -> list[set]:
    """Run the workflow, killing it `kills` times, each kill followed by --unlock and a plain re-run; then once to
    the end. The last `watched` kills fall just after a job of a stage no kill has hit yet starts, the others at
    random moments (these land mostly in training, the longest stage, on a slow machine). Returns, per kill, the
    outputs Snakemake had marked incomplete."""
    hit = []
    while True:
        started = subprocess.Popen([*SNAKEMAKE, "--directory", str(workdir), *args], start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if len(hit) == kills:
            _, err = started.communicate(timeout=600)
            assert started.returncode == 0, err[-3000:]
            return hit
        seen = set().union(*hit) if len(hit) >= kills - watched else None
        if wait_for_kill(started, workdir, rng, seen):
            os.killpg(started.pid, signal.SIGKILL)
            started.wait()
            hit.append(incomplete_outputs(workdir))
            unlocked = subprocess.run([*SNAKEMAKE, "--directory", str(workdir), "--unlock", *args],
                                      capture_output=True, text=True)
            assert unlocked.returncode == 0, unlocked.stderr[-3000:]
            continue
        assert started.returncode == 0, started.stderr.read()[-3000:]  # finished before its kill
        hit.append(set())


def wait_for_kill(started, workdir, rng, seen: set | None) -> bool:
    """Wait for the moment to kill: a random one, or (given the outputs already hit) a random moment within 4 s of
    a job writing other outputs starting. False when the run finishes first."""
    deadline = time.monotonic() + (rng.uniform(0.5, 14) if seen is None else 900)
    while time.monotonic() < deadline:
        if started.poll() is not None:
            return False
        if seen is not None and incomplete_outputs(workdir) - seen:
            deadline = min(deadline, time.monotonic() + rng.uniform(0, 4))
            seen = None
        time.sleep(0.05)
    return True


def incomplete_outputs(workdir) -> set:
    """The outputs of the jobs a kill interrupted, from Snakemake's markers (file names base64-encoded)."""
    markers = Path(workdir, ".snakemake", "incomplete")
    names = set()
    for marker in markers.glob("*") if markers.is_dir() else ():
        try:
            names.add(Path(base64.b64decode(marker.name, altchars=b"+_").decode()).name)
        except (ValueError, UnicodeDecodeError):
            continue
    return names


def flattened(value, key="") -> dict:
    """A JSON document as {path: value}."""
    if isinstance(value, dict):
        return {k: v for name, item in value.items() for k, v in flattened(item, f"{key}.{name}").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in flattened(item, f"{key}[{n}]").items()}
    return {key: value}


def table_of(path) -> pd.DataFrame:
    """A CSV, or a JSON file as one row, without the columns that hold wall-clock times."""
    table = pd.DataFrame([flattened(json.loads(path.read_text()))]) if path.suffix == ".json" else pd.read_csv(path)
    return table.drop(columns=[c for c in table.columns if any(time in c for time in TIMES)])


def assert_same(a: pd.DataFrame, b: pd.DataFrame, name):
    assert list(a.columns) == list(b.columns) and a.shape == b.shape, name
    for column in a.columns:
        left, right = a[column].to_numpy(), b[column].to_numpy()
        if all(np.issubdtype(x.dtype, np.number) for x in (left, right)):
            np.testing.assert_allclose(left.astype(float), right.astype(float), err_msg=f"{name}: {column}",
                                       equal_nan=True, **TOLERANCE)
        else:
            assert list(left) == list(right), f"{name}: {column}"


def calm_run(workdir) -> float:
    """The workflow and its report, never killed; its seconds."""
    started = time.monotonic()
    subprocess.run([*SNAKEMAKE, "--directory", str(workdir)], check=True, capture_output=True)
    subprocess.run([*SNAKEMAKE, "--directory", str(workdir), "--report", "report.html"], check=True,
                   capture_output=True)
    return time.monotonic() - started


def test_killed_at_any_moment_it_ends_as_if_never_killed(tmp_path):
    # the robustness jobs write through the same atomic outputs as the others: left out, as a minute of CI's time
    config = small_config(seeds=[1, 2], robustness=NO_ROBUSTNESS)
    for name in ("calm", "killed"):
        (tmp_path / name).mkdir()
        write_config(tmp_path / name, config)
    with ThreadPoolExecutor(1) as beside:  # the calm run goes on while the other is killed and re-run
        calm_job = beside.submit(calm_run, tmp_path / "calm")
        rng = np.random.default_rng(2026)
        hit = run_until_done(tmp_path / "killed", KILLS, rng, watched=KILLS // 2)
        hit += run_until_done(tmp_path / "killed", 3, rng, "--report", "report.html")  # the report too
        calm_seconds = calm_job.result()
    assert sum(1 for names in hit if names) >= KILLS // 2, hit  # most kills landed inside a job
    stages = {name for names in hit for name in names}
    assert {"model.keras", "predictions.csv"} <= stages or len(stages) >= 4, stages  # spread over the stages

    calm, killed = tmp_path / "calm" / OUT, tmp_path / "killed" / OUT
    compared = ["leaderboard.csv", "differences.csv"] + [
        str(path.relative_to(calm)) for path in sorted(calm.glob("*/seed*/*"))
        if path.name in ("metrics.json", "predictions.csv", "valid_predictions.csv", "history.csv")
    ]
    assert len(compared) == 2 + 4 * 4  # two experiments × two seeds × four files
    for name in compared:
        assert_same(table_of(calm / name), table_of(killed / name), name)
    assert (tmp_path / "killed" / "report.html").stat().st_size > 0.9 * (tmp_path / "calm" / "report.html").stat().st_size
    leftovers = [p for p in killed.rglob("*") if p.name.startswith(".") or p.name.endswith(".part") or
                 p.parent.name == "checkpoint"]
    assert not leftovers, leftovers  # no temporary file or checkpoint survives the finished run
    assert calm_seconds < 600  # the small workflow stays small, even beside the killed one
