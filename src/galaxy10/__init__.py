"""Galaxy10 morphology classification: the logic behind the Snakemake workflow."""
