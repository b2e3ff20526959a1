"""Your own model (`model: file.py:function`): trained, predicted and classified like the registry's, its file part
of the run's fingerprint, and every problem in the file an error that names the file and line."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from galaxy10.classify.cli import main as classify
from galaxy10.data.split import load_split
from galaxy10.evaluation.predict import predict
from galaxy10.io import InputError
from galaxy10.training.models import build_model
from galaxy10.training.settings import TrainingSettings
from galaxy10.training.train import train

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "my_model.py"


def test_the_documented_example_trains_predicts_and_classifies(split, tmp_path):
    settings = {"model": f"{EXAMPLE}:wide_cnn", "options": {"width": 8}, "epochs": 1, "batch_size": 64}
    history = train(split, tmp_path / "model.keras", tmp_path / "h.csv", tmp_path / "run.json", settings=settings,
                    seed=1, experiment="mine")
    assert len(history) == 1
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["model_sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert record["settings"]["options"] == {"width": 8}
    table = predict(tmp_path / "model.keras", tmp_path / "run.json", split, tmp_path / "p.csv", tmp_path / "c.json")
    assert len(table) == len(load_split(split, "test")[1])
    images = load_split(split, "test")[0][:3]
    folder = tmp_path / "cutouts"
    folder.mkdir()
    from PIL import Image

    for k, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{k}.png")
    assert classify([str(tmp_path / "model.keras"), "--input", str(folder), "--out", str(tmp_path / "out"), "-q",
                     "--embeddings", "--saliency"]) == 0
    assert np.load(tmp_path / "out" / "embeddings.npy").shape == (3, 8 * 4)  # the nested model's pooled features


def test_the_function_gets_the_shape_the_classes_and_the_options_and_pixels_in_0_1():
    net = build_model(f"{EXAMPLE}:wide_cnn", (32, 32, 3), 4, 1 / 255, width=4, dropout=0.0)
    assert net.output_shape == (None, 4) and net.layers[0].scale == pytest.approx(1 / 255)
    assert net.layers[-1].get_layer(index=1).filters == 4  # the first convolution: width 4
    probabilities = np.asarray(net(np.full((2, 32, 32, 3), 255, np.uint8)))
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


BROKEN = {
    "syntax.py": ("def wide_cnn(:\n", r"syntax.py:1: invalid syntax"),
    "imports.py": ("import keras\n\nx = 1 / 0\n", r"imports.py:3: ZeroDivisionError"),
    "raises.py": ("def f(shape, classes):\n    return None\n\n\ndef g(shape, classes):\n    raise ValueError('no')\n",
                  r"raises.py:6: g\(\(32, 32, 3\), 4\) raised ValueError: no"),
    "returns_none.py": ("def f(shape, classes):\n    return None\n", r"f must return a Keras model with 4 outputs"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_model_file_is_an_error_naming_the_file_and_line(tmp_path, name):
    source, message = BROKEN[name]
    (tmp_path / name).write_text(source)
    function = "g" if name == "raises.py" else "f"
    with pytest.raises(InputError, match=message):
        build_model(f"{tmp_path / name}:{function}", (32, 32, 3), 4, 1 / 255)


def test_a_missing_file_or_function_and_misplaced_options_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        build_model(f"{tmp_path}/nope.py:f", (32, 32, 3), 4, 1 / 255)
    with pytest.raises(InputError, match="no function 'nope'"):
        build_model(f"{EXAMPLE}:nope", (32, 32, 3), 4, 1 / 255)
    with pytest.raises(InputError, match="options are for a file.py:function model"):
        TrainingSettings("small_cnn", options={"width": 3})
