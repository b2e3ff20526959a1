from galaxy10.runtime import choose_backend, redirect_output, use_backend

redirect_output(snakemake.log[0])
p = snakemake.params
# before anything imports keras; `auto` depends on the experiment, the model and the GPUs this job got
backend = choose_backend(p.backend, p.settings["model"], snakemake.resources.gpu, p.settings["backend"])
use_backend(backend, snakemake.threads)
import json

from galaxy10.training.train import train

out = snakemake.output
settings = p.settings
if snakemake.input.get("chosen"):  # a swept experiment: the settings its sweep chose on validation
    settings = {**settings, **json.loads(open(snakemake.input.chosen).read())["settings"]}
train(
    snakemake.input.split, out.model, out.history, out.record,
    settings=settings, seed=p.seed, experiment=p.experiment, provenance=p.provenance,
    init_model=snakemake.input.get("init_from") or None, bootstrap=p.bootstrap,
    devices=max(1, snakemake.resources.gpu),  # several GPUs: data-parallel, on JAX
)
