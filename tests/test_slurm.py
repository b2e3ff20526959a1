"""The workflow submitted through profiles/slurm to a real single-node SLURM cluster with two fake GPUs."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict

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
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")  # an activated env
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
         "--workflow-profile", str(REPO / "profiles" / "slurm"), *TEST_CLUSTER, *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )


@pytest.fixture(scope="module")
def calm_run(cluster, tmp_path_factory):
    """The small config run through the SLURM profile, never interrupted."""
    workdir = tmp_path_factory.mktemp("calm")
    write_config(workdir, cluster_config())
    run = snakemake_on_slurm(workdir)
    output, _ = run.communicate(timeout=900)
    assert run.returncode == 0, output[-4000:]
    return workdir


# each job is a SLURM job and costs a status check: one seed, and robustness is tested locally
SLURM_SEEDS = [1]


def cluster_config() -> dict:
    config = small_config(robustness=NO_ROBUSTNESS, seeds=SLURM_SEEDS)
    config["resources"]["train"].update(threads=1, gpu=0)  # two trainings side by side; GPUs from the profile
    return config


def test_workflow_runs_on_slurm_with_gpu_jobs_on_gpus(calm_run):
    # the profile gives train and predict a GPU each: JAX under backend auto
    check_outputs(calm_run, gpus=1, robustness=False, seeds=SLURM_SEEDS)
    jobs = submitted_jobs(calm_run)
    runs = len(EXPERIMENTS) * len(SLURM_SEEDS)
    for rule in ("train", "predict"):
        assert jobs[rule] == [("gres:gpu:1", "COMPLETED")] * runs, rule
    for rule in ("synthesize", "split", "figures", "compare"):
        assert jobs[rule] and all(tres == "" and state == "COMPLETED" for tres, state in jobs[rule]), rule
    assert not jobs["download"] and not jobs["evaluate"]  # local rules run beside snakemake, not as jobs
    for name in EXPERIMENTS:
        for seed in SLURM_SEEDS:
            record = json.loads((calm_run / OUT / name / f"seed{seed}" / "run.json").read_text())
            assert record["cuda_visible_devices"] in ("0", "1")  # SLURM gave the job one of the node's two GPUs


def test_a_job_requeued_at_a_random_moment_ends_as_if_never_requeued(cluster, calm_run, tmp_path):
    """Pre-emption as SLURM does it (`scontrol requeue`: the running job is killed and put back in the queue), at
    a seeded random moment of the multi-job run: the same job runs again, training goes on from its checkpoint,
    and every output equals the uninterrupted run's."""
    write_config(tmp_path, cluster_config())
    run = snakemake_on_slurm(tmp_path)
    time.sleep(np.random.default_rng(22).uniform(10, 90))
    deadline = time.monotonic() + 600
    while not (running := [job for job in job_records(tmp_path) if job["JobState"] == "RUNNING"]):
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before a job could be requeued"
        time.sleep(0.2)
    requeued = running[0]
    subprocess.run(["scontrol", "requeue", requeued["JobId"]], check=True)
    try:
        output, _ = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)
    assert run.returncode == 0, output[-4000:]

    (after,) = [job for job in job_records(tmp_path) if job["JobId"] == requeued["JobId"]]
    assert after["Restarts"] == "1" and after["JobState"] == "COMPLETED"  # the same job, run a second time
    calm, requeued_run = calm_run / OUT, tmp_path / OUT
    for path in sorted(calm.glob("*/seed*/*")):
        if path.name in ("metrics.json", "predictions.csv", "valid_predictions.csv", "history.csv"):
            name = str(path.relative_to(calm))
            assert_same(table_of(path), table_of(requeued_run / name), f"{requeued['rule']} requeued: {name}")
    for name in ("leaderboard.csv", "differences.csv"):
        assert_same(table_of(calm / name), table_of(requeued_run / name), f"{requeued['rule']} requeued: {name}")


def test_a_failed_job_shows_its_error_on_the_console(cluster, tmp_path):
    make, problem = BAD_FILES["label too big"]
    broken = make(tmp_path / "Galaxy10.h5")
    write_config(tmp_path, small_config(dataset="sdss", data={"sdss": {"path": str(broken)}}))
    run = snakemake_on_slurm(tmp_path, "Results/test/sdss/split.npz", "--retries", "0")  # not thrice: it fails alike
    output, _ = run.communicate(timeout=300)
    assert run.returncode != 0
    assert re.search(f"Error: {broken}: .*{problem}", output), output[-4000:]  # the job's log, shown by the profile
    assert not (tmp_path / "Results/test/sdss/split.npz").exists()
