from galaxy10.runtime import redirect_output

redirect_output(snakemake.log[0])
from galaxy10.study.answer import write_answer

inputs, out, p = snakemake.input, snakemake.output, snakemake.params
text = write_answer(
    inputs.leaderboard, inputs.differences, inputs.get("curve") or None, p.reference, p.dataset, p.spread,
    out.facts, out.markdown, out.page, out.plot, inputs.get("robustness") or None, inputs.sweeps,
)
print(text)
