"""The contact sheet: the classified images as thumbnails, titled with their class and probability."""

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from galaxy10.io import atomic_output  # noqa: E402

SHEET_COLUMNS = 10
THUMBNAIL_PIXELS = 140  # thumbnails are enlarged by a whole factor to about this height
DPI = 100
CELL = (1.5, 1.15, 0.36)  # a contact sheet's cell, in thumbnails: height, width, and the title's height above it


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
