# Sweeps chosen on validation (study.sweep): the points' runs are the train/predict/evaluate rules' own.
localrules:
    sweep,


rule sweep:
    input:
        records=lambda wildcards: sweep_runs(wildcards, rules.train.output.record),
        metrics=lambda wildcards: sweep_runs(wildcards, rules.evaluate.output.metrics),
        valid_predictions=lambda wildcards: sweep_runs(wildcards, rules.predict.output.valid_predictions),
        valid_corrupted=lambda wildcards: (
            sweep_runs(wildcards, rules.corrupted_accuracy.output.valid_csv) if BY_ROBUSTNESS else []
        ),
    output:
        csv=f"{DATA}/{{experiment}}/sweep.csv",
        chosen=f"{DATA}/{{experiment}}/chosen.json",
        plot=report(
            f"{DATA}/{{experiment}}/sweep.png",
            caption="../report/sweep.rst",
            category="Comparison",
            labels={"figure": "sweep of {experiment}"},
        ),
    log:
        f"{DATA}/logs/sweep-{{experiment}}.log",
    conda:
        "../../environment.yml"
    params:
        swept=lambda wildcards: list(SWEPT[wildcards.experiment]["sweep"]),
        select_by=config["compare"]["select_by"],
    script:
        "../scripts/sweep.py"
