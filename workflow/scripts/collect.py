from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.own import collect

p = snakemake.params
n = collect(p.source, snakemake.output.h5, p.facts["image_size"], p.facts["class_names"])
print(f"{n} images of {len(p.facts['class_names'])} classes: {', '.join(p.facts['class_names'])}")
