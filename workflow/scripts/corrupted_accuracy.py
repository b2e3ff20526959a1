from galaxy10.runtime import choose_backend, redirect_output, use_backend

redirect_output(snakemake.log[0])
p = snakemake.params
use_backend(choose_backend(p.backend, p.model, snakemake.resources.gpu), snakemake.threads)  # before keras
from galaxy10.evaluation.robustness import corrupted_accuracy

inputs = snakemake.input
print(corrupted_accuracy(inputs.model, inputs.record, inputs.corrupted, snakemake.output.csv, p.tta).to_string())
