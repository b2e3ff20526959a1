"""FITS cutouts as the colour images Galaxy10's models learned from.

FITS bands become a colour image with astropy's `make_lupton_rgb` (Lupton et al. 2004), the reddest band as red and
the bluest as blue: for g, r, i that is (i, r, g) as RGB, Galaxy10's channel order (the SDSS SkyServer composites
its images come from). The data are taken as sky-subtracted fluxes in nanomaggies, the unit of SDSS frames and
Legacy Survey images, with LUPTON_STRETCH = 0.5 and LUPTON_Q = 10: the values astropy's documentation shows for SDSS
frames, to compare with the SkyServer picture and Fig. 1 of Lupton et al. With them sky noise of about 0.03
nanomaggies per SDSS pixel is a dark speckle (about 15 of 255), a bright galaxy's core (5–50 nanomaggies per pixel)
150–220, and only pixels above 170 nanomaggies saturate: a black sky with bright, mostly unsaturated galaxies, as in
Galaxy10.
Counts in other units need scaling to nanomaggies first; sky left in the data makes a grey, washed-out picture.
A model trained on another display takes FITS through that one instead (`FitsDisplay`): the synthetic stand-in's
is an asinh per band in its renderer's counts (data.stretch), which `DISPLAYS` gives for its models.
FITS rows run upwards, so the picture is flipped to run downwards like a PNG's.
"""

import dataclasses
import re

import numpy as np
from astropy.io import fits
from astropy.visualization import make_lupton_rgb

from galaxy10.data.stretch import MAXIMUM, SOFTENING, display

LUPTON_STRETCH = 0.5  # nanomaggies: the linear part of the asinh stretch
LUPTON_Q = 10  # asinh softening
BANDS_BY_WAVELENGTH = "ugrizy"
# Galaxy10 SDSS's bands: a FITS cube's planes unless its header names them; those chosen from band files of more
SDSS_BANDS = "gri"


class CutoutError(ValueError):
    """An input that is read but is not a usable colour image."""


@dataclasses.dataclass(frozen=True)
class FitsDisplay:
    """How FITS fluxes become a colour picture: `lupton` (Lupton et al.'s asinh of the bands' mean, `first` its
    stretch and `second` its Q, for nanomaggies) or `asinh` (an asinh per band, `first` its softening and `second`
    the flux shown as 255, in the data's own units). Written `kind:first:second`, as on the command line."""

    kind: str = "lupton"
    first: float = LUPTON_STRETCH
    second: float = LUPTON_Q

    @classmethod
    def parse(cls, text: str) -> "FitsDisplay":
        kind, *numbers = text.split(":")
        try:
            values = [float(number) for number in numbers]
        except ValueError:
            values = []
        if kind not in ("lupton", "asinh") or len(numbers) not in (0, 2) or len(values) != len(numbers) or any(
                value <= 0 for value in values):
            raise ValueError(f"FITS display {text!r}: need lupton[:STRETCH:Q] or asinh:SOFTENING:MAXIMUM, positive")
        if kind == "asinh" and not values:
            raise ValueError("FITS display asinh needs its SOFTENING and MAXIMUM, in the data's units: asinh:6:3000")
        return cls(kind, *values)

    def __str__(self):
        return f"{self.kind}:{self.first:g}:{self.second:g}"


LUPTON = FitsDisplay()
# each data set's own display, for FITS in its flux units: SDSS's composites, and the stand-in renderer's stretch
DISPLAYS = {"sdss": LUPTON, "decals": LUPTON, "synthetic": FitsDisplay("asinh", SOFTENING, MAXIMUM)}


def colour_image(red, green, blue, shown: FitsDisplay = LUPTON) -> tuple[np.ndarray, float]:
    """The colour image of three band images under the display `shown` (see the module docstring), rows flipped
    from FITS's upward order, and the share of pixels not finite in some band, which count as empty sky."""
    bands = [np.asarray(band, np.float64) for band in (red, green, blue)]
    not_finite = float(np.mean(~np.all([np.isfinite(band) for band in bands], axis=0)))
    bands = [np.nan_to_num(band, nan=0.0, posinf=0.0, neginf=0.0) for band in bands]
    if shown.kind == "asinh":
        rgb = display(np.stack(bands, axis=-1), shown.first, shown.second)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # astropy divides by the intensity, 0 on empty sky
            rgb = make_lupton_rgb(*bands, stretch=shown.first, Q=shown.second)
    return np.ascontiguousarray(rgb[::-1]), not_finite


def _fits_data(path, ndim):
    """The first image in the file (axes of length 1 dropped) and its header; an error unless it has `ndim` axes."""
    with fits.open(path) as hdus:
        for hdu in hdus:
            if getattr(hdu, "data", None) is not None and hdu.data.ndim >= 2:
                data = np.squeeze(np.asarray(hdu.data))
                if data.ndim != ndim:
                    need = "a 3-band cube or <stem>_g/_r/_i.fits files" if ndim == 3 else "one band per file"
                    raise CutoutError(f"FITS image of shape {data.shape}: need {need}")
                return data, hdu.header
    raise CutoutError("FITS file without image data")


def _cube_order(header) -> list[int]:
    """Plane indices of a cube, reddest band first, from the header's band names or SDSS_BANDS."""
    named = str(header.get("BANDS") or "".join(str(header.get(f"BAND{k}", "")) for k in range(3)))
    bands = re.sub(r"[\s,]", "", named).lower() or SDSS_BANDS
    if len(bands) != 3 or len(set(bands)) != 3 or not set(bands) <= set(BANDS_BY_WAVELENGTH):
        raise CutoutError(f"header names bands {named!r}: need three of {', '.join(BANDS_BY_WAVELENGTH)}")
    return sorted(range(3), key=lambda k: BANDS_BY_WAVELENGTH.index(bands[k]), reverse=True)


def read_fits_cube(path, shown: FitsDisplay = LUPTON) -> tuple[np.ndarray, float]:
    data, header = _fits_data(path, 3)
    if data.shape[0] != 3:
        if data.shape[-1] != 3:
            raise CutoutError(f"FITS cube of shape {data.shape}: need 3 planes (3×H×W or H×W×3)")
        data = np.moveaxis(data, -1, 0)
    return colour_image(*data[_cube_order(header)], shown)


def read_fits_bands(paths, shown: FitsDisplay = LUPTON) -> tuple[np.ndarray, float]:
    bands = [_fits_data(path, 2)[0] for path in paths]
    if len({band.shape for band in bands}) > 1:
        raise CutoutError(f"band images differ in shape: {', '.join(str(band.shape) for band in bands)}")
    return colour_image(*bands, shown)
