from galaxy10.runtime import choose_backend, redirect_output, use_backend

redirect_output(snakemake.log[0])
use_backend(choose_backend(snakemake.params.backend, gpus=snakemake.resources.gpu), snakemake.threads)
from galaxy10.classify.table import classify_with_runs

inputs, out, p = snakemake.input, snakemake.output, snakemake.params
leaderboard = inputs.leaderboard if p.model == "best" else None
print(classify_with_runs(inputs.models, inputs.cutouts, out.table, out.sheet, leaderboard, p.tta, p.fits_display))
