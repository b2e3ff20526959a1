rule compare:
    input:
        metrics=runs(rules.evaluate.output.metrics),
        records=runs(rules.train.output.record),
    output:
        csv=f"{DATA}/leaderboard.csv",
        html=report(
            f"{DATA}/leaderboard.html",
            caption="../report/leaderboard.rst",
            category="Comparison",
            labels={"figure": "leaderboard table"},
        ),
        plot=report(
            f"{DATA}/leaderboard.png",
            caption="../report/leaderboard_plot.rst",
            category="Comparison",
            labels={"figure": "leaderboard plot"},
        ),
    log:
        f"{DATA}/logs/compare.log",
    benchmark:
        f"{DATA}/benchmarks/compare.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/compare.py"
