import numpy as np
import pytest

from galaxy10.models import build_model


def test_seed_network_has_the_notebooks_parameter_count():
    assert build_model("seed_dnn", (69, 69, 3), 1 / 255).count_params() == 1_829_642


def test_small_cnn_parameter_count_worked_by_hand():
    convolutions = 3 * 3 * (3 * 32 + 32 * 64 + 64 * 128 + 128 * 128)  # no biases: batch-norm follows
    batch_norm = 4 * (32 + 64 + 128 + 128)
    assert build_model("small_cnn", (69, 69, 3), 1 / 255).count_params() == convolutions + batch_norm + 128 * 10 + 10


@pytest.mark.parametrize("name", ["seed_dnn", "small_cnn"])
def test_model_takes_uint8_images_and_scales_them_itself(name):
    model = build_model(name, (69, 69, 3), 1 / 255)
    images = np.random.default_rng(0).integers(0, 256, (4, 69, 69, 3), dtype=np.uint8)
    rescale = model.layers[0]
    assert rescale.name.startswith("rescaling")
    assert np.allclose(np.asarray(rescale(images.astype("float32"))), images / 255, atol=1e-6)
    probabilities = np.asarray(model(images))
    assert probabilities.shape == (4, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_unknown_model_lists_the_choices():
    with pytest.raises(ValueError, match="seed_dnn"):
        build_model("resnet9000", (69, 69, 3), 1 / 255)
