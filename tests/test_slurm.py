"""The workflow submitted through profiles/slurm to a real single-node SLURM cluster with two fake GPUs."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import slurm_cluster
from bad_inputs import BAD_FILES
from conftest import require
from test_crash import assert_same, table_of
from test_workflow import EXPERIMENTS, NO_ROBUSTNESS, OUT, REPO, check_outputs, small_config, write_config

pytestmark = pytest.mark.slow

# Overrides for this test cluster only: it has no slurmdbd, so the plugin must ask squeue, not sacct, and
# a few seconds' wait before the first status check instead of 40 keeps the test short.
TEST_CLUSTER = ["--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2", "--jobs", "2"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    require(os.geteuid() == 0, "root", "run the tests as root: they install Debian's slurm and munge and start them")
    started = slurm_cluster.start(tmp_path_factory.mktemp("slurm"), gpus=2)
    yield started
    started.stop()
    assert all(daemon.poll() is not None for daemon in started.procs.values())


def job_records(workdir) -> list:
    """The controller's records of the jobs run in `workdir`: dicts of scontrol's fields, plus `rule`."""
    records = subprocess.run(["scontrol", "--oneliner", "show", "job"], capture_output=True, text=True, check=True)
    jobs = []
    for line in records.stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("WorkDir") == str(workdir):
            fields["rule"] = re.match(r"rule_(\w+?)(?:_wildcards_|$)", fields["Comment"]).group(1)  # the plugin's
            jobs.append(fields)
    return jobs


def submitted_jobs(workdir) -> dict:
    """Rule name → (TRES asked for, final state) of each of its SLURM jobs."""
    jobs = defaultdict(list)
    for fields in job_records(workdir):
        jobs[fields["rule"]].append((fields.get("TresPerJob", ""), fields["JobState"]))
    return jobs


def snakemake_on_slurm(workdir, *args):
    """Snakemake through the SLURM profile in `workdir`, started, its console going to `workdir`/snakemake.log (a
    file, not a pipe: the module's runs go side by side, and a full pipe nobody reads would stall its run)."""
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")  # an activated env
    with open(workdir / "snakemake.log", "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
             "--workflow-profile", str(REPO / "profiles" / "slurm"), *TEST_CLUSTER, *args],
            stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
        )


# each job is a SLURM job and costs a status check: one seed, and robustness is tested locally
SLURM_SEEDS = [1]


def cluster_config() -> dict:
    config = small_config(robustness=NO_ROBUSTNESS, seeds=SLURM_SEEDS)
    config["resources"]["train"].update(threads=1, gpu=0)  # two trainings side by side; GPUs from the profile
    return config


@pytest.fixture(scope="module")
def slurm_runs(cluster, tmp_path_factory):
    """The module's three runs, submitted at once: between two status checks (the plugin waits up to 10 s longer
    after each check that finds no job done) a run's jobs leave the node idle, and the others' jobs fill it.
    `calm`: the small config, never interrupted. `requeued`: the same, with a job pre-empted as SLURM does it
    (`scontrol requeue`: the running job is killed and put back in the queue) at a seeded random moment.
    `failing`: a data set file with a bad label, whose split fails. Returns each run's folder, exit status and
    console, and for `requeued` the record of the job it requeued."""
    folders = {name: tmp_path_factory.mktemp(name) for name in ("calm", "requeued", "failing")}
    write_config(folders["calm"], cluster_config())
    write_config(folders["requeued"], cluster_config())
    make, _ = BAD_FILES["label too big"]
    broken = make(folders["failing"] / "Galaxy10.h5")
    write_config(folders["failing"], small_config(dataset="sdss", data={"sdss": {"path": str(broken)}}))
    runs = {name: snakemake_on_slurm(folder) for name, folder in folders.items() if name != "failing"}
    # only the split: it fails, and not thrice, as it would fail alike
    runs["failing"] = snakemake_on_slurm(folders["failing"], "Results/test/sdss/split.npz", "--retries", "0")
    try:
        requeued = requeue_a_running_job(folders["requeued"], runs["requeued"])
        codes = {name: run.wait(timeout=900) for name, run in runs.items()}
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.send_signal(signal.SIGINT)
    return {name: Run(folder, codes[name], (folder / "snakemake.log").read_text(),
                      requeued if name == "requeued" else None) for name, folder in folders.items()}


class Run(NamedTuple):
    folder: Path
    returncode: int
    console: str
    requeued_job: dict | None  # scontrol's record of the job requeued in this run, before the requeue


def requeue_a_running_job(workdir, run) -> dict:
    """After a seeded random wait, `scontrol requeue` the first job of `workdir` found running; its record as it
    was before."""
    time.sleep(np.random.default_rng(22).uniform(10, 90))
    deadline = time.monotonic() + 600
    while not (running := [job for job in job_records(workdir) if job["JobState"] == "RUNNING"]):
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before a job could be requeued"
        time.sleep(0.2)
    job = running[0]["JobId"]
    subprocess.run(["scontrol", "requeue", job], check=True)
    # SLURM holds a requeued job for two minutes (its BeginTime; it started again after 177 s here): let it start
    # at once, as the wait tests nothing. The time can be set only once the job is back in the queue.
    while "JobState=PENDING" not in subprocess.run(["scontrol", "show", "job", job], capture_output=True,
                                                     text=True, check=True).stdout:
        assert time.monotonic() < deadline, "the requeued job never went back into the queue"
        time.sleep(0.1)
    subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], check=True)
    return running[0]


def test_workflow_runs_on_slurm_with_gpu_jobs_on_gpus(slurm_runs):
    calm = slurm_runs["calm"]
    assert calm.returncode == 0, calm.console[-4000:]
    calm = calm.folder
    # the profile gives train and predict a GPU each: JAX under backend auto
    check_outputs(calm, gpus=1, robustness=False, seeds=SLURM_SEEDS)
    jobs = submitted_jobs(calm)
    runs = len(EXPERIMENTS) * len(SLURM_SEEDS)
    for rule in ("train", "predict"):
        assert jobs[rule] == [("gres:gpu:1", "COMPLETED")] * runs, rule
    for rule in ("synthesize", "split", "figures", "compare"):
        assert jobs[rule] and all(tres == "" and state == "COMPLETED" for tres, state in jobs[rule]), rule
    assert not jobs["download"] and not jobs["evaluate"]  # local rules run beside snakemake, not as jobs
    for name in EXPERIMENTS:
        for seed in SLURM_SEEDS:
            record = json.loads((calm / OUT / name / f"seed{seed}" / "run.json").read_text())
            assert record["cuda_visible_devices"] in ("0", "1")  # SLURM gave the job one of the node's two GPUs


def test_a_job_requeued_at_a_random_moment_ends_as_if_never_requeued(slurm_runs):
    """The requeued job runs again, training goes on from its checkpoint, and every output equals the
    uninterrupted run's."""
    run, requeued = slurm_runs["requeued"], slurm_runs["requeued"].requeued_job
    assert slurm_runs["calm"].returncode == 0 and run.returncode == 0, run.console[-4000:]
    (after,) = [job for job in job_records(run.folder) if job["JobId"] == requeued["JobId"]]
    assert after["Restarts"] == "1" and after["JobState"] == "COMPLETED"  # the same job, run a second time
    calm, requeued_run = slurm_runs["calm"].folder / OUT, run.folder / OUT
    for path in sorted(calm.glob("*/seed*/*")):
        if path.name in ("metrics.json", "predictions.csv", "valid_predictions.csv", "history.csv"):
            name = str(path.relative_to(calm))
            assert_same(table_of(path), table_of(requeued_run / name), f"{requeued['rule']} requeued: {name}")
    for name in ("leaderboard.csv", "differences.csv"):
        assert_same(table_of(calm / name), table_of(requeued_run / name), f"{requeued['rule']} requeued: {name}")


def test_a_failed_job_shows_its_error_on_the_console(slurm_runs):
    run = slurm_runs["failing"]
    _, problem = BAD_FILES["label too big"]
    assert run.returncode != 0
    # the job's log, shown on the console by the profile
    assert re.search(f"Error: {run.folder / 'Galaxy10.h5'}: .*{problem}", run.console), run.console[-4000:]
    assert not (run.folder / "Results/test/sdss/split.npz").exists()
