rule synthesize:
    output:
        h5=f"{RESULTS}/synthetic/Galaxy10.h5",
    params:
        n_images=config["synthetic"]["n_images"],
        seed=config["synthetic"]["seed"],
    log:
        f"{RESULTS}/synthetic/logs/synthesize.log",
    benchmark:
        f"{RESULTS}/synthetic/benchmarks/synthesize.tsv"
    threads: 2
    resources:
        mem_mb=2000,
    script:
        "../scripts/synthesize.py"
