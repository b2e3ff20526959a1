"""The ten Galaxy10 SDSS classes and their counts in the real data set."""

CLASS_NAMES = (
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
N_CLASSES = len(CLASS_NAMES)

# Images per class as astroNN documents them. They add up to 21,830, not to the 21,785 images in
# Galaxy10.h5, so the synthetic set takes them as proportions.
SDSS_COUNTS = (3461, 6997, 6292, 394, 1534, 17, 589, 1121, 906, 519)
SDSS_SIZE = 21785
IMAGE_SIZE = 69
