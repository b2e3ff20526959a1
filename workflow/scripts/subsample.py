from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.subsets import write_subset

p = snakemake.params
print(write_subset(snakemake.input.npz, snakemake.output.npz, p.fraction, p.seed), "training images")
