# The robustness benchmark: samples of the test part (to report) and of the validation part (to choose by, with
# compare.select_by: corrupted_accuracy) under survey-like corruptions, made once per data set; every run's accuracy
# on them, and the comparison's table and figure; the leaderboard's mCE columns come from the same runs.
rule corrupt:
    input:
        split=rules.split.output.npz,
    output:
        npz=f"{DATA}/corrupted_test.npz",
        valid=f"{DATA}/corrupted_valid.npz",
    log:
        f"{DATA}/logs/corrupt.log",
    benchmark:
        f"{DATA}/benchmarks/corrupt.tsv"
    conda:
        "../../environment.yml"
    params:
        images=config["robustness"]["images"],
        seed=config["robustness"]["seed"],
        corruptions=config["robustness"]["corruptions"],
    script:
        "../scripts/corrupt.py"


rule corrupted_accuracy:
    input:
        model=rules.train.output.model,
        record=rules.train.output.record,
        corrupted=rules.corrupt.output.npz,
        valid_corrupted=rules.corrupt.output.valid,
    output:
        csv=f"{RUN}/corrupted_accuracy.csv",
        valid_csv=f"{RUN}/valid_corrupted_accuracy.csv",
    log:
        f"{RUN}/logs/corrupted_accuracy.log",
    benchmark:
        f"{RUN}/benchmarks/corrupted_accuracy.tsv"
    conda:
        "../../environment.yml"
    threads: job_resources("predict")["threads"]
    resources:
        gpu=job_resources("predict")["gpu"],
        mem_mb=job_resources("predict")["mem_mb"],
        runtime=job_resources("predict")["runtime"],
    params:
        backend=config["backend"],
        model=lambda wildcards: SETTINGS[wildcards.experiment]["model"],
        tta=config["predict"]["tta"],
    script:
        "../scripts/corrupted_accuracy.py"


localrules:
    robustness,


rule robustness:
    input:
        records=runs(rules.train.output.record),
        accuracies=runs(rules.corrupted_accuracy.output.csv),
    output:
        csv=f"{DATA}/robustness.csv",
        plot=report(
            f"{DATA}/robustness.png",
            caption="../report/robustness.rst",
            category="Comparison",
            labels={"figure": "robustness"},
        ),
    log:
        f"{DATA}/logs/robustness.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/robustness.py"
