# Learning curves: the same rules as the full runs, on nested subsets of the training part (validation and test
# unchanged), then one table and figure of test scores against the number of training images.


rule subsample:
    input:
        npz=rules.split.output.npz,
    output:
        npz=f"{DATA}/learning_curve/{{fraction}}/split.npz",
    log:
        f"{DATA}/learning_curve/{{fraction}}/logs/subsample.log",
    benchmark:
        f"{DATA}/learning_curve/{{fraction}}/benchmarks/subsample.tsv"
    conda:
        "../../environment.yml"
    params:
        fraction=lambda wildcards: float(wildcards.fraction),
        seed=config["split"]["seed"],
    script:
        "../scripts/subsample.py"


use rule train as train_on_subset with:
    input:
        split=rules.subsample.output.npz,
        init_from=init_model,
        model_file=custom_model_file,
        chosen=chosen_settings,
    output:
        model=f"{CURVE_RUN}/model.keras",
        history=f"{CURVE_RUN}/history.csv",
        record=f"{CURVE_RUN}/run.json",
    log:
        f"{CURVE_RUN}/logs/train.log",
    benchmark:
        f"{CURVE_RUN}/benchmarks/train.tsv"


use rule predict as predict_on_subset with:
    input:
        model=rules.train_on_subset.output.model,
        record=rules.train_on_subset.output.record,
        split=rules.split.output.npz,
    output:
        predictions=f"{CURVE_RUN}/predictions.csv",
        valid_predictions=f"{CURVE_RUN}/valid_predictions.csv",
        calibration=f"{CURVE_RUN}/calibration.json",
    log:
        f"{CURVE_RUN}/logs/predict.log",
    benchmark:
        f"{CURVE_RUN}/benchmarks/predict.tsv"


use rule evaluate as evaluate_on_subset with:
    input:
        predictions=rules.predict_on_subset.output.predictions,
        valid_predictions=rules.predict_on_subset.output.valid_predictions,
        record=rules.train_on_subset.output.record,
    output:
        metrics=f"{CURVE_RUN}/metrics.json",
        confusion=f"{CURVE_RUN}/confusion_matrix.csv",
    log:
        f"{CURVE_RUN}/logs/evaluate.log",
    benchmark:
        f"{CURVE_RUN}/benchmarks/evaluate.tsv"


localrules:
    learning_curve,
    evaluate_on_subset,


rule learning_curve:
    input:
        records=curve_records,
        metrics=lambda wildcards: [
            os.path.join(os.path.dirname(path), "metrics.json") for path in curve_records(wildcards)
        ],
    output:
        csv=f"{DATA}/learning_curve.csv",
        plot=report(
            f"{DATA}/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="Comparison",
            labels={"figure": "learning curve"},
        ),
    log:
        f"{DATA}/logs/learning_curve.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/learning_curve.py"
