# Runs where the network is: on a cluster, the login node.
localrules:
    download,


rule download:
    output:
        h5=f"{RESULTS}/sdss/Galaxy10.h5",
    log:
        f"{RESULTS}/sdss/logs/download.log",
    conda:
        "../../environment.yml"
    params:
        url=config["data"]["url"],
        sha256=config["data"]["sha256"],
        cached=[os.path.join(os.path.expanduser(config["data"]["astronn_cache"]), "Galaxy10.h5")],
    script:
        "../scripts/download.py"
