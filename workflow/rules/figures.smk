rule figures:
    input:
        history=rules.train.output.history,
        predictions=rules.predict.output.predictions,
        metrics=rules.evaluate.output.metrics,
        calibration=rules.predict.output.calibration,
        split=rules.split.output.npz,
    output:
        curves=report(
            f"{RUN}/learning_curves.png",
            caption="../report/learning_curves.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "seed": "{seed}", "figure": "learning curves"},
        ),
        confusion=report(
            f"{RUN}/confusion_matrix.png",
            caption="../report/confusion_matrix.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "seed": "{seed}", "figure": "confusion matrix"},
        ),
        gallery=report(
            f"{RUN}/misclassified.png",
            caption="../report/misclassified.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "seed": "{seed}", "figure": "misclassified"},
        ),
        reliability=report(
            f"{RUN}/reliability.png",
            caption="../report/reliability.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "seed": "{seed}", "figure": "reliability"},
        ),
        per_class=report(
            f"{RUN}/per_class.html",
            caption="../report/per_class.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "seed": "{seed}", "figure": "per-class table"},
        ),
    log:
        f"{RUN}/logs/figures.log",
    benchmark:
        f"{RUN}/benchmarks/figures.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"


rule saliency:
    input:
        model=rules.train.output.model,
        predictions=rules.predict.output.predictions,
        metrics=rules.evaluate.output.metrics,
        split=rules.split.output.npz,
    output:
        plot=report(
            f"{RUN}/saliency.png",
            caption="../report/saliency.rst",
            category="Runs",
            subcategory="{experiment}",
            labels={"experiment": "{experiment}", "seed": "{seed}", "figure": "what the model looked at"},
        ),
    log:
        f"{RUN}/logs/saliency.log",
    benchmark:
        f"{RUN}/benchmarks/saliency.tsv"
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
    script:
        "../scripts/saliency.py"
