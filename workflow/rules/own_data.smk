# Your own data set: a folder of labelled cutouts made into a Galaxy10-format file (galaxy10.data.own).
rule collect:
    input:
        folder=lambda wildcards: config["data"][config["dataset"]]["folder"],
        labels=lambda wildcards: config["data"][config["dataset"]].get("labels") or [],
    output:
        h5=f"{DATA}/images.h5",
    log:
        f"{DATA}/logs/collect.log",
    benchmark:
        f"{DATA}/benchmarks/collect.tsv"
    conda:
        "../../environment.yml"
    params:
        source=lambda wildcards: config["data"][config["dataset"]],
        facts=dataset_facts(),
    script:
        "../scripts/collect.py"
