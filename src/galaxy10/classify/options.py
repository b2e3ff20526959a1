"""What the classify stage needs besides images, read without Keras: class names, the FITS display and calibration
temperatures."""

import json
from pathlib import Path

from galaxy10.data.facts import DATASETS
from galaxy10.data.fits import DISPLAYS, LUPTON, FitsDisplay
from galaxy10.evaluation.calibration import model_temperature


def _recorded(model_paths, key: str, what: str) -> dict:
    """The values of `key` (`what` they are, for the error) in the run.json files beside the models, each with one
    file that holds it; an error if they differ."""
    found = {}
    for run_json in {Path(path).with_name("run.json") for path in model_paths}:
        if run_json.is_file():
            try:
                value = json.loads(run_json.read_text()).get(key)
            except (json.JSONDecodeError, AttributeError) as err:
                raise ValueError(f"{run_json}: not a JSON object ({err})") from err
            if value:
                found[tuple(value) if isinstance(value, list) else value] = run_json
    if len(found) > 1:
        raise ValueError(f"the models' run.json files name different {what}: {', '.join(map(str, found.values()))}")
    return found


def class_names(choice, model_paths) -> tuple:
    """The names the option asks for; else those in the run.json files beside the models (their data set's), which
    must agree; else Galaxy10 SDSS's."""
    if choice in DATASETS:
        return DATASETS[choice].class_names
    if choice:
        if not Path(choice).is_file():
            raise FileNotFoundError(f"--class-names {choice}: not sdss, decals or a file")
        return tuple(line.strip() for line in Path(choice).read_text().splitlines() if line.strip())
    return next(iter(_recorded(model_paths, "class_names", "classes")), DATASETS["sdss"].class_names)


def fits_display(choice, model_paths) -> FitsDisplay:
    """The display the option asks for (`kind:first:second`); else the one of the data set the models' run.json
    files name, so that FITS fluxes look like the images the models learned from; else Lupton's for SDSS."""
    if choice:
        return FitsDisplay.parse(choice)
    return DISPLAYS.get(next(iter(_recorded(model_paths, "dataset", "data sets")), "sdss"), LUPTON)


def temperatures(values, model_paths, uncalibrated=False) -> list:
    """The given temperatures (one for all, or one per model); else each model's calibration.json's, if any."""
    if uncalibrated:
        return [None] * len(model_paths)
    if not values:
        return [model_temperature(path) for path in model_paths]
    if len(values) not in (1, len(model_paths)):
        raise ValueError(f"--temperature takes one value or one per model ({len(model_paths)}), got {len(values)}")
    return values * len(model_paths) if len(values) == 1 else values
