from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.study.figures import learning_curve_plot
from galaxy10.study.learning_curve import write_learning_curve

out = snakemake.output
table = write_learning_curve(snakemake.input.records, out.csv)
print(table.to_string())
learning_curve_plot(table, out.plot)
