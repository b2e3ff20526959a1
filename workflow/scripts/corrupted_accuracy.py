from galaxy10.runtime import choose_backend, redirect_output, use_backend

redirect_output(snakemake.log[0])
p = snakemake.params
use_backend(choose_backend(p.backend, p.model, snakemake.resources.gpu), snakemake.threads)  # before keras
from galaxy10.evaluation.robustness import corrupted_accuracy

inputs, outputs = snakemake.input, snakemake.output
sets = {outputs.csv: inputs.corrupted, outputs.valid_csv: inputs.valid_corrupted}
for out, table in corrupted_accuracy(inputs.model, inputs.record, sets, p.tta).items():
    print(out, table.to_string(), sep="\n")
