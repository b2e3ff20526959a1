rule predict:
    input:
        model=rules.train.output.model,
        record=rules.train.output.record,
        split=rules.split.output.npz,
    output:
        predictions=f"{RUN}/predictions.csv",
        valid_predictions=f"{RUN}/valid_predictions.csv",
        calibration=f"{RUN}/calibration.json",
    log:
        f"{RUN}/logs/predict.log",
    benchmark:
        f"{RUN}/benchmarks/predict.tsv"
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
        "../scripts/predict.py"
