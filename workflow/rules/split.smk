rule split:
    input:
        h5=source_h5,
    output:
        npz=f"{DATA}/split.npz",
    params:
        test_size=config["split"]["test_size"],
        valid_size=config["split"]["valid_size"],
        seed=config["split"]["seed"],
        stratify=config["split"]["stratify"],
    log:
        f"{DATA}/logs/split.log",
    benchmark:
        f"{DATA}/benchmarks/split.tsv"
    resources:
        mem_mb=2000,
    script:
        "../scripts/split.py"
