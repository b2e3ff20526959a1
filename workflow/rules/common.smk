import os

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

RESULTS = config["results"]
DATA = f"{RESULTS}/{config['dataset']}"  # everything derived from the chosen data set
EXPERIMENT = os.path.join(DATA, "{experiment}")


wildcard_constraints:
    experiment="|".join(config["experiments"]),


def source_h5(wildcards):
    """The Galaxy10-format file the split reads: rendered, a local copy, or downloaded."""
    if config["dataset"] == "synthetic":
        return rules.synthesize.output.h5
    if config["data"]["path"]:
        return config["data"]["path"]
    return rules.download.output.h5


def experiment_settings(wildcards):
    return config["experiments"][wildcards.experiment]


def job_resources(rule_name):
    return config["resources"][rule_name]


def experiment_targets():
    """Every experiment's products, the model too, so that deleting any of them rebuilds it."""
    return expand(
        [
            *rules.train.output,
            *rules.predict.output,
            *rules.evaluate.output,
        ],
        experiment=config["experiments"],
    )
