import os

from snakemake.utils import validate

validate(config, "../schemas/config.schema.yaml")

RESULTS = config["results"]
DATA = f"{RESULTS}/{config['dataset']}"  # everything derived from the chosen data set
RUN = os.path.join(DATA, "{experiment}", "seed{seed}")  # one experiment trained with one seed
SEEDS = config["seeds"]


wildcard_constraints:
    experiment="|".join(config["experiments"]),
    seed=r"\d+",


def source_h5(wildcards):
    """The Galaxy10-format file the split reads: rendered, a local copy, or downloaded (named as in its URL)."""
    if config["dataset"] == "synthetic":
        return rules.synthesize.output.h5
    source = config["data"][config["dataset"]]
    return source["path"] or os.path.join(DATA, os.path.basename(source["url"]))


def experiment_settings(wildcards):
    return config["experiments"][wildcards.experiment]


def provenance(wildcards):
    """The configuration that made a run's input data, recorded in its run.json."""
    source = config["synthetic"] if config["dataset"] == "synthetic" else config["data"][config["dataset"]]
    return {"dataset": config["dataset"], "source": source, "split": config["split"]}


def job_resources(rule_name):
    return config["resources"][rule_name]


def runs(pattern):
    """`pattern` filled in for every experiment and seed."""
    return expand(pattern, experiment=config["experiments"], seed=SEEDS)


def run_targets():
    """Every run's products, the model too, so that deleting any of them rebuilds it."""
    products = [*rules.train.output, *rules.predict.output, *rules.evaluate.output, *rules.figures.output]
    return [path for pattern in products for path in runs(pattern)]
