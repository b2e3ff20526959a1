"""What is odd about a cutout before a model sees it: a cutout that is no picture of a galaxy at all is refused,
one that is classified all the same is flagged, so that a catalogue never gets a confident class for a blank
tile without a word.

Refused (a per-item error): an image whose smaller side is under MIN_SIDE pixels, or whose pixels all have one
value (an empty tile, an all-zero FITS image). Flagged (classified, with a note in the table's `flags` column):

- `blank`: over BLANK_SHARE of the pixels are black (0 in every channel) or were not finite in the FITS data
  (NaN or infinite: a survey's edge, a masked region);
- `upscaled`: the smaller side is under UPSCALED_BELOW of the model's, so the model sees interpolated pixels;
- `saturated`: over SATURATED_SHARE of the pixels are 255 in some channel (a bright star, a wrong stretch);
- `flat`: the pixel values' standard deviation is under FLAT_STD of 255 (a nearly empty tile).

Measured on 600 synthetic Galaxy10-like images (tests/test_quality.py renders them): black pixels at most 13 %,
saturated at most 0.3 %, standard deviation at least 12: no normal cutout is flagged with these thresholds.
"""

import numpy as np

MIN_SIDE = 8  # pixels: a smaller image holds no galaxy a model can classify
BLANK_SHARE = 0.25
UPSCALED_BELOW = 0.5
SATURATED_SHARE = 0.05
FLAT_STD = 3.0


class UnusableImage(ValueError):
    """An image that is no picture of a galaxy at all."""


def inspect(image: np.ndarray, side: int, not_finite_share: float = 0.0) -> list[str]:
    """The flags of a uint8 (H, W, 3) image about to be fitted to a model's `side`; raise UnusableImage for one
    that must be refused. `not_finite_share`: the share of the source's pixels that were NaN or infinite."""
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise UnusableImage(f"{height}×{width} pixels: smaller than {MIN_SIDE} pixels a side, no galaxy to classify")
    if image.min() == image.max():
        raise UnusableImage(f"every pixel has the value {image.min()}: an empty image")
    flags = []
    blank = max(float(np.mean(image.max(axis=2) == 0)), not_finite_share)
    if blank > BLANK_SHARE:
        flags.append(f"blank: {blank:.0%} of the pixels black or not finite")
    if min(height, width) < UPSCALED_BELOW * side:
        flags.append(f"upscaled: {height}×{width} pixels enlarged to {side}")
    saturated = float(np.mean(image.max(axis=2) == 255))
    if saturated > SATURATED_SHARE:
        flags.append(f"saturated: {saturated:.0%} of the pixels at 255")
    if image.std() < FLAT_STD:
        flags.append(f"flat: pixel values vary by {image.std():.1f} of 255 (standard deviation)")
    return flags
