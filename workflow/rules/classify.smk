rule classify:
    input:
        unpack(classify_models),
        cutouts=lambda wildcards: CLASSIFY[wildcards.name],
    output:
        table=f"{DATA}/classify/{{name}}/classes.csv",
        sheet=report(
            f"{DATA}/classify/{{name}}/contact_sheet.png",
            caption="../report/contact_sheet.rst",
            category="Classified cutouts",
            labels={"input": "{name}", "figure": "contact sheet"},
        ),
    log:
        f"{DATA}/logs/classify-{{name}}.log",
    benchmark:
        f"{DATA}/benchmarks/classify-{{name}}.tsv"
    wildcard_constraints:
        name="[^/]+",
    conda:
        "../../environment.yml"
    threads: job_resources("predict")["threads"]
    resources:
        gpu=job_resources("predict")["gpu"],
        mem_mb=job_resources("predict")["mem_mb"],
        runtime=job_resources("predict")["runtime"],
    params:
        backend=config["backend"],
        model=config["classify"]["model"],
        tta=config["classify"]["tta"],
        fits_display=config["classify"]["fits_display"],
    script:
        "../scripts/classify.py"
