localrules:
    evaluate,


rule evaluate:
    input:
        predictions=rules.predict.output.predictions,
        valid_predictions=rules.predict.output.valid_predictions,
        record=rules.train.output.record,
    output:
        metrics=f"{RUN}/metrics.json",
        confusion=f"{RUN}/confusion_matrix.csv",
    log:
        f"{RUN}/logs/evaluate.log",
    benchmark:
        f"{RUN}/benchmarks/evaluate.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/evaluate.py"
