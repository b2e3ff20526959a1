from galaxy10.runtime import choose_backend, redirect_output, use_backend

redirect_output(snakemake.log[0])
p = snakemake.params
use_backend(choose_backend(p.backend, p.model, snakemake.resources.gpu), snakemake.threads)  # before keras
from galaxy10.evaluation.predict import predict

inputs = snakemake.input
out = snakemake.output
predict(inputs.model, inputs.record, inputs.split, out.predictions, out.calibration, p.tta, out.valid_predictions)
