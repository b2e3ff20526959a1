"""The comparison: seed ensembles, collapsed runs, and differences whose verdicts are known by construction."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from galaxy10.data.facts import SDSS_CLASS_NAMES
from galaxy10.evaluation.metrics import compute_metrics
from galaxy10.io import InputError
from galaxy10.study.answer import pareto_front, write_answer
from galaxy10.study.compare import write_comparison
from galaxy10.study.differences import differences, level_text
from galaxy10.study.robustness import write_robustness
from galaxy10.study.tables import main as print_tables
from galaxy10.study.tables import sweep_tables

N = 2000


def fake_predictions(path, labels, correct_share, rng):
    """A predictions table whose calibrated predictions are right on `correct_share` of the images."""
    right = rng.random(len(labels)) < correct_share
    predicted = np.where(right, labels, (labels + 1 + rng.integers(0, 9, len(labels))) % 10)
    probabilities = np.full((len(labels), 10), 0.3 / 9)
    probabilities[np.arange(len(labels)), predicted] = 0.7
    table = pd.DataFrame({"predict": predicted, "test": labels, "source_index": np.arange(len(labels))})
    for prefix in ("prob_", "cal_"):
        for k in range(10):
            table[f"{prefix}{k}"] = probabilities[:, k]
    table.to_csv(path, index=False)
    return predicted, probabilities


def fake_run(folder, experiment, seed, labels, correct_share, rng, valid_share=None):
    """A run folder whose calibrated predictions are right on `correct_share` of the test images and on
    `valid_share` (by default the same) of as many validation images."""
    folder.mkdir(parents=True)
    valid_labels = np.roll(labels, 1)
    fake_predictions(folder / "valid_predictions.csv", valid_labels, valid_share or correct_share, rng)
    predicted, probabilities = fake_predictions(folder / "predictions.csv", labels, correct_share, rng)
    metrics = compute_metrics(labels, predicted, SDSS_CLASS_NAMES)
    metrics["calibration"] = {"raw": {"ece": 0.2}, "calibrated": {"ece": 0.05}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    record = {"experiment": experiment, "seed": seed, "model": "seed_dnn", "parameters": 1, "train_seconds": 1.0,
              "class_names": list(SDSS_CLASS_NAMES), "dataset": "synthetic", "backend": "jax",
              "train_images": 3 * N,
              "provenance": {"source": {"n_images": 5 * len(labels)}}}
    (folder / "run.json").write_text(json.dumps(record))
    for name, share in (("corrupted_accuracy.csv", correct_share), ("valid_corrupted_accuracy.csv",
                                                                     valid_share or correct_share)):
        drops = np.linspace(0, 1.2 * (1 - share), 6)  # the weaker, the worse it holds up
        pd.DataFrame({"corruption": ["clean"] + 5 * ["noise"] + 5 * ["jpeg"], "severity": [0, *range(1, 6),
                                                                                          *range(1, 6)],
                      "images": 100, "accuracy": share - np.r_[0, drops[1:], drops[1:] / 2]}).assign(
            correct=lambda table: (table["accuracy"] * 100).round()).to_csv(folder / name, index=False)
    return folder / "run.json", probabilities


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """Two seeds each of a strong and a weak experiment, and a copy of the weak one: the comparison's folder and
    outputs, made once for the tests that read them."""
    folder = tmp_path_factory.mktemp("comparison")
    return folder, *compare_three(folder)


def compare_three(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, N)
    records, members = [], {}
    for experiment, share in (("strong", 0.9), ("weak", 0.6)):
        for seed in (1, 2):
            record, probabilities = fake_run(tmp_path / experiment / f"seed{seed}", experiment, seed, labels, share, rng)
            records.append(record)
            members.setdefault(experiment, []).append(probabilities)
    # a copy of weak's runs under another name: it cannot differ from weak
    for seed in (1, 2):
        folder = tmp_path / "weak_copy" / f"seed{seed}"
        folder.mkdir(parents=True)
        for name in ("predictions.csv", "valid_predictions.csv", "metrics.json", "corrupted_accuracy.csv",
                     "valid_corrupted_accuracy.csv"):
            (folder / name).write_text((tmp_path / "weak" / f"seed{seed}" / name).read_text())
        record = json.loads((tmp_path / "weak" / f"seed{seed}" / "run.json").read_text()) | {"experiment": "weak_copy"}
        (folder / "run.json").write_text(json.dumps(record))
        records.append(folder / "run.json")

    board, diffs, recalls = write_comparison(
        records, "weak", tmp_path / "leaderboard.csv", tmp_path / "differences.csv", tmp_path / "board.html",
        n_resamples=500, robustness=True,
    )
    write_robustness(records, tmp_path / "robustness.csv")
    return board, diffs, recalls, labels, members


def test_differences_are_significant_only_where_they_were_built_in(three):
    tmp_path, board, diffs, recalls, labels, members = three
    assert list(board.index)[0] == "strong" and list(recalls.index) == list(board.index)
    ensemble = np.mean(members["strong"], axis=0).argmax(axis=1)  # the mean of the seeds' probabilities
    assert board.loc["strong", "ensemble_accuracy"] == pytest.approx(np.mean(ensemble == labels))
    verdict = diffs.set_index(["experiment", "against"])
    assert verdict.loc[("strong", "weak"), "accuracy_significant"]
    assert verdict.loc[("strong", "weak"), "balanced_accuracy_significant"]
    assert verdict.loc[("strong", "weak"), "accuracy_low"] > 0.2
    assert verdict.loc[("strong", "weak"), "mcnemar_p"] < 1e-6
    assert not verdict.loc[("weak_copy", "weak"), "accuracy_significant"]
    assert verdict.loc[("weak_copy", "weak"), "accuracy_diff"] == 0 and verdict.loc[("weak_copy", "weak"), "mcnemar_p"] == 1
    assert set(verdict.index) == {("strong", "weak"), ("weak_copy", "weak"), ("weak_copy", "strong")}  # each pair once
    html = (tmp_path / "board.html").read_text()
    assert "not significant" in html and "+0.000 [+0.000, +0.000]" in html


def test_the_docs_tables_are_written_from_the_results_folder(three, capsys):
    tmp_path, board, diffs, *_ = three
    print_tables([str(tmp_path), "--reference", "weak"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"Data set `synthetic` ({5 * N:,} images), {N:,} test images, seeds [1, 2]; backends: "
                        "strong: jax, weak: jax, weak_copy: jax.")
    leaderboard = lines[2 : lines.index("", 2)]
    header = [cell.strip() for cell in leaderboard[0].strip("|").split("|")]
    assert header[:4] == ["experiment", "parameters", "ensemble valid balanced accuracy", "accuracy"]
    rows = {cells[0]: dict(zip(header, cells)) for cells in
            ([cell.strip() for cell in line.strip("|").split("|")] for line in leaderboard[2:])}
    assert list(rows) == list(board.index) and len(rows) == 3
    strong = pd.read_csv(tmp_path / "leaderboard.csv", index_col="experiment").loc["strong"]  # what the tables read
    assert rows["strong"]["ensemble valid balanced accuracy"] == f"{strong['valid_balanced_accuracy']:.3f}"
    assert rows["strong"]["accuracy"] == f"{strong['accuracy_mean']:.3f} ± {strong['accuracy_std']:.3f}"
    assert rows["strong"]["ensemble acc. / bal. acc."] == (f"{strong['ensemble_accuracy']:.3f} / "
                                                          f"{strong['ensemble_balanced_accuracy']:.3f}")
    assert rows["strong"]["ECE raw → calibrated"] == "0.200 → 0.050"
    expected = pd.read_csv(tmp_path / "differences.csv").set_index(["experiment", "against"]).loc[("strong", "weak")]
    assert expected["interval_level"] == pytest.approx(1 - 0.05 / 3)
    assert (f"| strong | weak | {expected['accuracy_diff']:+.3f} [{expected['accuracy_low']:+.3f}, "
            f"{expected['accuracy_high']:+.3f}] | {expected['balanced_accuracy_diff']:+.3f} "
            f"[{expected['balanced_accuracy_low']:+.3f}, {expected['balanced_accuracy_high']:+.3f}] | "
            f"{expected['mcnemar_p']:.2g} | {expected['mcnemar_p_holm']:.2g} | different |") in lines
    assert "| experiment | against | Δ accuracy [98.33% interval] |" in "\n".join(lines)
    robust = lines[lines.index("| experiment | clean | noise | jpeg | mCE | relative mCE |"):]
    strong = pd.read_csv(tmp_path / "leaderboard.csv", index_col="experiment").loc["strong"]
    assert f"| strong | 0.900 | 0.83 | 0.86 | {strong['mce_mean']:.2f} | 0.25 |" in robust  # mean drop 0.072
    relative = lines[lines.index("| experiment | jpeg | noise |") + 2 :][:3]  # its terms, one per corruption
    terms = {cells[0]: [float(c) for c in cells[1:]] for cells in
             ([cell.strip() for cell in line.strip("|").split("|")] for line in relative)}
    assert terms["weak"] == [1.0, 1.0]
    assert np.mean(terms["strong"]) == pytest.approx(strong["relative_mce_mean"], abs=0.01)


def test_collapsed_runs_are_counted(tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 300)
    record, _ = fake_run(tmp_path / "one" / "seed1", "one", 1, labels, 0.5, rng)
    metrics = json.loads((tmp_path / "one" / "seed1" / "metrics.json").read_text())
    (tmp_path / "one" / "seed1" / "metrics.json").write_text(json.dumps(metrics | {"collapsed": "predicts only 1 class"}))
    board, diffs, _ = write_comparison([record], "seed_dnn", tmp_path / "b.csv", tmp_path / "d.csv", tmp_path / "b.html")
    assert board.loc["one", "collapsed_seeds"] == 1 and diffs.empty


def test_a_run_on_one_or_two_classes_is_flagged():
    y = np.arange(100) % 10
    assert "only 1 class" in compute_metrics(y, np.zeros(100, int), SDSS_CLASS_NAMES)["collapsed"]
    assert "only 2 classes" in compute_metrics(y, y % 2, SDSS_CLASS_NAMES)["collapsed"]
    three = np.where(y < 3, y, 0)  # right on three classes of ten: balanced accuracy 0.3 ≥ 1.5 × 0.1
    assert compute_metrics(y, three, SDSS_CLASS_NAMES)["collapsed"] is None
    weak = np.where(y < 1, y, (y + 1) % 10)  # right on one class of ten only: 0.1 < 0.15
    assert "below 1.5 × chance" in compute_metrics(y, weak, SDSS_CLASS_NAMES)["collapsed"]


def test_the_choice_follows_validation_even_where_the_test_part_disagrees(tmp_path):
    """`test_wins` is better on the test part, `valid_wins` on validation: the validation one is chosen, ordered
    first, made the reference of the differences, and so taken by classify's `best`."""
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 10, N)
    records = [fake_run(tmp_path / name / f"seed{seed}", name, seed, labels, test, rng, valid)[0]
               for name, test, valid in (("test_wins", 0.9, 0.6), ("valid_wins", 0.7, 0.8)) for seed in (1, 2)]
    for select_by in ("balanced_accuracy", "accuracy", "macro_f1", "nll", "corrupted_accuracy"):
        board, diffs, _ = write_comparison(records, "test_wins", tmp_path / "b.csv", tmp_path / "d.csv",
                                           tmp_path / "b.html", n_resamples=100, select_by=select_by, robustness=True)
        assert list(board.index) == ["valid_wins", "test_wins"], select_by
        assert board.loc["test_wins", "accuracy_mean"] > board.loc["valid_wins", "accuracy_mean"] + 0.1
        assert len(diffs) == 1 and {*diffs["experiment"], *diffs["against"]} == {"test_wins", "valid_wins"}
        assert board["selection_criterion"].iloc[0] == f"valid_{select_by}"
    # on the corrupted sets too: the test part's is better for test_wins, the validation part's chooses
    assert board.loc["test_wins", "corrupted_accuracy_mean"] > board.loc["valid_wins", "corrupted_accuracy_mean"]
    assert board.loc["valid_wins", "valid_corrupted_accuracy"] > board.loc["test_wins", "valid_corrupted_accuracy"]
    with pytest.raises(ValueError, match="corrupted_accuracy.*needs the robustness benchmark"):
        write_comparison(records, "test_wins", tmp_path / "b.csv", tmp_path / "d.csv", tmp_path / "b.html",
                         n_resamples=100, select_by="corrupted_accuracy")
    assert pd.read_csv(tmp_path / "b.csv", index_col="experiment").index[0] == "valid_wins"  # what classify reads


def test_the_verdicts_are_corrected_for_the_family_of_tests():
    """One pair differs with a raw McNemar p of about 0.014; in a family of five tests Holm's method makes it
    0.05 or more, so the verdict is no difference, while the raw p alone would have said there is one."""
    y = np.zeros(1000, int)
    reference = np.zeros((1000, 2))
    reference[:, 0] = 1  # right everywhere but where set below
    reference[:60, :] = [0, 1]  # wrong on the first 60 images
    better = reference.copy()
    better[:60] = [1, 0]  # right on those 60 ...
    better[60:95] = [0, 1]  # ... and wrong on 35 others: 60 against 35
    ensembled = {name: (y, probabilities) for name, probabilities in
                 (("reference", reference), ("better", better), ("same", reference), ("also_same", reference))}
    diffs = differences(ensembled, ["reference", "better"], n_resamples=100).set_index(["experiment", "against"])
    assert len(diffs) == 5 and (diffs["interval_level"] == 1 - 0.05 / 5).all()  # better-reference once
    pair = diffs.loc[("better", "reference")]
    assert pair["mcnemar_p"] < 0.05 and pair["mcnemar_p_holm"] == pytest.approx(min(1, 5 * pair["mcnemar_p"]))
    assert not pair["significant"]
    assert (diffs["mcnemar_p_holm"] >= diffs["mcnemar_p"]).all()


def numbers_in(text: str) -> list[str]:
    """The numbers a reader sees, outside `code` (experiment names hold digits)."""
    prose = re.sub(r"`[^`]*`", "", text.split("![")[0])
    return re.findall(r"[+-]?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?%?", prose)


def shown_forms(tables) -> set[str]:
    """Every number of the tables, and their row counts, as the answer may show them."""
    forms = {str(len(table)) for table in tables}
    for table in tables:
        for value in table.select_dtypes("number").to_numpy().ravel():
            if np.isfinite(value):
                forms |= {f"{value:.3f}", f"{value:+.3f}", f"{value:.2g}", f"{value:,.0f}", level_text(value)}
    return forms


def test_every_number_of_the_answer_is_in_the_tables_beside_it(three):
    tmp_path = three[0]
    curve = pd.DataFrame({"experiment": ["strong", "strong", "weak", "weak", "weak_copy"], "seed": 1,
                          "train_images": [500, 5000, 500, 5000, 5000], "fraction": [0.1, 1, 0.1, 1, 1],
                          "accuracy": [0.5, 0.9, 0.3, 0.6, 0.6]})
    curve.to_csv(tmp_path / "learning_curve.csv", index=False)
    sweep = tmp_path / "tuned" / "strong" / "sweep.csv"  # `strong` as if chosen among three learning rates
    sweep.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"point": ["strong-sweep02", "strong-sweep01", "strong-sweep03"], "learning_rate": [2e-3, 1e-3, 4e-3],
                  "valid_balanced_accuracy": [0.9, 0.8, 0.7], "chosen": [True, False, False],
                  "selection_criterion": "valid_balanced_accuracy"}).to_csv(sweep, index=False)
    text = write_answer(tmp_path / "leaderboard.csv", tmp_path / "differences.csv", tmp_path / "learning_curve.csv",
                        "weak", "synthetic", "from the seeds alone", tmp_path / "answer.csv", tmp_path / "answer.md",
                        tmp_path / "answer.rst", tmp_path / "answer.png", tmp_path / "robustness.csv", [sweep])
    tables = [pd.read_csv(tmp_path / name) for name in ("leaderboard.csv", "differences.csv", "learning_curve.csv",
                                                        "answer.csv", "robustness.csv", "tuned/strong/sweep.csv")]
    forms = shown_forms(tables) | {"95", "1.5"}  # the intervals' level, the collapse rule: the text's own
    numbers = numbers_in(text)
    assert len(numbers) > 25 and [n for n in numbers if n not in forms] == []
    assert (tmp_path / "answer.md").read_text() == text
    assert "The chosen method** is `strong`" in text and "`weak_copy` against `weak`" in text
    assert "**Tuning**: `strong` over 3 points of learning_rate (chosen: learning_rate 0.002)" in text
    assert "`weak`, `weak_copy` trained with fixed settings" in text
    assert "`noise` hurts most" in text and "Degrading least from its own clean accuracy is `strong`" in text
    facts = tables[3].set_index("experiment")
    target = tables[0].set_index("experiment").loc["weak", "accuracy_mean"]  # the reference's full-data accuracy
    assert facts.loc["strong", "images_to_reach_reference"] == round(500 * 10 ** ((target - 0.5) / 0.4))
    page = (tmp_path / "answer.rst").read_text()
    assert page.startswith("The answer\n==========\n") and "``strong``" in page and "data:image/png;base64," in page


def test_the_pareto_front_is_who_no_one_beats_on_both_accuracy_and_time():
    board = pd.DataFrame({"accuracy_mean": [0.9, 0.8, 0.7, 0.85], "train_seconds_mean": [100, 10, 1, 200]},
                         index=["big", "mid", "small", "worse"])
    assert pareto_front(board) == ["big", "mid", "small"]


def test_the_leaderboard_has_each_experiments_corruption_errors_against_the_reference(three):
    board = three[1]
    assert board.loc["weak", "mce_mean"] == pytest.approx(1) and board.loc["weak", "relative_mce_mean"] == pytest.approx(1)
    assert board.loc["weak_copy", "mce_mean"] == pytest.approx(1)  # the same runs under another name
    assert board.loc["strong", "relative_mce_mean"] == pytest.approx(0.1 / 0.4)  # drops of 1.2 × its error
    assert board.loc["strong", "mce_mean"] < 0.5
    assert "mCE, relative mCE" in (three[0] / "board.html").read_text()


def test_a_sweep_is_its_grid_or_a_seeded_sample_of_it():
    from galaxy10.study.sweep import sweep_points

    values = {"model": "small_cnn", "epochs": 3, "sweep": {"learning_rate": [1e-3, 2e-3], "weight_decay": [0, .05, .1]}}
    points = sweep_points(values)
    assert len(points) == 6 and points[0] == {"model": "small_cnn", "epochs": 3, "learning_rate": 1e-3,
                                              "weight_decay": 0}
    sample = sweep_points({**values, "sweep_points": 4, "sweep_seed": 1})
    assert len(sample) == 4 and all(point in points for point in sample)
    assert sample == sweep_points({**values, "sweep_points": 4, "sweep_seed": 1})
    with pytest.raises(InputError, match="non-empty lists"):
        sweep_points({**values, "sweep": {"learning_rate": 0.1}})


def test_the_sweeps_winner_is_the_best_on_validation_even_where_the_test_part_disagrees(tmp_path):
    from galaxy10.study.sweep import write_sweep

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, N)
    records = []
    for k, (rate, test, valid) in enumerate(((1e-3, 0.9, 0.6), (2e-3, 0.6, 0.85), (4e-3, 0.7, 0.7)), start=1):
        record, _ = fake_run(tmp_path / f"s-sweep0{k}" / "seed1", f"s-sweep0{k}", 1, labels, test, rng, valid)
        record.write_text(json.dumps(json.loads(record.read_text()) | {"settings": {"learning_rate": rate}}))
        records.append(record)
    for select_by in ("corrupted_accuracy", "balanced_accuracy"):  # the docs' table below is the second's
        table = write_sweep(records, ["learning_rate"], select_by, tmp_path / "s" / "sweep.csv", tmp_path / "c.json")
        assert list(table["point"]) == ["s-sweep02", "s-sweep03", "s-sweep01"] and table["chosen"].tolist()[0]
    printed = sweep_tables(tmp_path).splitlines()  # the docs' table, from sweep.csv
    assert printed[0] == "Sweep of `s` (3 points, chosen by valid balanced accuracy):"
    assert printed[4].startswith("| s-sweep02 | 0.002 |") and printed[4].endswith("| chosen |")
    assert json.loads((tmp_path / "c.json").read_text()) == {"point": "s-sweep02", "settings": {"learning_rate": 2e-3}}
