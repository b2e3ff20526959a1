"""The thresholds that flag odd cutouts leave normal ones alone: measured on rendered Galaxy10-like test images."""

import numpy as np
import pytest

from galaxy10.data import quality
from galaxy10.data.synthetic import make_labels, render


def test_no_normal_synthetic_cutout_is_flagged():
    images = render(make_labels(600, 11), np.random.default_rng(11))
    assert [quality.inspect(image, 69) for image in images] == [[]] * 600
    black = (images.max(axis=3) == 0).mean(axis=(1, 2))
    saturated = (images.max(axis=3) == 255).mean(axis=(1, 2))
    assert black.max() < 0.6 * quality.BLANK_SHARE and saturated.max() < 0.1 * quality.SATURATED_SHARE  # margins
    assert images.reshape(600, -1).std(axis=1).min() > 3 * quality.FLAT_STD


def test_the_thresholds_are_where_the_docstring_says():
    image = np.random.default_rng(0).integers(0, 255, (69, 69, 3), dtype=np.uint8)
    assert quality.inspect(image, 69) == []
    assert quality.inspect(image[:34, :34], 69) == ["upscaled: 34×34 pixels enlarged to 69"]
    assert quality.inspect(image[:35, :35], 69) == []  # half the model's side is enough
    assert quality.inspect(image[:8, :8], 69)[0].startswith("upscaled")
    with pytest.raises(quality.UnusableImage, match="7×8 pixels: smaller than 8"):
        quality.inspect(image[:7, :8], 69)
    assert quality.inspect(image, 69, not_finite_share=0.26) == ["blank: 26% of the pixels black or not finite"]
    assert quality.inspect(image, 69, not_finite_share=0.25) == []
