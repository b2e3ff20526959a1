"""The workflow submitted through profiles/slurm to a real single-node SLURM cluster with two fake GPUs."""

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

import pytest

import slurm_cluster
from test_workflow import EXPERIMENTS, OUT, REPO, SEEDS, SMALL, check_outputs, write_config

# Overrides for this test cluster only: it has no slurmdbd, so the plugin must ask squeue, not sacct, and
# a few seconds' wait before the first status check instead of 40 keeps the test short.
TEST_CLUSTER = ["--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2", "--jobs", "2"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the SLURM test installs and starts slurmctld/slurmd/munged, which needs root")
    started = slurm_cluster.start(tmp_path_factory.mktemp("slurm"), gpus=2)
    yield started
    started.stop()
    assert all(daemon.poll() is not None for daemon in started.procs.values())


def submitted_jobs() -> dict:
    """Rule name → the TRES each of its SLURM jobs asked for, from the controller's job records."""
    records = subprocess.run(["scontrol", "--oneliner", "show", "job"], capture_output=True, text=True, check=True)
    jobs = defaultdict(list)
    for line in records.stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        rule = re.match(r"rule_(\w+?)(?:_wildcards_|$)", fields["Comment"]).group(1)  # the plugin's comment
        jobs[rule].append((fields.get("TresPerJob", ""), fields["JobState"]))
    return jobs


def test_workflow_runs_on_slurm_with_gpu_jobs_on_gpus(cluster, tmp_path):
    config = json.loads(json.dumps(SMALL))
    config["resources"]["train"].update(threads=1)  # two trainings side by side on the 2-CPU node
    assert config["resources"]["train"]["gpu"] == 0  # the GPUs come from the profile
    write_config(tmp_path, config)
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")  # an activated env
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
         "--workflow-profile", str(REPO / "profiles" / "slurm"), *TEST_CLUSTER],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    check_outputs(tmp_path)

    jobs = submitted_jobs()
    runs = len(EXPERIMENTS) * len(SEEDS)
    for rule in ("train", "predict"):
        assert jobs[rule] == [("gres:gpu:1", "COMPLETED")] * runs, rule
    for rule in ("synthesize", "split", "figures", "compare"):
        assert jobs[rule] and all(tres == "" and state == "COMPLETED" for tres, state in jobs[rule]), rule
    assert not jobs["download"] and not jobs["evaluate"]  # local rules run beside snakemake, not as jobs
    for name in EXPERIMENTS:
        for seed in SEEDS:
            record = json.loads((tmp_path / OUT / name / f"seed{seed}" / "run.json").read_text())
            assert record["cuda_visible_devices"] in ("0", "1")  # SLURM gave the job one of the node's two GPUs
