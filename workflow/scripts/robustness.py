from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.study.figures import robustness_plot
from galaxy10.study.robustness import write_robustness

curves = write_robustness(snakemake.input.records, snakemake.output.csv)
print(curves.to_string())
robustness_plot(curves, snakemake.output.plot)
