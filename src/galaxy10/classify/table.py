"""Classes of new galaxy cutouts from trained models: a table with a row per input and a contact sheet.

`classes.csv` has the columns `file` (the path; for band files `<stem>_{g,r,i}.fits`), `row` (the HDF5 row, else
empty), `predicted` (class index), `predicted_name`, one probability per class named `p_<index>_<class name in
lower case, words joined by _>` (`p_0_disk_face_on_no_spiral`: unique, and safe in any CSV or data-frame tool),
`flags`, what is odd about an image that was classified all the same (galaxy10.data.quality: blank, upscaled,
saturated, flat; `; `-separated, empty for a normal cutout), and `error`, empty when the item was classified; an
item that could not be read, or is no picture of a galaxy, has only `file`, `row` and `error`. Rows are in input order. Items are read and predicted a batch at a time and rows are written as they
come, so memory stays flat however many images there are.
"""

import contextlib
import csv
import heapq
import re
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from galaxy10.classify.ensemble import embedding_model, load_models, model_probabilities
from galaxy10.classify.options import class_names, fits_display
from galaxy10.classify.sheet import contact_sheet
from galaxy10.data.cutouts import expand, read_batches
from galaxy10.data.fits import LUPTON
from galaxy10.evaluation.calibration import model_temperature
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.io import atomic_output
from galaxy10.training.record import read_record

SHOWN_ERRORS = 3  # how many of the items' errors the message says when no image could be read


class NoImagesError(ValueError):
    """Not one input could be read as an image."""


def probability_columns(class_names) -> list[str]:
    return [f"p_{k}_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") for k, name in enumerate(class_names)]


def classify(models, inputs, out_dir, class_names, tta=False, batch_size=256, progress=False, sheet_limit=300,
             shown=LUPTON, saliency=False, embeddings=False) -> dict:
    """Classify every item of `inputs` (files, folders, lists of them; see galaxy10.data.cutouts; FITS under the
    display `shown`) with the mean of `models` [(path to .keras, temperature or None)] and write
    `out_dir`/classes.csv and contact_sheet.png (the `sheet_limit` most confident images; none when 0; with
    `saliency`, each beside what the first model looked at for its class); with `embeddings`, also
    embeddings.npy: a row per row of the table, the first model's vector before its classifier (the mean over the
    eight views with `tta`; NaN for an item not read). If no image could be read, raise NoImagesError and leave no
    output behind. Returns the number of items and of errors and the paths written."""
    nets = load_models(models)
    classes = nets[0][0].output_shape[-1]
    if len(class_names) != classes:
        raise ValueError(f"{len(class_names)} class names for models with {classes} classes")
    features = embedding_model(nets[0][0]) if embeddings else None
    items = expand(inputs)
    if not items:
        raise NoImagesError("no image could be read: the inputs hold no files")
    out_dir = Path(out_dir)
    created = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]  # deepest first
    try:
        best, errors = _write_table(
            nets, items, out_dir / "classes.csv", class_names, tta, batch_size, progress, sheet_limit, shown, features
        )
    except BaseException:
        for folder in created:  # atomic_output made them; they are empty unless someone else wrote there
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    if sheet_limit > 0:
        contact_sheet(_with_saliency(nets[0][0], best, class_names) if saliency else best, out_dir / "contact_sheet.png")
    return {
        "items": len(items),
        "errors": len(errors),
        "table": out_dir / "classes.csv",
        "sheet": out_dir / "contact_sheet.png" if sheet_limit > 0 else None,
        "embeddings": out_dir / "embeddings.npy" if embeddings else None,
    }


def _write_table(nets, items, out, class_names, tta, batch_size, progress, sheet_limit, shown, features=None):
    """Write the table (and, with a `features` model, embeddings.npy beside it) a batch at a time; return the
    `sheet_limit` most confident images as (confidence, position, image, item, class name), most confident first,
    and the items' errors."""
    height, width = nets[0][0].input_shape[1:3]
    best, errors, position = [], [], 0
    header = ["file", "row", "predicted", "predicted_name", *probability_columns(class_names), "flags", "error"]
    vectors_out = atomic_output(out.with_name("embeddings.npy")) if features is not None else contextlib.nullcontext()
    with (
        atomic_output(out) as tmp,
        open(tmp, "w", newline="") as table,
        tqdm(total=len(items), unit="image", disable=not progress) as bar,
        vectors_out as vectors_tmp,
    ):
        if features is not None:  # written in place as the batches come, so memory stays flat
            vectors = np.lib.format.open_memmap(vectors_tmp, "w+", np.float32, (len(items), features.output_shape[-1]))
            vectors[:] = np.nan
        writer = csv.writer(table)
        writer.writerow(header)
        for batch, images, batch_errors, batch_flags in read_batches(items, height, width, batch_size, shown):
            if features is not None and len(images):
                read = [position + k for k, error in enumerate(batch_errors) if not error]
                vectors[read] = predict_probabilities(features, images, batch_size, tta)
            classified = zip(images, model_probabilities(nets, images, batch_size, tta))
            for item, error, flags in zip(batch, batch_errors, batch_flags):
                row = "" if item.row is None else item.row
                if error:
                    errors.append(f"{item.file}{'' if item.row is None else f' row {item.row}'}: {error}")
                    writer.writerow([item.file, row, "", "", *[""] * len(class_names), "", error])
                else:
                    image, p = next(classified)
                    k = int(p.argmax())
                    writer.writerow([item.file, row, k, class_names[k], *map(str, p), "; ".join(flags), ""])
                    entry = (float(p[k]), -position, image.copy(), item, class_names[k])
                    (heapq.heappush if len(best) < sheet_limit else heapq.heappushpop)(best, entry)
                position += 1
            bar.update(len(batch))
        if len(errors) == len(items):
            first = "; ".join(errors[:SHOWN_ERRORS])
            raise NoImagesError(f"no image could be read from {len(items)} items; first errors: {first}")
        if features is not None:
            vectors.flush()
            del vectors
    return sorted(best, reverse=True), errors


def _with_saliency(net, entries, class_names):
    """Sheet entries whose thumbnail is the image and, on its right, its saliency map for the class shown."""
    from galaxy10.evaluation.saliency import saliency_pictures

    images = np.stack([entry[2] for entry in entries])
    classes = np.array([class_names.index(entry[4]) for entry in entries])
    pictures = saliency_pictures(net, images, classes)
    return [(*entry[:2], np.concatenate([entry[2].astype(np.uint8), picture], axis=1), *entry[3:])
            for entry, picture in zip(entries, pictures)]


def classify_with_runs(model_paths, inputs, table_out, sheet_out, leaderboard=None, tta=False, shown=None) -> dict:
    """The workflow's classify stage: the given runs' models as one ensemble, each with the temperature its run
    fitted (calibration.json beside it) and the class names its run recorded, FITS under the display `shown`
    (`kind:first:second`; None: their data set's); with a `leaderboard`, only the runs of its best experiment.
    Writes `table_out` and `sheet_out`, which must share a folder."""
    if Path(table_out).parent != Path(sheet_out).parent:
        raise ValueError(f"{table_out} and {sheet_out} must be in one folder")
    if leaderboard is not None:
        best = pd.read_csv(leaderboard, index_col="experiment").index[0]
        model_paths = [path for path in model_paths if read_record(Path(path).with_name("run.json"))["experiment"] == best]
        print(f"best experiment: {best}, {len(model_paths)} seeds")
    members = [(path, model_temperature(path)) for path in model_paths]
    return classify(members, [inputs], Path(table_out).parent, class_names(None, model_paths), tta=tta,
                    shown=fits_display(shown, model_paths))
