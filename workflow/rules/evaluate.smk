localrules:
    evaluate,


rule evaluate:
    input:
        predictions=rules.predict.output.predictions,
    output:
        metrics=f"{EXPERIMENT}/metrics.json",
        confusion=f"{EXPERIMENT}/confusion_matrix.csv",
    log:
        f"{EXPERIMENT}/logs/evaluate.log",
    benchmark:
        f"{EXPERIMENT}/benchmarks/evaluate.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/evaluate.py"
