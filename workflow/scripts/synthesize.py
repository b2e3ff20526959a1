from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.synthetic import write_synthetic

p = snakemake.params
write_synthetic(
    snakemake.output.h5, p.n_images, p.seed, processes=snakemake.threads, image_size=p.image_size, like=p.like,
    survey_jpeg=p.survey_jpeg,
)
