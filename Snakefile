# Galaxy10 morphology classification: download → split → train → predict → evaluate → figures, robustness, compare, learning curve.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/synthesize.smk"
include: "workflow/rules/own_data.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/sweep.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/learning_curve.smk"
include: "workflow/rules/classify.smk"


report: first_page()


onsuccess:
    warn_of_collapsed_runs()


rule all:
    default_target: True
    input:
        run_targets(),
        rules.compare.output,
        rules.answer.output,
        curve_targets(),
        robustness_targets(),
        sweep_targets(),
        classify_targets(),
