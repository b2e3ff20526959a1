from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.evaluation import figures

inputs, out = snakemake.input, snakemake.output
figures.learning_curves(inputs.history, out.curves)
figures.confusion_figure(inputs.predictions, inputs.metrics, out.confusion)
figures.misclassified_gallery(inputs.predictions, inputs.split, inputs.metrics, out.gallery)
figures.run_reliability(inputs.predictions, inputs.calibration, out.reliability)
figures.per_class_table(inputs.metrics, out.per_class)
