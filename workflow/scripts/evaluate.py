from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.evaluation.metrics import evaluate

out = snakemake.output
print(evaluate(snakemake.input.predictions, snakemake.input.record, out.metrics, out.confusion))
