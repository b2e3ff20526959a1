"""What is known of the Galaxy10 data sets before reading them: class names, images per class, image size, where
to download them. Every stage after the split takes these facts from the split (its class names and images), so
that a data set of other classes or sizes flows through unchanged."""

from dataclasses import dataclass

SDSS_CLASS_NAMES = (
    "Disk, Face-on, No Spiral",
    "Smooth, Completely round",
    "Smooth, in-between round",
    "Smooth, Cigar shaped",
    "Disk, Edge-on, Rounded Bulge",
    "Disk, Edge-on, Boxy Bulge",
    "Disk, Edge-on, No Bulge",
    "Disk, Face-on, Tight Spiral",
    "Disk, Face-on, Medium Spiral",
    "Disk, Face-on, Loose Spiral",
)
DECALS_CLASS_NAMES = (
    "Disturbed",
    "Merging",
    "Round Smooth",
    "In-between Round Smooth",
    "Cigar Shaped Smooth",
    "Barred Spiral",
    "Unbarred Tight Spiral",
    "Unbarred Loose Spiral",
    "Edge-on without Bulge",
    "Edge-on with Bulge",
)
# Images per class as astroNN documents them. SDSS's add up to 21,830, not to the 21,785 images in
# Galaxy10.h5, so the synthetic set takes them as proportions.
SDSS_COUNTS = (3461, 6997, 6292, 394, 1534, 17, 589, 1121, 906, 519)
DECALS_COUNTS = (1081, 1853, 2645, 2027, 334, 2043, 1829, 2628, 1423, 1873)
SDSS_SIZE = 21785


@dataclass(frozen=True)
class DataSet:
    """What is known of a Galaxy10 data set before reading it."""

    title: str
    class_names: tuple[str, ...]
    counts: tuple[int, ...]  # images per class
    n_images: int
    image_size: int  # side of the square images, pixels
    url: str  # where astroNN downloads it from
    sha256: str


DATASETS = {
    "sdss": DataSet(
        "Galaxy10 SDSS", SDSS_CLASS_NAMES, SDSS_COUNTS, SDSS_SIZE, 69,
        "https://zenodo.org/records/10844811/files/Galaxy10.h5",
        "969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af",
    ),
    "decals": DataSet(
        "Galaxy10 DECaLS", DECALS_CLASS_NAMES, DECALS_COUNTS, sum(DECALS_COUNTS), 256,
        "https://zenodo.org/records/10845026/files/Galaxy10_DECals.h5",
        "19aefc477c41bb7f77ff07599a6b82a038dc042f889a111b0d4d98bb755c1571",
    ),
}
