"""The ten Galaxy10 SDSS classes and their counts in the real data set; Galaxy10 DECaLS's ten classes."""

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

# Galaxy10 DECaLS has ten classes too, but other ones, in another order (astroNN's documentation)
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

# Images per class as astroNN documents them. They add up to 21,830, not to the 21,785 images in
# Galaxy10.h5, so the synthetic set takes them as proportions.
SDSS_COUNTS = (3461, 6997, 6292, 394, 1534, 17, 589, 1121, 906, 519)
SDSS_SIZE = 21785
IMAGE_SIZE = 69
