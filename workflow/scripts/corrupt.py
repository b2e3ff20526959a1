from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.corrupted_set import write_corrupted_test

p = snakemake.params
n = write_corrupted_test(snakemake.input.split, snakemake.output.npz, p.images, p.seed, p.corruptions)
print(f"{n} test images under {len(p.corruptions)} corruptions at 5 severities")
