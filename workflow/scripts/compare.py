from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.compare import write_leaderboard
from galaxy10.figures import leaderboard_plot

inputs, out = snakemake.input, snakemake.output
print(write_leaderboard(inputs.records, out.csv, out.html).to_string())
leaderboard_plot(out.csv, out.plot)
