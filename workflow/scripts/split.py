from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.split import write_split

p = snakemake.params
sizes = write_split(
    snakemake.input.h5, snakemake.output.npz, p.test_size, p.valid_size, p.seed, p.stratify, dataset=p.dataset, **p.facts
)
print(sizes)
