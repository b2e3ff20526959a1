from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.data.download import fetch

p = snakemake.params
source = fetch(p.url, snakemake.output.h5, p.sha256, cached=p.cached)
print(f"{snakemake.output.h5} from {source}")
