# The body runs only as the job itself: the feed processes of a GPU job import this file again (multiprocessing).
if __name__ == "__main__":
    from galaxy10.runtime import choose_backend, redirect_output, use_backend

    redirect_output(snakemake.log[0])
    p = snakemake.params
    gpus = snakemake.resources.gpu
    # before anything imports keras; `auto` depends on the experiment, the model and the GPUs this job got
    backend = choose_backend(p.backend, p.settings["model"], gpus, p.settings["backend"])
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
        devices=max(1, gpus),  # several GPUs: data-parallel, on JAX
        # on a GPU the job's other cores draw the training corruptions; on a CPU they compute
        feed_processes=snakemake.threads - 1 if gpus else 0,
    )
