"""The answer to the research question, in words, written from the comparison's tables: no number in it is typed
by hand. `answer_facts` derives what the tables do not hold yet (images needed, the Pareto front) into
answer.csv; `answer_text` says it all in Markdown; the report's first page is the same text in reStructuredText."""

import base64
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.io import InputError, atomic_output
from galaxy10.study.differences import level_text, read_differences
from galaxy10.study.figures import cost_plot
from galaxy10.study.learning_curve import images_to_reach
from galaxy10.study.robustness import worst_corruption
from galaxy10.training.custom import is_custom
from galaxy10.training.settings import DENSE_MODELS


def family(model: str) -> str:
    """Dense network or CNN, the question's two families; a file.py:function model is the user's own."""
    return "dense network" if model in DENSE_MODELS else "own model" if is_custom(model) else "CNN"


def pareto_front(board: pd.DataFrame) -> list[str]:
    """The experiments no other beats on both test accuracy (mean over seeds) and training time."""
    accuracy, seconds = board["accuracy_mean"], board["train_seconds_mean"]
    front = []
    for name in board.index:
        at_least_as_good = (accuracy >= accuracy[name]) & (seconds <= seconds[name])
        better_somewhere = (accuracy > accuracy[name]) | (seconds < seconds[name])
        if not (at_least_as_good & better_somewhere).any():
            front.append(name)
    return front


def answer_facts(board: pd.DataFrame, curve: pd.DataFrame | None, reference: str) -> pd.DataFrame:
    """Per experiment: its family, whether it is on the Pareto front, and the training images its learning curve
    needs to reach the reference's full-data test accuracy (NaN: never within the curve, or no curve)."""
    facts = pd.DataFrame({"family": [family(model) for model in board["model"]]}, index=board.index)
    facts["pareto"] = facts.index.isin(pareto_front(board))
    target = board.loc[reference, "accuracy_mean"] if reference in board.index else np.nan
    needed = [images_to_reach(curve, name, target) if curve is not None and name in set(curve["experiment"])
              and np.isfinite(target) else None for name in board.index]
    facts["images_to_reach_reference"] = pd.array([np.nan if n is None else round(n) for n in needed], dtype="Int64")
    return facts


def _f(value) -> str:
    return f"{value:.3f}"


def _interval(low, high) -> str:
    return f"[{low:+.3f}, {high:+.3f}]"


def _chosen(board) -> str:
    name, row = board.index[0], board.iloc[0]
    criterion = row["selection_criterion"]
    chosen_by = ("its seeds' mean accuracy on the corrupted validation set" if criterion == "valid_corrupted_accuracy"
                 else f"seed ensemble by {criterion.replace('valid_', 'validation ').replace('_', ' ')}")
    return (
        f"**The chosen method** is `{name}` ({family(row['model'])}), the best {chosen_by}"
        f" ({_f(row[criterion])}); the criterion is the config's `compare.select_by`, and the test part chose "
        f"nothing. On the test part its seed ensemble scores accuracy {_f(row['ensemble_accuracy'])} "
        f"[{_f(row['ensemble_accuracy_low'])}, {_f(row['ensemble_accuracy_high'])}] and balanced accuracy "
        f"{_f(row['ensemble_balanced_accuracy'])} [{_f(row['ensemble_balanced_accuracy_low'])}, "
        f"{_f(row['ensemble_balanced_accuracy_high'])}] (95 % bootstrap intervals over the test images)."
    )


def _against_reference(board, diffs, reference) -> str:
    chosen = board.index[0]
    if chosen == reference:
        return f"**Against the notebook's network**: the chosen method is the notebook's network, `{reference}`, itself."
    rows = diffs[(diffs["experiment"] == chosen) & (diffs["against"] == reference)] if len(diffs) else diffs
    if not len(rows):
        return f"**Against the notebook's network**: `{reference}` was not run, so there is no comparison with it."
    row = rows.iloc[0]
    verdict = "a real difference" if row["significant"] else "no evidence of a difference"
    return (
        f"**Against the notebook's network** (`{reference}`): accuracy {row['accuracy_diff']:+.3f} "
        f"{_interval(row['accuracy_low'], row['accuracy_high'])}, balanced accuracy {row['balanced_accuracy_diff']:+.3f} "
        f"{_interval(row['balanced_accuracy_low'], row['balanced_accuracy_high'])} ({level_text(row['interval_level'])}"
        f" intervals, the family's Bonferroni level); McNemar p {row['mcnemar_p']:.2g}, {row['mcnemar_p_holm']:.2g} "
        f"after Holm's correction: {verdict}."
    )


def _family_of_tests(diffs) -> str:
    if not len(diffs):
        return "**Differences**: one experiment only, so nothing was compared."
    pairs = [f"`{r.experiment}` against `{r.against}`" for r in diffs.itertuples()]
    kept = [pair for pair, significant in zip(pairs, diffs["significant"]) if significant]
    lost = [pair for pair, significant in zip(pairs, diffs["significant"]) if not significant]
    return (f"**Which differences survive the correction** for {len(diffs)} test{'s' * (len(diffs) != 1)} (Holm): "
            f"{', '.join(kept) or 'none'}; no evidence of a difference: {', '.join(lost) or 'none'}.")


def _tuning(board, sweeps: dict) -> str:
    """Which experiments a sweep tuned, over how many points: one tuned on validation had more chances to fit the
    validation part than one trained with fixed settings, and a reader weighing the comparison should know."""
    if not sweeps:
        return "**Tuning**: none; every experiment trained with the settings its config gives."
    tuned = []
    for name, table in sweeps.items():
        swept = [key for key in table if key not in ("point", "chosen", "selection_criterion")
                 and not key.startswith("valid_")]
        chosen = ", ".join(f"{key} {table[key].iloc[0]:g}" if isinstance(table[key].iloc[0], float)
                           else f"{key} {table[key].iloc[0]}" for key in swept)
        tuned.append(f"`{name}` over {len(table)} points of {' × '.join(swept)} (chosen: {chosen})")
    fixed = ", ".join(f"`{name}`" for name in board.index if name not in sweeps) or "no other experiment"
    return (f"**Tuning**: {'; '.join(tuned)}, each point trained with the first seed and chosen by its validation "
            f"score; {fixed} trained with fixed settings, so the swept experiments had more chances to fit the "
            "validation part.")


def _dense_against_cnn(board, facts) -> str:
    best = {kind: facts.index[facts["family"] == kind] for kind in ("dense network", "CNN")}
    if not len(best["dense network"]) or not len(best["CNN"]):
        return "**Dense networks against CNNs**: only one of the two families was run."
    dense, cnn = best["dense network"][0], best["CNN"][0]  # the board's order: the validation criterion's
    return (
        f"**Dense networks against CNNs**: the best dense network on validation, `{dense}`, reaches test balanced "
        f"accuracy {_f(board.loc[dense, 'balanced_accuracy_mean'])} ± {_f(board.loc[dense, 'balanced_accuracy_std'])}"
        f" (mean ± std over seeds); the best CNN, `{cnn}`, {_f(board.loc[cnn, 'balanced_accuracy_mean'])} ± "
        f"{_f(board.loc[cnn, 'balanced_accuracy_std'])}."
    )


def _images_needed(board, facts, curve, reference) -> str:
    if curve is None:
        return "**Labelled images needed**: no learning curve was run (config `learning_curve.fractions`)."
    if reference not in board.index:
        return f"**Labelled images needed**: `{reference}` was not run, so there is no target to reach."
    parts, smallest = [], curve.groupby("experiment")["train_images"].min()
    for name, needed in facts["images_to_reach_reference"].items():
        if name not in smallest.index:
            continue
        if pd.isna(needed):
            parts.append(f"`{name}` never, within the curve")
        elif needed <= smallest[name]:
            parts.append(f"`{name}` {needed:,} or fewer (already at the curve's smallest size)")
        else:
            parts.append(f"`{name}` about {needed:,}")
    return (f"**Labelled images needed** to reach the notebook network's full-data test accuracy "
            f"({_f(board.loc[reference, 'accuracy_mean'])} with {board.loc[reference, 'train_images']:,} training "
            f"images), from the learning curves (interpolated in log images): {'; '.join(parts)}.")


def _calibration_and_cost(board, facts) -> str:
    name, row = board.index[0], board.iloc[0]
    front = ", ".join(f"`{n}`" for n in facts.index[facts["pareto"]])
    return (
        f"**Calibration**: `{name}`'s expected calibration error on the test part is {_f(row['ece_raw_mean'])} as "
        f"predicted and {_f(row['ece_calibrated_mean'])} after temperature scaling (mean over seeds). "
        f"**Cost**: it trains in {row['train_seconds_mean']:,.0f} s per seed with {row['parameters']:,} parameters; "
        f"on test accuracy against training time the Pareto front is {front} (the figure)."
    )


def _robustness(board, curves, reference) -> str:
    if curves is None:
        return "**Robustness**: not measured (config `robustness.images` is 0)."
    name, worst = board.index[0], worst_corruption(curves)[0]
    chosen = curves[(curves["experiment"] == name) & (curves["corruption"] == worst)].set_index("severity")
    text = (f"**Robustness** on {curves['corruption'].nunique()} corruptions at 5 severities of the same test "
            f"galaxies (robustness.csv, the figure): `{worst}` hurts most, on average over the experiments; under "
            f"it the chosen `{name}` goes from {_f(chosen.loc[0, 'accuracy_mean'])} clean to "
            f"{_f(chosen.loc[chosen.index.max(), 'accuracy_mean'])} at its strongest.")
    if reference not in board.index:
        return text + f" `{reference}` was not run, so there is no mean corruption error relative to it."
    if board["relative_mce_mean"].isna().all():
        return text + f" `{reference}` hardly degrades under any corruption, so no error is relative to its drop."
    least = board["relative_mce_mean"].idxmin()
    return text + (f" Degrading least from its own clean accuracy is `{least}`, relative mCE "
                   f"{_f(board.loc[least, 'relative_mce_mean'])} (`{reference}`: 1); the chosen method's is "
                   f"{_f(board.loc[name, 'relative_mce_mean'])}, its mCE {_f(board.loc[name, 'mce_mean'])}.")


def _collapsed(board) -> str:
    collapsed = board[board["collapsed_seeds"] > 0]
    if not len(collapsed):
        return "**Collapsed runs**: none."
    names = ", ".join(f"`{n}` ({int(r.collapsed_seeds)} of {int(r.seeds)} seeds)" for n, r in collapsed.iterrows())
    return f"**Collapsed runs** (predictions on one or two classes, or balanced accuracy below 1.5 × chance): {names}."


def answer_text(board, diffs, curve, facts, reference: str, dataset: str, spread: str, robustness=None,
                sweeps=None) -> str:
    """The answer in Markdown: the data, the choice and its test scores, the reference, the corrected
    differences, the tuning (`sweeps`: each swept experiment's sweep.csv table), dense against CNN, images needed, calibration, cost, robustness (`robustness`: the curves of
    study.robustness, None if not measured), collapsed runs."""
    row = board.iloc[0]
    seeds = f"{int(row['seeds'])} seed{'s' if row['seeds'] != 1 else ''}"
    data = (f"**Data**: `{dataset}`, {row['train_images']:,} training, {row['valid_images']:,} validation and "
            f"{row['test_images']:,} test images; {seeds} per experiment. The spread is {spread}.")
    paragraphs = [data, _chosen(board), _against_reference(board, diffs, reference), _family_of_tests(diffs),
                  _tuning(board, sweeps or {}), _dense_against_cnn(board, facts), _images_needed(board, facts, curve, reference),
                  _calibration_and_cost(board, facts), _robustness(board, robustness, reference), _collapsed(board)]
    return "# The answer\n\n" + "\n\n".join(paragraphs) + "\n\n![accuracy against training time](answer.png)\n"


def as_rst(markdown: str, figure: Path) -> str:
    """The Markdown answer as reStructuredText for the report's first page, the figure embedded in it."""
    text = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", markdown)
    text = text.replace("# The answer\n", "The answer\n==========\n")
    # raw HTML, the data split into short lines: docutils refuses long lines, and browsers drop line breaks in URLs
    encoded = textwrap.fill(base64.b64encode(Path(figure).read_bytes()).decode(), 76)
    image = ('.. raw:: html\n\n   <img alt="accuracy against training time" style="max-width: 100%" '
             'src="data:image/png;base64,\n' + textwrap.indent(encoded, "   ") + '">')
    return text.replace("![accuracy against training time](answer.png)", image)


def write_answer(board_csv, differences_csv, curve_csv, reference, dataset, spread, facts_out, md_out, rst_out,
                 figure_out, robustness_csv=None, sweep_csvs=()) -> str:
    """Write answer.csv, answer.md, the figure (study.figures.cost_plot) and the report page; `sweep_csvs` are the
    swept experiments' `<experiment>/sweep.csv`."""
    board = pd.read_csv(board_csv, index_col="experiment")
    if board["train_images"].isna().any():
        raise InputError(f"{board_csv}: runs made by an older version, without `train_images`; re-train them "
                         "(snakemake --forcerun train)")
    diffs = read_differences(differences_csv)
    curve = pd.read_csv(curve_csv) if curve_csv else None
    facts = answer_facts(board, curve, reference)
    robustness = pd.read_csv(robustness_csv) if robustness_csv else None
    sweeps = {Path(path).parent.name: pd.read_csv(path) for path in sweep_csvs}
    text = answer_text(board, diffs, curve, facts, reference, dataset, spread, robustness, sweeps)
    cost_plot(board, facts, figure_out)
    with atomic_output(facts_out) as tmp:
        facts.to_csv(tmp)
    for out, content in ((md_out, text), (rst_out, as_rst(text, figure_out))):
        with atomic_output(out) as tmp:
            Path(tmp).write_text(content)
    return text
