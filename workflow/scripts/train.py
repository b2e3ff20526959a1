from galaxy10.runtime import redirect_output, use_backend

redirect_output(snakemake.log[0])
use_backend(snakemake.params.backend, snakemake.threads)  # before anything imports keras
from galaxy10.training import train

out, p = snakemake.output, snakemake.params
train(
    snakemake.input.split, out.model, out.history, out.record,
    settings=p.settings, seed=p.seed, experiment=p.experiment, provenance=p.provenance,
    init_model=snakemake.input.get("init_from") or None,
)
