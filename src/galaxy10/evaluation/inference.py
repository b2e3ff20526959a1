"""Class probabilities of a saved model for a stack of images, in batches, optionally averaged over the
eight symmetries of the square (test-time augmentation)."""

import numpy as np


def d4_views(images: np.ndarray):
    """The eight rotations by 90° and reflections of a batch of square images (N, H, H, C): exact, no
    interpolation. A galaxy has no preferred orientation, so each view is an equally valid picture of it."""
    for flipped in (images, images[:, :, ::-1]):
        for quarter_turns in range(4):
            yield np.ascontiguousarray(np.rot90(flipped, quarter_turns, axes=(1, 2)))


def predict_probabilities(net, images, batch_size: int, tta: bool = False) -> np.ndarray:
    """Softmax outputs (N, classes) of `net` for `images` (any array-like that slices to uint8 batches, such
    as StoredImages), read `batch_size` at a time so memory stays flat. With `tta` each image's probabilities
    are the mean over its eight D4 views."""
    out = []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start : start + batch_size])
        views = d4_views(batch) if tta else [batch]
        out.append(np.mean([np.asarray(net.predict_on_batch(view)) for view in views], axis=0))
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, net.output_shape[-1]), np.float32)
