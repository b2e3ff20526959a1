rule train:
    input:
        split=rules.split.output.npz,
        init_from=init_model,
        model_file=custom_model_file,
        chosen=chosen_settings,
    output:
        model=f"{RUN}/model.keras",
        history=f"{RUN}/history.csv",
        record=f"{RUN}/run.json",
    log:
        f"{RUN}/logs/train.log",
    benchmark:
        f"{RUN}/benchmarks/train.tsv"
    conda:
        "../../environment.yml"
    threads: job_resources("train")["threads"]
    resources:
        gpu=job_resources("train")["gpu"],
        mem_mb=job_resources("train")["mem_mb"],
        runtime=job_resources("train")["runtime"],
    params:
        backend=config["backend"],
        seed=lambda wildcards: int(wildcards.seed),
        experiment=lambda wildcards: wildcards.experiment,
        settings=lambda wildcards: SETTINGS[wildcards.experiment],
        provenance=provenance,
        bootstrap=config["split"]["bootstrap_per_seed"],
    script:
        "../scripts/train.py"
