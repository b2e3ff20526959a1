"""Survey-realistic corruptions of Galaxy10-like images, each at five severities (ImageNet-C's design, Hendrycks &
Dietterich 2019): what a model meets when the images come from another survey, exposure, night or pipeline.

Physical changes (noise, seeing, dimming, artefacts) are made in flux, the display stretch undone and applied again
(data.stretch); the sky noise each image already has is measured on its border, and changes that smooth or scale
the noise add back what the real observation would have. docs/robustness.md gives each corruption's meaning.

`TRAINING` draws the parameters of the corruptions a model may be trained against from ranges, never the
benchmark's severities, and some corruptions are never trained against: the benchmark stays held out.
"""

import dataclasses
import io
from typing import Callable

import numpy as np
from PIL import Image
from scipy import ndimage

from galaxy10.data.stretch import MAXIMUM, SOFTENING, display, flux, sky_sigma

GAIN = 4.0  # counts per photo-electron of the stand-in's renderer: the source's own Poisson noise
SEVERITIES = (1, 2, 3, 4, 5)


def jpeg(images, quality, rng):
    """JPEG compression at `quality`, as cutout services serve images (SDSS's at about 75-90)."""
    out = np.empty_like(images)
    for k, image in enumerate(images):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=int(round(quality)))
        out[k] = np.asarray(Image.open(buffer).convert("RGB"))
    return out


def _sky_flux(images, rng):
    """The flux of `images` and each one's sky noise (n,), the sky's negative half, which the display clipped to 0,
    drawn again (half-normal at that noise) so that the sky averages 0 before it is smoothed or scaled."""
    fluxes = flux(images)
    sigma = sky_sigma(fluxes)
    negative = -np.abs(rng.standard_normal(fluxes.shape).astype(np.float32)) * sigma[:, None, None, None]
    return np.where(images == 0, negative, fluxes), sigma


def _with_noise(fluxes, sigma_sky, extra_variance_share, rng, source=None):
    """Gaussian noise of variance share × (σ_sky² + source/GAIN) added to fluxes (n, H, W, 3)."""
    variance = sigma_sky[:, None, None, None] ** 2 + (0 if source is None else np.maximum(source, 0) / GAIN)
    noise = rng.standard_normal(fluxes.shape).astype(np.float32) * np.sqrt(extra_variance_share * variance)
    return fluxes + noise


def exposure(images, time_share, rng):
    """A shorter exposure, `time_share` of the original: more sky and photon noise relative to the galaxy."""
    fluxes, sigma = _sky_flux(images, rng)
    return display(_with_noise(fluxes, sigma, 1 / time_share - 1, rng, source=fluxes))


def seeing(images, sigma, rng):
    """Worse seeing, a further Gaussian PSF of `sigma` pixels; the noise it smooths away is added back."""
    fluxes, sky = _sky_flux(images, rng)
    blurred = ndimage.gaussian_filter(fluxes, (0, sigma, sigma, 0), mode="reflect")
    smoothed_share = min(1.0, 1 / (4 * np.pi * sigma**2))  # the variance white noise keeps under the blur
    return display(_with_noise(blurred, sky, 1 - smoothed_share, rng))


def resolution(images, factor, rng):
    """Coarser pixels, binned by `factor` (area average) and restored to the original size (bilinear)."""
    side = images.shape[1]
    small = max(2, int(round(side / factor)))
    out = np.empty_like(images)
    for k, image in enumerate(images):
        binned = Image.fromarray(image).resize((small, small), Image.BOX)
        out[k] = np.asarray(binned.resize((side, side), Image.BILINEAR))
    return out


def dimming(images, share, rng):
    """Surface-brightness dimming, (1+z)^-4 for a galaxy further away, the flux times `share`; the sky noise kept."""
    fluxes, sigma = _sky_flux(images, rng)
    return display(_with_noise(fluxes * share, sigma, 1 - share**2, rng))


def stretch(images, softening, rng):
    """Another display stretch, asinh with `softening` counts (the data set's is 6; large is near linear) or a
    square root."""
    fluxes = np.maximum(flux(images), 0)
    if softening == "sqrt":
        return np.clip(np.rint(np.sqrt(fluxes / MAXIMUM) * 255), 0, 255).astype(np.uint8)
    return display(fluxes, softening)


def artefacts(images, count, rng):
    """Detector and sky artefacts, `count` cosmic rays (a pixel or two in one band), from 2 on `count` // 2 dead
    columns, from 3 on a satellite trail in one band (satellites cross between the bands' exposures)."""
    fluxes = flux(images)
    n, side = len(images), images.shape[1]
    for k in range(n):
        for _ in range(int(count)):
            y, x, band = rng.integers(0, side), rng.integers(0, side - 1), rng.integers(0, 3)
            fluxes[k, y, x : x + rng.integers(1, 3), band] += rng.uniform(300, 3000)
        for _ in range(int(count) // 2):
            fluxes[k, :, rng.integers(0, side)] = 0.0
        if count >= 3:
            angle, offset = rng.uniform(0, np.pi), rng.uniform(-side / 4, side / 4)
            yy, xx = np.mgrid[:side, :side] - (side - 1) / 2
            distance = np.abs(xx * np.sin(angle) - yy * np.cos(angle) - offset)
            fluxes[k, ..., rng.integers(0, 3)] += 40 * count * np.exp(-0.5 * (distance / 0.7) ** 2)
    return display(fluxes)


def _per_image(images, transform):
    return np.stack([np.clip(np.rint(transform(image.astype(np.float32))), 0, 255).astype(np.uint8)
                     for image in images])


def rotation(images, degrees, rng):
    """A rotation by `degrees` either way, which the eight exact rotations and reflections do not include,
    interpolated (bilinear), the corners filled by reflection."""
    signs = rng.choice([-1, 1], len(images))
    turns = iter(signs * degrees)
    return _per_image(images, lambda image: ndimage.rotate(image, next(turns), axes=(0, 1), reshape=False, order=1,
                                                           mode="reflect"))


def shift(images, pixels, rng):
    """The galaxy off-centre by `pixels` in a random direction, interpolated (bilinear)."""
    angles = iter(rng.uniform(0, 2 * np.pi, len(images)))

    def moved(image):
        angle = next(angles)
        return ndimage.shift(image, (pixels * np.sin(angle), pixels * np.cos(angle), 0), order=1, mode="reflect")

    return _per_image(images, moved)


def zoom(images, magnification, rng):
    """The galaxy nearer, or the pixels finer, by `magnification`, the centre enlarged to the whole image."""
    side = images.shape[1]
    centre = (side - 1) / 2
    matrix = np.diag([1 / magnification, 1 / magnification, 1.0])
    offset = np.array([centre, centre, 0.0]) - matrix @ np.array([centre, centre, 0.0])
    return _per_image(images, lambda image: ndimage.affine_transform(image, matrix, offset, order=1, mode="reflect"))


@dataclasses.dataclass(frozen=True)
class Corruption:
    apply: Callable  # (uint8 images (n, H, W, 3), parameter, rng) → uint8 images of the same shape
    severities: tuple  # the parameter at severities 1-5, mildest first
    train: Callable | None = None  # rng → a training parameter, away from the severities; None: never trained on


CORRUPTIONS = {
    "jpeg": Corruption(jpeg, (90, 75, 60, 45, 30), lambda rng: rng.choice([95, 82, 68, 52, 38])),
    "exposure": Corruption(exposure, (1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32), lambda rng: 2 ** -rng.uniform(0.5, 4.5)),
    "seeing": Corruption(seeing, (0.6, 0.9, 1.2, 1.6, 2.0), lambda rng: rng.uniform(0.5, 1.8)),
    "resolution": Corruption(resolution, (1.5, 2.0, 2.5, 3.0, 4.0)),
    "dimming": Corruption(dimming, (0.6, 0.4, 0.25, 0.15, 0.1)),
    "stretch": Corruption(stretch, (3 * SOFTENING, "sqrt", SOFTENING / 3, 100 * SOFTENING, SOFTENING / 10),
                          lambda rng: SOFTENING * 2 ** rng.uniform(-2.5, 4)),
    "artefacts": Corruption(artefacts, (1, 2, 3, 4, 6), lambda rng: rng.choice([5, 7, 8])),
    "rotation": Corruption(rotation, (7.5, 15, 22.5, 30, 45), lambda rng: rng.uniform(0, 45)),
    "shift": Corruption(shift, (0.25, 0.5, 1.5, 2.5, 4.0)),
    "zoom": Corruption(zoom, (1.15, 1.3, 1.5, 1.75, 2.0), lambda rng: rng.uniform(1.05, 1.6)),
}
TRAINING = tuple(name for name, corruption in CORRUPTIONS.items() if corruption.train)


def corrupt(images: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """`images` under corruption `name` at `severity` (1-5), the random parts seeded by (seed, name, severity)."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose from {sorted(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    rng = np.random.default_rng([seed, list(CORRUPTIONS).index(name), severity])
    return CORRUPTIONS[name].apply(np.asarray(images, np.uint8), CORRUPTIONS[name].severities[severity - 1], rng)


def augment(images: np.ndarray, names, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Training augmentation: each image, with probability `rate`, under one of the corruptions `names` (those in
    TRAINING) with a parameter drawn from its training range. Returns a new array."""
    out = np.array(images, np.uint8, copy=True)
    chosen = np.flatnonzero(rng.random(len(out)) < rate)
    picks = rng.integers(0, len(names), len(chosen))
    for k, pick in zip(chosen, picks):
        corruption = CORRUPTIONS[names[pick]]
        out[k : k + 1] = corruption.apply(out[k : k + 1], corruption.train(rng), rng)
    return out


def severity_table() -> str:
    """The corruptions, what each is (its docstring's first sentence) and its parameter at each severity, as a
    Markdown table: `python -m galaxy10.data.corruptions`."""
    lines = ["| corruption | what it is | parameter at severities 1-5 | can be trained against |",
             "| --- | --- | --- | --- |"]
    for name, corruption in CORRUPTIONS.items():
        meaning = " ".join(corruption.apply.__doc__.split()).rstrip(".")
        values = ", ".join(f"{value:.3g}" if isinstance(value, float) else str(value) for value in
                           corruption.severities)
        lines.append(f"| `{name}` | {meaning} | {values} | {'yes' if corruption.train else 'no'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(severity_table())
