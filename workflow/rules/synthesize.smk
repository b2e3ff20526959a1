rule synthesize:
    output:
        h5=f"{RESULTS}/synthetic/Galaxy10.h5",
    log:
        f"{RESULTS}/synthetic/logs/synthesize.log",
    benchmark:
        f"{RESULTS}/synthetic/benchmarks/synthesize.tsv"
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=4000,
    params:
        like=config["synthetic"]["like"],
        n_images=config["synthetic"]["n_images"] or DATASETS[config["synthetic"]["like"]].n_images,
        image_size=dataset_facts()["image_size"],
        seed=config["synthetic"]["seed"],
        survey_jpeg=config["synthetic"]["survey_jpeg"],
    script:
        "../scripts/synthesize.py"
