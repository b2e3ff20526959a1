from galaxy10.runtime import choose_backend, redirect_output, use_backend

redirect_output(snakemake.log[0])
p = snakemake.params
use_backend(choose_backend(p.backend, p.model, snakemake.resources.gpu), snakemake.threads)  # before keras
from galaxy10.evaluation.saliency import saliency_figure

inputs = snakemake.input
saliency_figure(inputs.model, inputs.predictions, inputs.split, inputs.metrics, snakemake.output.plot)
