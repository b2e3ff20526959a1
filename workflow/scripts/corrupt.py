from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.corrupted_set import write_corrupted_set

p = snakemake.params
for part, out in (("test", snakemake.output.npz), ("valid", snakemake.output.valid)):
    n = write_corrupted_set(snakemake.input.split, out, p.images, p.seed, p.corruptions, part)
    print(f"{n} {part} images under {len(p.corruptions)} corruptions at 5 severities")
