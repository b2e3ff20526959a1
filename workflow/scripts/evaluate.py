from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.evaluation.metrics import evaluate

out = snakemake.output
inputs = snakemake.input
print(evaluate(inputs.predictions, inputs.record, out.metrics, out.confusion, inputs.valid_predictions))
