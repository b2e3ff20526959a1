"""The workflow trains the experiment a fine-tuning one starts from first, with the same seed (a dry run)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.workflow
REPO = Path(__file__).resolve().parents[1]


def dry_run(workdir, experiments, run, **more):
    config = {"dataset": "synthetic", "results": "Results", "synthetic": {"n_images": 300}, "seeds": [1, 2],
              "run": run, "experiments": experiments, **more}
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
         "--cores", "1", "--dry-run"],
        capture_output=True, text=True, timeout=120,
    )


def test_init_from_an_experiment_trains_it_first_and_a_file_is_an_input(tmp_path):
    experiments = {"base": {"model": "small_cnn", "epochs": 1},
                   "tuned": {"model": "small_cnn", "epochs": 2, "init_from": "base", "freeze_epochs": 1}}
    result = dry_run(tmp_path, experiments, ["tuned"])
    assert result.returncode == 0, result.stderr
    for seed in (1, 2):  # each seed from its own base, which is trained though not in `run`
        assert f"input: Results/synthetic/split.npz, Results/synthetic/base/seed{seed}/model.keras" in result.stdout
    assert "tuned/seed1/predictions.csv" in result.stdout and "base/seed1/predictions.csv" not in result.stdout

    experiments["tuned"]["init_from"] = str(tmp_path / "pretrained.keras")
    result = dry_run(tmp_path, experiments, ["tuned"])
    assert result.returncode != 0 and "pretrained.keras" in result.stdout + result.stderr  # missing input

    experiments["tuned"]["init_from"], experiments["base"]["init_from"] = "base", "tuned"
    result = dry_run(tmp_path, experiments, ["tuned"])
    assert result.returncode != 0 and "itself" in result.stdout + result.stderr


def test_a_wrong_init_from_or_classify_input_is_an_error_naming_it(tmp_path):
    cases = {
        "experiments.tuned.init_from: 'nothing' is neither an experiment nor a .keras file":
            ({"tuned": {"model": "small_cnn", "init_from": "nothing"}}, {}),
        "experiments.b.init_from: 'a' starts, in the end, from b itself":
            ({"a": {"model": "small_cnn", "init_from": "b"}, "b": {"model": "small_cnn", "init_from": "a"}}, {}),
        "classify.inputs: two inputs have the same name":
            ({"a": {"model": "seed_dnn"}}, {"classify": {"inputs": ["x/cutouts", "y/cutouts.h5"]}}),
    }
    for expected, (experiments, more) in cases.items():
        result = dry_run(tmp_path, experiments, list(experiments)[:1], **more)
        assert result.returncode != 0 and expected in result.stdout + result.stderr, expected
