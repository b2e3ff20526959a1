from galaxy10.runtime import redirect_output, use_backend

redirect_output(snakemake.log[0])
use_backend(snakemake.params.backend, snakemake.threads)  # before anything imports keras
from galaxy10.predict import predict

inputs = snakemake.input
out = snakemake.output
predict(inputs.model, inputs.record, inputs.split, out.predictions, out.calibration, snakemake.params.tta)
