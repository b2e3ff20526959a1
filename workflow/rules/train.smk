rule train:
    input:
        split=rules.split.output.npz,
    output:
        model=f"{EXPERIMENT}/model.keras",
        history=f"{EXPERIMENT}/history.csv",
    log:
        f"{EXPERIMENT}/logs/train.log",
    benchmark:
        f"{EXPERIMENT}/benchmarks/train.tsv"
    conda:
        "../../environment.yml"
    threads: job_resources("train")["threads"]
    resources:
        gpu=job_resources("train")["gpu"],
        mem_mb=job_resources("train")["mem_mb"],
        runtime=job_resources("train")["runtime"],
    params:
        backend=config["backend"],
        experiment=experiment_settings,
    script:
        "../scripts/train.py"
