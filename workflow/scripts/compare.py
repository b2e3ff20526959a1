from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.study import figures
from galaxy10.study.compare import write_comparison

inputs, out, p = snakemake.input, snakemake.output, snakemake.params
board, differences, recalls = write_comparison(
    inputs.records, p.reference, out.csv, out.differences, out.html, n_resamples=p.bootstrap, select_by=p.select_by,
    robustness=p.robustness,
)
print(board.to_string(), differences.to_string(), sep="\n\n")
figures.leaderboard_plot(out.csv, out.plot)
figures.differences_plot(differences, out.differences_plot)
figures.per_class_recall_plot(recalls, recalls.columns, out.per_class)
