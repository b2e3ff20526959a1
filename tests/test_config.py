"""The config schema, checked in-process as the Snakefile checks it: every shipped config is valid, and a typo or
a wrong type is an error that names the key."""

import json
from pathlib import Path

import pytest
import yaml
from bad_inputs import BAD_CONFIGS
from snakemake.exceptions import WorkflowError
from snakemake.utils import update_config, validate

from galaxy10.study.sweep import SWEEP_KEYS, sweep_points
from galaxy10.training.settings import TrainingSettings

REPO = Path(__file__).resolve().parents[1]
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def merged(name: str) -> dict:
    """config.yaml with `name` over it, as `snakemake --configfile config/<name>` reads them."""
    config = json.loads(json.dumps(DEFAULT))
    update_config(config, yaml.safe_load((REPO / "config" / name).read_text()))
    return config


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "config").glob("*.yaml")))
def test_every_shipped_config_is_valid_and_its_experiments_are_settings(name):
    config = merged(name)
    validate(config, SCHEMA)
    for experiment, values in config["experiments"].items():
        plain = {key: value for key, value in values.items() if key not in SWEEP_KEYS}
        assert TrainingSettings.from_dict(plain).model == values["model"], experiment
        for point in sweep_points(values) if values.get("sweep") else []:  # each point is an experiment's settings
            assert TrainingSettings.from_dict(point).model == values["model"], experiment
    assert set(config.get("run") or config["experiments"]) <= set(config["experiments"])


@pytest.mark.parametrize("key", BAD_CONFIGS)
def test_a_bad_config_is_refused_naming_the_key(key):
    config = merged("test.yaml")
    BAD_CONFIGS[key](config)
    with pytest.raises(WorkflowError, match=key):
        validate(config, SCHEMA)


def test_defaults_are_filled_in():
    config = {"experiments": {"one": {"model": "seed_dnn"}}}
    validate(config, SCHEMA)
    assert config["dataset"] == "sdss" and config["seeds"] and config["classify"]["model"] == "best"
