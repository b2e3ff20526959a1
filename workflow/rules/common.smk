import os
import sys

import yaml
from snakemake.utils import update_config, validate

from galaxy10.data.facts import DATASETS
from galaxy10.data.own import own_facts
from galaxy10.training.custom import model_file
from galaxy10.study.sweep import SWEEP_KEYS, point_name, sweep_points
from galaxy10.training.settings import TrainingSettings


def as_yaml(value):
    """A --config value read as YAML reads it: Snakemake leaves nested ones strings ('seeds=[1,2]' gives '1')."""
    if isinstance(value, dict):
        return {key: as_yaml(each) for key, each in value.items()}
    if isinstance(value, list):
        return [as_yaml(each) for each in value]
    return yaml.safe_load(value) if isinstance(value, str) else value


update_config(config, as_yaml(dict(workflow.config_settings.config)))  # --config only, not --configfile
validate(config, "../schemas/config.schema.yaml")  # also fills in every default

RESULTS = config["results"]
DATA = f"{RESULTS}/{config['dataset']}"  # everything derived from the chosen data set
RUN = os.path.join(DATA, "{experiment}", "seed{seed}")  # one experiment trained with one seed
SEEDS = config["seeds"]
EXPERIMENTS = config["run"] or list(config["experiments"])  # the ones to run
if unknown := sorted(set(EXPERIMENTS) - set(config["experiments"])):
    raise ValueError(f"run: {unknown} not in experiments; choose from {sorted(config['experiments'])}")
SETTINGS = {
    name: TrainingSettings.from_dict({k: v for k, v in values.items() if k not in SWEEP_KEYS}).to_dict()
    for name, values in config["experiments"].items()
}
# sweeps: each point of a swept experiment is an experiment of its own, trained with the first seed; the
# experiment then trains with the point chosen on validation (study.sweep)
SWEPT = {name: values for name, values in config["experiments"].items() if values.get("sweep")}
POINTS = {}
for name, values in SWEPT.items():
    for k, point in enumerate(sweep_points(values), start=1):
        POINTS.setdefault(name, []).append(point_name(name, k))
        SETTINGS[point_name(name, k)] = TrainingSettings.from_dict(point).to_dict()


def upstream(name, seen=()):
    """The experiments whose models `name` starts from (`init_from` an experiment's name), nearest first."""
    source = SETTINGS[name]["init_from"]
    if source is None or source.endswith(".keras"):
        return []
    if source not in SETTINGS:
        raise ValueError(f"experiments.{name}.init_from: {source!r} is neither an experiment nor a .keras file")
    if source == name or source in seen:
        raise ValueError(f"experiments.{name}.init_from: {source!r} starts, in the end, from {name} itself")
    return [source, *upstream(source, (*seen, name))]


# the experiments to run, the ones they start from, and the one `classify.model` names
CLASSIFIED_BY = [config["classify"]["model"]] if config["classify"]["model"] in SETTINGS else []
TRAINED = list(dict.fromkeys(each for name in EXPERIMENTS + CLASSIFIED_BY for each in [name, *upstream(name)]))
TRAINED += [point for name in TRAINED for point in POINTS.get(name, [])]


# what the seeds' spread holds, for the answer
SPREAD = {
    False: "over the training seeds alone (initialisation, batch order, augmentation) on one split: it does not "
    "include the sampling of the data (split.bootstrap_per_seed does)",
    True: "over the training seeds, each with its own bootstrap resample of the training part "
    "(split.bootstrap_per_seed): it includes the sampling of the training data; validation and test are fixed",
}
# learning curves: each experiment that starts from no other experiment's model (that model saw the whole training
# part), trained again on nested subsets of the training part; the full part is the ordinary run
FRACTIONS = [f"{fraction:g}" for fraction in config["learning_curve"]["fractions"]]
CURVE_EXPERIMENTS = [name for name in EXPERIMENTS if not upstream(name)] if FRACTIONS else []
CURVE_RUN = os.path.join(DATA, "learning_curve", "{fraction}", "{experiment}", "seed{seed}")
# the robustness benchmark, on unless robustness.images is 0; choosing by it needs it on
ROBUSTNESS = config["robustness"]["images"] > 0
BY_ROBUSTNESS = config["compare"]["select_by"] == "corrupted_accuracy"
if BY_ROBUSTNESS and not ROBUSTNESS:
    raise ValueError(
        "compare.select_by: corrupted_accuracy is the accuracy on the robustness benchmark's corrupted validation "
        "set, which robustness.images: 0 turns off; set robustness.images above 0 or choose another criterion"
    )


wildcard_constraints:
    experiment="|".join(TRAINED),
    seed=r"\d+",
    fraction=r"0\.\d+",


# your own data set: any name but the Galaxy10 ones and the synthetic stand-in, described under data.<name>
OWN = config["dataset"] not in (*DATASETS, "synthetic")
if OWN and config["dataset"] not in config["data"]:
    raise ValueError(
        f"dataset: {config['dataset']!r} is not sdss, decals or synthetic, and data.{config['dataset']} "
        "does not describe it (a folder of cutouts or an HDF5 file; docs/datasets.md)"
    )


def dataset_facts():
    """Class names and the image side every image must have (None: any) of the configured data set."""
    if OWN:
        return own_facts(config["data"][config["dataset"]])
    if config["dataset"] == "synthetic":
        like = DATASETS[config["synthetic"]["like"]]
        return {"class_names": like.class_names, "image_size": config["synthetic"]["image_size"] or like.image_size}
    facts, source = DATASETS[config["dataset"]], config["data"][config["dataset"]]
    return {"class_names": facts.class_names, "image_size": None if source["any_image_size"] else facts.image_size}


def download_source(name):
    """URL and sha256 of a real data set: the configured ones, or the data set's own."""
    source, facts = config["data"][name], DATASETS[name]
    return {"url": source["url"] or facts.url, "sha256": source["sha256"] or facts.sha256}


def source_h5(wildcards):
    """The Galaxy10-format file the split reads: rendered, a local copy, or downloaded (named as in its URL)."""
    if config["dataset"] == "synthetic":
        return rules.synthesize.output.h5
    if OWN:
        return config["data"][config["dataset"]].get("path") or rules.collect.output.h5
    path = config["data"][config["dataset"]]["path"]
    return path or os.path.join(DATA, os.path.basename(download_source(config["dataset"])["url"]))


def provenance(wildcards):
    """The configuration that made a run's input data, recorded in its run.json."""
    source = config["synthetic"] if config["dataset"] == "synthetic" else config["data"][config["dataset"]]
    return {"dataset": config["dataset"], "source": source, "split": config["split"]}


def init_model(wildcards):
    """The saved model a fine-tuning run starts from: its `init_from` experiment's with the same seed, or the
    .keras file it names; none without init_from."""
    source = SETTINGS[wildcards.experiment]["init_from"]
    if source in SETTINGS:
        return rules.train.output.model.format(experiment=source, seed=wildcards.seed)
    return source or []


def custom_model_file(wildcards):
    """The file a `file.py:function` model is defined in, an input of its runs: changing it re-trains them."""
    path = model_file(SETTINGS[wildcards.experiment]["model"])
    return str(path) if path else []


def chosen_settings(wildcards):
    """The settings a swept experiment's sweep chose (chosen.json), an input of its runs; none for others."""
    return f"{DATA}/{wildcards.experiment}/chosen.json" if wildcards.experiment in SWEPT else []


def sweep_runs(wildcards, pattern):
    """`pattern` for every point of the swept experiment, with the first seed."""
    return expand(pattern, experiment=POINTS[wildcards.experiment], seed=SEEDS[0])


def sweep_targets():
    """Each swept experiment's sweep table, figure and choice."""
    return [path for name in EXPERIMENTS if name in SWEPT for path in expand(rules.sweep.output, experiment=name)]


def job_resources(rule_name):
    return config["resources"][rule_name]


CLASSIFY = {
    os.path.splitext(os.path.basename(os.path.normpath(path)))[0]: path for path in config["classify"]["inputs"]
}
if len(CLASSIFY) < len(config["classify"]["inputs"]):
    raise ValueError(f"classify.inputs: two inputs have the same name: {config['classify']['inputs']}")


def classify_models(wildcards):
    """The models `classify.model` names, each with what the classify stage reads beside it."""
    choice = config["classify"]["model"]
    if choice == "best":  # every run's; the leaderboard picks the experiment
        experiments = EXPERIMENTS
    elif CLASSIFIED_BY:
        experiments = CLASSIFIED_BY
    else:
        return {"models": [choice]}  # a model file, with the calibration.json beside it if there is one
    folders = expand(RUN, experiment=experiments, seed=SEEDS)
    return {
        "models": [os.path.join(folder, "model.keras") for folder in folders],
        "calibrations": [os.path.join(folder, "calibration.json") for folder in folders],
        "records": [os.path.join(folder, "run.json") for folder in folders],
        **({"leaderboard": rules.compare.output.csv} if choice == "best" else {}),
    }


def runs(pattern):
    """`pattern` filled in for every experiment to run and every seed."""
    return expand(pattern, experiment=EXPERIMENTS, seed=SEEDS)


def run_targets():
    """Every run's products, the model too, so that deleting any of them rebuilds it."""
    products = [
        *rules.train.output,
        *rules.predict.output,
        *rules.evaluate.output,
        *rules.figures.output,
        *rules.saliency.output,
    ]
    return [path for pattern in products for path in runs(pattern)]


def first_page():
    """The report's first page: the answer, once the workflow has written it; before that, the workflow's
    description."""
    answer = os.path.abspath(f"{DATA}/answer.rst")
    return answer if os.path.exists(answer) else "workflow/report/workflow.rst"


def curve_targets():
    """The learning curve's table and figure, when fractions are configured."""
    return [rules.learning_curve.output.csv, rules.learning_curve.output.plot] if FRACTIONS else []


def curve_records(wildcards):
    """The records of every run the learning curve is drawn from: the full runs and those on subsets."""
    full = expand(rules.train.output.record, experiment=CURVE_EXPERIMENTS, seed=SEEDS)
    subsets = expand(f"{CURVE_RUN}/run.json", fraction=FRACTIONS, experiment=CURVE_EXPERIMENTS, seed=SEEDS)
    return full + subsets


def robustness_targets():
    """The robustness benchmark's table and figure, when it is on."""
    return [rules.robustness.output.csv, rules.robustness.output.plot] if ROBUSTNESS else []


def classify_targets():
    return expand(rules.classify.output.table, name=CLASSIFY)


def warn_of_collapsed_runs():
    """At the end of a run, name the experiments with a collapsed run (metrics.json says why)."""
    leaderboard = f"{DATA}/leaderboard.csv"
    if not os.path.exists(leaderboard):
        return
    import pandas as pd

    board = pd.read_csv(leaderboard, index_col="experiment")
    for experiment, row in board[board["collapsed_seeds"] > 0].iterrows():
        print(
            f"Warning: {experiment}: {row['collapsed_seeds']} of {row['seeds']} seeds collapsed (predictions on one "
            f"or two classes, or balanced accuracy below 1.5 × chance); see `collapsed` in its metrics.json files",
            file=sys.stderr,
        )
