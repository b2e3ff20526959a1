from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.study.figures import sweep_plot
from galaxy10.study.sweep import write_sweep

p, out = snakemake.params, snakemake.output
table = write_sweep(snakemake.input.records, p.swept, p.select_by, out.csv, out.chosen)
print(table.to_string())
sweep_plot(table, p.swept, out.plot)
