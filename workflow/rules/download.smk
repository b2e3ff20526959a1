# Runs where the network is: on a cluster, the login node.
localrules:
    download,


rule download:
    output:
        h5=f"{RESULTS}/{{real}}/{{file}}.h5",
    log:
        f"{RESULTS}/{{real}}/logs/download-{{file}}.log",
    wildcard_constraints:
        real="sdss|decals",
    conda:
        "../../environment.yml"
    params:
        url=lambda wildcards: download_source(wildcards.real)["url"],
        sha256=lambda wildcards: download_source(wildcards.real)["sha256"],
        cached=lambda wildcards, output: [
            os.path.join(os.path.expanduser(config["data"]["astronn_cache"]), os.path.basename(output.h5))
        ],
    script:
        "../scripts/download.py"
