"""Synthetic galaxies in exactly Galaxy10.h5's format, rendered from simple physics.

Each galaxy is a Sérsic bulge (optionally boxy) plus an exponential disk, seen at some inclination and
position angle, with logarithmic spiral arms for the spiral classes and a dust lane for some edge-on disks.
Stars, PSF blur and sky noise are added, then the bands are put through an asinh stretch like SDSS colour
composites. Class parameters overlap at their borders (roundness, pitch angle, bulge size) so that, as in
Galaxy Zoo, neighbouring classes are genuinely confusable.

Channels are stored as (i, r, g) in RGB order, the usual SDSS composite, so ellipticals look yellow and star
forming arms blue.
"""

from concurrent.futures import ProcessPoolExecutor

import h5py
import numpy as np
from PIL import Image

from galaxy10.data.facts import DATASETS
from galaxy10.data.corruptions import jpeg
from galaxy10.data.stretch import display
from galaxy10.io import atomic_output

SDSS_SIDE = DATASETS["sdss"].image_size  # the renderer's sizes are in SDSS pixels (0.396″)
N_SHAPES = len(DATASETS["sdss"].class_names)  # the shapes it draws: SDSS's classes
CHUNK = 512  # 69×69 images per random stream: output depends on the seed only, not on how many processes render
# Colour of each component as flux in (i, r, g): old stars red, disks neutral, star-forming arms blue.
BULGE_COLOUR = np.array([1.30, 1.0, 0.50], np.float32)
DISK_COLOUR = np.array([1.05, 1.0, 0.80], np.float32)
ARM_COLOUR = np.array([0.80, 1.0, 1.15], np.float32)


SMOOTH = {"bulge_fraction": (1.0, 1.0), "sersic_n": (2.0, 5.0), "bulge_re": (2.0, 7.0)}
EDGE_ON = {"disk_q": (0.08, 0.28), "disk_h": (4.0, 10.0), "dust": (0.0, 0.6)}
SPIRAL = {"bulge_fraction": (0.05, 0.4), "arm_amplitude": (0.3, 0.9)}
# Uniform ranges per class, overriding the defaults in sample_parameters. Neighbours overlap on purpose:
# roundness (1-2-3), bulge size and shape (4-5-6) and pitch angle (7-8-9) are matters of degree.
CLASS_RANGES = {
    0: {"bulge_fraction": (0.05, 0.45), "arm_amplitude": (0.0, 0.2)},  # at most a faint hint of arms
    1: {**SMOOTH, "bulge_q": (0.78, 1.0)},
    2: {**SMOOTH, "bulge_q": (0.45, 0.85)},
    3: {**SMOOTH, "bulge_q": (0.18, 0.5), "sersic_n": (1.0, 3.5)},
    4: {**EDGE_ON, "bulge_fraction": (0.12, 0.5), "boxiness": (1.8, 2.4)},
    5: {**EDGE_ON, "bulge_fraction": (0.2, 0.5), "bulge_q": (0.45, 0.85), "boxiness": (2.8, 4.0)},
    6: {**EDGE_ON, "bulge_fraction": (0.0, 0.1)},
    7: {**SPIRAL, "pitch_deg": (7, 15)},
    8: {**SPIRAL, "pitch_deg": (13, 22)},
    9: {**SPIRAL, "pitch_deg": (20, 32)},
}
# The renderer draws SDSS's classes. A DECaLS-like set labels each DECaLS class with the nearest of those shapes,
# one shape per class; it has no mergers, disturbed or barred galaxies, so classes 0, 1 and 5 are stand-ins.
SHAPES = {"sdss": np.arange(N_SHAPES), "decals": np.array([0, 5, 1, 2, 3, 8, 7, 9, 6, 4])}


def class_counts(n_images: int, like: str = "sdss") -> np.ndarray:
    """Images per class in the real set's proportions (largest remainder), at least 2 of each when n ≥ 200."""
    if n_images < 1:
        raise ValueError(f"n_images must be at least 1, got {n_images}")
    real = DATASETS[like].counts
    share = np.asarray(real, float) * n_images / sum(real)
    counts = np.floor(share).astype(int)
    remainder_order = np.argsort(-(share - counts), kind="stable")
    counts[remainder_order[: n_images - counts.sum()]] += 1
    if n_images >= 20 * len(real):
        for k in np.flatnonzero(counts < 2):  # so a stratified split and every metric see every class
            need = 2 - counts[k]
            counts[k] += need
            counts[np.argmax(counts)] -= need
    return counts


def _uniform(rng, low, high, n):
    return rng.uniform(low, high, n).astype(np.float32)


def sample_parameters(labels: np.ndarray, rng: np.random.Generator) -> dict:
    """Physical parameters for each galaxy, drawn from its class's (overlapping) ranges."""
    n = len(labels)
    p = {
        "x0": np.clip(rng.normal(0, 1.0, n), -3, 3).astype(np.float32),
        "y0": np.clip(rng.normal(0, 1.0, n), -3, 3).astype(np.float32),
        "angle": _uniform(rng, 0, np.pi, n),
        "flux": np.exp(_uniform(rng, np.log(4e3), np.log(4e4), n)),
        "sky": _uniform(rng, 2.0, 5.0, n),
        "psf": _uniform(rng, 0.7, 1.3, n),
        "colour": (1 + rng.normal(0, 0.12, (n, 3))).astype(np.float32),
        # bulge (Sérsic); boxiness 2 is an ellipse, above 2 a box
        "bulge_fraction": np.zeros(n, np.float32),
        "sersic_n": _uniform(rng, 1.5, 3.0, n),
        "bulge_re": _uniform(rng, 1.2, 2.5, n),
        "bulge_q": _uniform(rng, 0.7, 1.0, n),
        "boxiness": np.full(n, 2.0, np.float32),
        # disk (exponential) and spiral arms
        "disk_h": _uniform(rng, 3.0, 7.5, n),
        "disk_q": _uniform(rng, 0.55, 1.0, n),
        "arm_amplitude": np.zeros(n, np.float32),
        "pitch_deg": _uniform(rng, 10, 30, n),
        "arms": rng.choice([2, 2, 2, 3], n).astype(np.float32),
        "arm_sharpness": _uniform(rng, 1.5, 3.5, n),
        "arm_phase": _uniform(rng, 0, 2 * np.pi, n),
        "dust": np.zeros(n, np.float32),
    }

    for cls, ranges in CLASS_RANGES.items():
        rows = np.flatnonzero(labels == cls)
        for key, (low, high) in ranges.items():
            p[key][rows] = _uniform(rng, low, high, len(rows))
    return p


def _grid(size):
    """Pixel centres in SDSS pixels (the units of every size parameter), so a larger image is a finer one."""
    axis = (np.arange(size, dtype=np.float32) - (size - 1) / 2) * (SDSS_SIDE / size)
    return np.meshgrid(axis, axis, indexing="xy")


def _normalised(profile: np.ndarray) -> np.ndarray:
    return profile / profile.sum(axis=(1, 2), keepdims=True)


def _sersic(x, y, p, idx):
    n = p["sersic_n"][idx, None, None]
    q = p["bulge_q"][idx, None, None]
    c = p["boxiness"][idx, None, None]
    xs, ys = x[idx], y[idx]
    r = (np.abs(xs) ** c + np.abs(ys / q) ** c) ** (1 / c)
    b = 2 * n - 1 / 3 + 0.009876 / n
    r = np.maximum(r, 0.25) / p["bulge_re"][idx, None, None]
    return _normalised(np.exp(-b * (r ** (1 / n) - 1)))


def _disk_and_arms(x, y, p, idx):
    """Exponential disk with log-spiral arms in the disk plane, then projected; returns (disk, arms)."""
    h = p["disk_h"][idx, None, None]
    xs, ys = x[idx], y[idx] / p["disk_q"][idx, None, None]
    r = np.hypot(xs, ys)
    disk = np.exp(-r / h)
    lane = p["dust"][idx, None, None] * np.exp(-((y[idx] / 0.8) ** 2)) * (r < 3 * h)
    disk_lit = _normalised(disk * (1 - lane))
    amp = p["arm_amplitude"][idx, None, None]
    theta = np.arctan2(ys, xs)
    winding = np.log(np.maximum(r, 0.5) / h) / np.tan(np.radians(p["pitch_deg"][idx, None, None]))
    phase = p["arms"][idx, None, None] * (theta - winding) + p["arm_phase"][idx, None, None]
    arms = ((1 + np.cos(phase)) / 2) ** p["arm_sharpness"][idx, None, None]
    arms *= disk * (1 - np.exp(-((r / (0.8 * h)) ** 2)))  # arms start outside the bulge
    return disk_lit * (1 - amp), _normalised(arms + 1e-12) * amp


def _blur(images: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Gaussian PSF per image (sigma in pixels), applied in Fourier space; images (n, H, H, bands)."""
    size = images.shape[1]
    ky = np.fft.fftfreq(size)[:, None]
    kx = np.fft.rfftfreq(size)[None, :]
    transfer = np.exp(-2 * np.pi**2 * sigma[:, None, None] ** 2 * (kx**2 + ky**2))
    spectrum = np.fft.rfft2(images, axes=(1, 2)) * transfer[..., None]
    return np.fft.irfft2(spectrum, s=(size, size), axes=(1, 2)).astype(np.float32)


def render(labels: np.ndarray, rng: np.random.Generator, size: int = SDSS_SIDE) -> np.ndarray:
    """uint8 images (n, size, size, 3) for the given class labels: the same sky seen with finer pixels when
    size > 69, with the same surface brightness and noise per pixel."""
    n = len(labels)
    p = sample_parameters(labels, rng)
    gx, gy = _grid(size)
    dx = gx[None] - p["x0"][:, None, None]
    dy = gy[None] - p["y0"][:, None, None]
    cos, sin = np.cos(p["angle"])[:, None, None], np.sin(p["angle"])[:, None, None]
    x, y = dx * cos + dy * sin, -dx * sin + dy * cos

    bulge_colour = BULGE_COLOUR * p["colour"]
    images = np.zeros((n, size, size, 3), np.float32)
    has_bulge = np.flatnonzero(p["bulge_fraction"] > 0)
    weight = (p["flux"] * p["bulge_fraction"])[has_bulge, None, None, None]
    images[has_bulge] += _sersic(x, y, p, has_bulge)[..., None] * weight * bulge_colour[has_bulge, None, None]
    has_disk = np.flatnonzero(p["bulge_fraction"] < 1)
    disk, arms = _disk_and_arms(x, y, p, has_disk)
    weight = (p["flux"] * (1 - p["bulge_fraction"]))[has_disk, None, None, None]
    colour = DISK_COLOUR * p["colour"][has_disk]
    images[has_disk] += weight * (disk[..., None] * colour[:, None, None] + arms[..., None] * ARM_COLOUR)

    stars = rng.poisson(1.0, n)
    owner = np.repeat(np.arange(n), stars)
    star_flux = np.exp(rng.uniform(np.log(150), np.log(3e4), len(owner)))
    star_colour = rng.uniform(0.6, 1.4, (len(owner), 3))
    np.add.at(
        images,
        (owner, rng.integers(0, size, len(owner)), rng.integers(0, size, len(owner))),
        (star_flux[:, None] * star_colour).astype(np.float32),
    )

    pixels_per_sdss_pixel = (size / SDSS_SIDE) ** 2
    images = _blur(images * pixels_per_sdss_pixel, p["psf"] * size / SDSS_SIDE)
    noise_sigma = np.sqrt(p["sky"][:, None, None, None] ** 2 + np.maximum(images, 0) / 4)
    images += rng.standard_normal(images.shape, np.float32) * noise_sigma
    return display(images)


def with_survey_history(labels, rng, size: int, quality: int, scale: int) -> np.ndarray:
    """Images with the real Galaxy10 SDSS images' history: rendered `scale` times larger (the survey's finer
    cutout), saved as JPEG at `quality` (as the cutout service served them) and scaled down to `size` (area
    average), so that the stand-in carries the compression artefacts, smoothed, that the real images carry."""
    large = jpeg(render(labels, rng, size * scale), quality, rng)
    return np.stack([np.asarray(Image.fromarray(image).resize((size, size), Image.BOX)) for image in large])


def _render_chunk(args):
    seed, chunk_index, shapes, size, history = args
    rng = np.random.default_rng([seed, chunk_index])
    return with_survey_history(shapes, rng, size, **history) if history else render(shapes, rng, size)


def make_labels(n_images: int, seed: int, like: str = "sdss") -> np.ndarray:
    """Class labels in the real set's proportions, in a seeded random order."""
    counts = class_counts(n_images, like)
    labels = np.repeat(np.arange(len(counts), dtype=np.uint8), counts)
    return np.random.default_rng(seed).permutation(labels)


def write_synthetic(
    path, n_images: int, seed: int, processes: int = 1, image_size: int = SDSS_SIDE, like: str = "sdss",
    survey_jpeg: dict | None = None,
) -> None:
    """Write `n_images` synthetic galaxies of image_size² pixels to `path` as HDF5 datasets `images` and `ans`,
    with the classes and class proportions of the data set `like` (sdss or decals); with `survey_jpeg`
    ({quality, scale}), each through with_survey_history."""
    labels = make_labels(n_images, seed, like)
    shapes = SHAPES[like][labels]
    chunk = max(1, CHUNK * SDSS_SIDE**2 // image_size**2)  # the same memory per chunk at any size
    chunk = max(1, chunk // (survey_jpeg or {}).get("scale", 1) ** 2)
    chunks = [(seed, i, shapes[start : start + chunk], image_size, survey_jpeg)
              for i, start in enumerate(range(0, n_images, chunk))]
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as out:
        images = out.create_dataset(
            "images", (n_images, image_size, image_size, 3), np.uint8, chunks=(16, image_size, image_size, 3)
        )
        out.create_dataset("ans", data=labels)
        out.attrs["synthetic_seed"] = seed
        out.attrs["like"] = like
        out.attrs["survey_jpeg"] = str(survey_jpeg)
        with ProcessPoolExecutor(max(1, processes)) as pool:
            for (_, i, chunk_shapes, *_), rendered in zip(chunks, pool.map(_render_chunk, chunks)):
                images[i * chunk : i * chunk + len(chunk_shapes)] = rendered

