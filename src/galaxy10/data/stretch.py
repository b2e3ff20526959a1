"""The display stretch of Galaxy10-like colour images: flux (counts per pixel, sky-subtracted) → uint8 pixels, an
asinh stretch like SDSS colour composites, and its inverse, so that physical changes (noise, seeing, dimming)
can be made in flux and shown again as the data set shows them."""

import numpy as np

SOFTENING = 6.0  # asinh softening, counts: fainter than this is shown linearly
MAXIMUM = 3000.0  # counts mapped to 255


def display(flux: np.ndarray, softening: float = SOFTENING, maximum: float = MAXIMUM) -> np.ndarray:
    """uint8 pixels of `flux` under the asinh stretch (a larger `softening` is closer to linear), `maximum` at 255."""
    stretched = np.arcsinh(flux / softening) / np.arcsinh(maximum / softening)
    return np.clip(np.rint(stretched * 255), 0, 255).astype(np.uint8)


def flux(pixels: np.ndarray) -> np.ndarray:
    """The flux (float32) that `display` shows as `pixels`; the sky's negative noise was clipped to 0 there."""
    return (SOFTENING * np.sinh(pixels.astype(np.float32) / 255 * np.arcsinh(MAXIMUM / SOFTENING))).astype(np.float32)


def sky_sigma(fluxes: np.ndarray, border: int = 4) -> np.ndarray:
    """Each image's sky noise (n,) in flux units, from its border pixels: the display clipped the negative half of
    the noise, so the median of the positive half (a half-normal's median is 0.674 σ) measures it."""
    edges = np.concatenate([fluxes[:, :border].reshape(len(fluxes), -1), fluxes[:, -border:].reshape(len(fluxes), -1),
                            fluxes[:, :, :border].reshape(len(fluxes), -1),
                            fluxes[:, :, -border:].reshape(len(fluxes), -1)], axis=1)
    positive = np.where(edges > 0, edges, np.nan)
    with np.errstate(all="ignore"):
        sigma = np.nanmedian(positive, axis=1) / 0.6745
    return np.nan_to_num(sigma, nan=1.0).astype(np.float32)
