rule compare:
    input:
        metrics=runs(rules.evaluate.output.metrics),
        predictions=runs(rules.predict.output.predictions),
        valid_predictions=runs(rules.predict.output.valid_predictions),
        records=runs(rules.train.output.record),
        corrupted_accuracies=runs(rules.corrupted_accuracy.output.csv) if ROBUSTNESS else [],
        valid_corrupted_accuracies=runs(rules.corrupted_accuracy.output.valid_csv) if ROBUSTNESS else [],
    output:
        csv=f"{DATA}/leaderboard.csv",
        differences=f"{DATA}/differences.csv",
        html=report(
            f"{DATA}/leaderboard.html",
            caption="../report/leaderboard.rst",
            category="Comparison",
            labels={"figure": "leaderboard table"},
        ),
        plot=report(
            f"{DATA}/leaderboard.png",
            caption="../report/leaderboard_plot.rst",
            category="Comparison",
            labels={"figure": "leaderboard plot"},
        ),
        differences_plot=report(
            f"{DATA}/differences.png",
            caption="../report/differences.rst",
            category="Comparison",
            labels={"figure": "differences with intervals"},
        ),
        per_class=report(
            f"{DATA}/per_class_recall.png",
            caption="../report/per_class_recall.rst",
            category="Comparison",
            labels={"figure": "recall per class"},
        ),
    log:
        f"{DATA}/logs/compare.log",
    benchmark:
        f"{DATA}/benchmarks/compare.tsv"
    conda:
        "../../environment.yml"
    params:
        reference=config["compare"]["reference"],
        bootstrap=config["compare"]["bootstrap"],
        select_by=config["compare"]["select_by"],
        robustness=ROBUSTNESS,
    script:
        "../scripts/compare.py"


localrules:
    answer,


rule answer:
    input:
        leaderboard=rules.compare.output.csv,
        differences=rules.compare.output.differences,
        curve=lambda wildcards: rules.learning_curve.output.csv if FRACTIONS else [],
        robustness=lambda wildcards: rules.robustness.output.csv if ROBUSTNESS else [],
        sweeps=[f"{DATA}/{name}/sweep.csv" for name in SWEPT if name in EXPERIMENTS],
    output:
        facts=f"{DATA}/answer.csv",
        markdown=f"{DATA}/answer.md",
        page=f"{DATA}/answer.rst",
        plot=report(
            f"{DATA}/answer.png",
            caption="../report/answer.rst",
            category="Comparison",
            labels={"figure": "accuracy against training time"},
        ),
    log:
        f"{DATA}/logs/answer.log",
    conda:
        "../../environment.yml"
    params:
        reference=config["compare"]["reference"],
        dataset=config["dataset"],
        spread=SPREAD[config["split"]["bootstrap_per_seed"]],
    script:
        "../scripts/answer.py"
