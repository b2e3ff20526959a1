"""Classes of new galaxy cutouts from trained models: a table with a row per input and a contact sheet.

`classes.csv` has the columns `file` (the path; for band files `<stem>_{g,r,i}.fits`), `row` (the HDF5 row, else
empty), `predicted` (class index), `predicted_name`, one probability per class named `p_<index>_<class name in
lower case, words joined by _>` (`p_0_disk_face_on_no_spiral`: unique, and safe in any CSV or data-frame tool),
and `error`, empty when the item was classified; an item that could not be read has only `file`, `row` and
`error`. Rows are in input order. Items are read and predicted a batch at a time and rows are written as they
come, so memory stays flat however many images there are.
"""

import csv
import heapq
import re
import textwrap
from pathlib import Path

import keras
import matplotlib
import numpy as np
import pandas as pd
from tqdm import tqdm

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .calibration import apply_temperature, ensemble_probabilities  # noqa: E402
from .cli import class_names  # noqa: E402
from .cutouts import expand, read_batches  # noqa: E402
from .inference import predict_probabilities  # noqa: E402
from .io import atomic_output  # noqa: E402
from .models import ARCHITECTURES  # noqa: E402, F401  (registers the custom layers that saved models use)
from .settings import model_temperature, read_record  # noqa: E402

SHOWN_ERRORS = 3  # how many of the items' errors the message says when no image could be read
SHEET_COLUMNS = 10
THUMBNAIL_PIXELS = 140  # thumbnails are enlarged by a whole factor to about this height
DPI = 100
CELL = (1.5, 1.15, 0.36)  # a contact sheet's cell, in thumbnails: height, width, and the title's height above it


class NoImagesError(ValueError):
    """Not one input could be read as an image."""


def load_models(models) -> list:
    """[(net, temperature)] for [(path to .keras, temperature or None)]; all must take the same images."""
    if not models:
        raise ValueError("no model given")
    nets = []
    for path, temperature in models:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such model file")
        if temperature is not None and not temperature > 0:
            raise ValueError(f"{path}: temperature must be positive, got {temperature}")
        try:
            nets.append((keras.saving.load_model(path, compile=False), temperature))
        except Exception as err:  # a damaged archive fails in zipfile, h5py or Keras: say which model it was
            raise ValueError(f"{path}: cannot load the model ({err})") from err
    shapes = {(tuple(net.input_shape[1:]), net.output_shape[-1]) for net, _ in nets}
    if len(shapes) > 1:
        raise ValueError(f"the models differ in input shape or number of classes: {sorted(shapes)}")
    return nets


def model_probabilities(nets, images, batch_size: int, tta: bool = False) -> np.ndarray:
    """The mean over the models of each one's probabilities, tempered by its temperature where it has one: a
    seed ensemble's prediction."""
    members = []
    for net, temperature in nets:
        probabilities = predict_probabilities(net, images, batch_size, tta)
        members.append(probabilities if temperature is None else apply_temperature(probabilities, temperature))
    return ensemble_probabilities(members).astype(np.float32)


def probability_columns(class_names) -> list[str]:
    return [f"p_{k}_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") for k, name in enumerate(class_names)]


def classify(models, inputs, out_dir, class_names, tta=False, batch_size=256, progress=False, sheet_limit=300) -> dict:
    """Classify every item of `inputs` (files, folders, lists of them; see galaxy10.cutouts) with the mean of
    `models` [(path to .keras, temperature or None)] and write `out_dir`/classes.csv and contact_sheet.png (the
    `sheet_limit` most confident images; none when 0). If no image could be read, raise NoImagesError and leave
    no output behind. Returns the number of items and of errors and the paths written."""
    nets = load_models(models)
    classes = nets[0][0].output_shape[-1]
    if len(class_names) != classes:
        raise ValueError(f"{len(class_names)} class names for models with {classes} classes")
    items = expand(inputs)
    if not items:
        raise NoImagesError("no image could be read: the inputs hold no files")
    out_dir = Path(out_dir)
    created = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]  # deepest first
    try:
        best, errors = _write_table(
            nets, items, out_dir / "classes.csv", class_names, tta, batch_size, progress, sheet_limit
        )
    except BaseException:
        for folder in created:  # atomic_output made them; they are empty unless someone else wrote there
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    if sheet_limit > 0:
        contact_sheet(best, out_dir / "contact_sheet.png")
    return {
        "items": len(items),
        "errors": len(errors),
        "table": out_dir / "classes.csv",
        "sheet": out_dir / "contact_sheet.png" if sheet_limit > 0 else None,
    }


def _write_table(nets, items, out, class_names, tta, batch_size, progress, sheet_limit):
    """Write the table a batch at a time; return the `sheet_limit` most confident images as (confidence, position,
    image, item, class name), most confident first, and the items' errors."""
    height, width = nets[0][0].input_shape[1:3]
    best, errors, position = [], [], 0
    header = ["file", "row", "predicted", "predicted_name", *probability_columns(class_names), "error"]
    with (
        atomic_output(out) as tmp,
        open(tmp, "w", newline="") as table,
        tqdm(total=len(items), unit="image", disable=not progress) as bar,
    ):
        writer = csv.writer(table)
        writer.writerow(header)
        for batch, images, batch_errors in read_batches(items, height, width, batch_size):
            classified = zip(images, model_probabilities(nets, images, batch_size, tta))
            for item, error in zip(batch, batch_errors):
                row = "" if item.row is None else item.row
                if error:
                    errors.append(f"{item.file}{'' if item.row is None else f' row {item.row}'}: {error}")
                    writer.writerow([item.file, row, "", "", *[""] * len(class_names), error])
                else:
                    image, p = next(classified)
                    k = int(p.argmax())
                    writer.writerow([item.file, row, k, class_names[k], *map(str, p), ""])
                    entry = (float(p[k]), -position, image.copy(), item, class_names[k])
                    (heapq.heappush if len(best) < sheet_limit else heapq.heappushpop)(best, entry)
                position += 1
            bar.update(len(batch))
        if len(errors) == len(items):
            first = "; ".join(errors[:SHOWN_ERRORS])
            raise NoImagesError(f"no image could be read from {len(items)} items; first errors: {first}")
    return sorted(best, reverse=True), errors


def contact_sheet(entries, out, columns=SHEET_COLUMNS):
    """Thumbnails in the order given, each titled with its predicted class and probability, its file below. Each
    is placed pixel for pixel (figimage): an axes per thumbnail takes seconds to draw, and matplotlib needs GBs to
    draw a whole sheet as one image."""
    scale = max(1, round(THUMBNAIL_PIXELS / entries[0][2].shape[0]))  # whole pixels, so nothing is interpolated
    height, width = scale * entries[0][2].shape[0], scale * entries[0][2].shape[1]
    cell_h, cell_w, top = round(height * CELL[0]), round(width * CELL[1]), round(height * CELL[2])
    rows = -(-len(entries) // columns)
    fig = plt.figure(figsize=(columns * cell_w / DPI, rows * cell_h / DPI), dpi=DPI)
    text = {"ha": "center", "transform": None, "fontsize": 7}  # positions in pixels from the bottom left
    for k, (confidence, _, image, item, name) in enumerate(entries):
        x, y = k % columns * cell_w + (cell_w - width) // 2, (rows - k // columns) * cell_h - top - height
        fig.figimage(image.repeat(scale, axis=0).repeat(scale, axis=1), x, y)
        label = Path(item.file).name + ("" if item.row is None else f" #{item.row}")
        fig.text(x + width / 2, y + height + 3, f"{textwrap.fill(name, 30)}\n{confidence:.0%}", va="bottom", **text)
        fig.text(x + width / 2, y - 2, label if len(label) <= 30 else "…" + label[-29:], va="top", **text)
    with atomic_output(out) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    plt.close(fig)


def classify_with_runs(model_paths, inputs, table_out, sheet_out, leaderboard=None, tta=False) -> dict:
    """The workflow's classify stage: the given runs' models as one ensemble, each with the temperature its run
    fitted (calibration.json beside it) and the class names its run recorded; with a `leaderboard`, only the runs
    of its best experiment. Writes `table_out` and `sheet_out`, which must share a folder."""
    if Path(table_out).parent != Path(sheet_out).parent:
        raise ValueError(f"{table_out} and {sheet_out} must be in one folder")
    if leaderboard is not None:
        best = pd.read_csv(leaderboard, index_col="experiment").index[0]
        model_paths = [path for path in model_paths if read_record(Path(path).with_name("run.json"))["experiment"] == best]
        print(f"best experiment: {best}, {len(model_paths)} seeds")
    members = [(path, model_temperature(path)) for path in model_paths]
    return classify(members, [inputs], Path(table_out).parent, class_names(None, model_paths), tta=tta)
