import keras
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


def test_reference_architectures_match_their_published_sizes():
    assert build_model("galaxy10_cnn", (69, 69, 3), 1 / 255).count_params() == 1_219_578  # astroNN's Galaxy10CNN
    dense = 14283 * 512 + 512 * 256 + 256 * 128 + 4 * (512 + 256 + 128) + 128 * 10 + 10  # no biases before BN
    assert build_model("deep_dnn", (69, 69, 3), 1 / 255).count_params() == dense


def test_unknown_model_lists_the_choices():
    with pytest.raises(ValueError, match="seed_dnn"):
        build_model("resnet9000", (69, 69, 3), 1 / 255)


def test_augmentation_draws_rotations_and_reflections_only_in_training():
    from galaxy10.models import augmentation

    images = np.random.default_rng(0).integers(0, 256, (64, 69, 69, 3)).astype("float32")
    augment = keras.Sequential([keras.Input((69, 69, 3)), *augmentation()])
    assert np.array_equal(np.asarray(augment(images, training=False)), images)
    out = np.asarray(augment(images, training=True))
    dihedral = lambda im: [np.rot90(r, k) for r in (im, im[:, ::-1]) for k in range(4)]  # noqa: E731
    matched = [next(k for k, v in enumerate(dihedral(im)) if np.array_equal(v, o)) for im, o in zip(images, out)]
    assert len(set(matched)) == 8  # all 8 symmetries of the square occur in a batch of 64


def test_models_with_custom_layers_survive_saving(tmp_path):
    model = build_model("small_cnn", (69, 69, 3), 1 / 255, augment=True)
    model.save(tmp_path / "m.keras")
    images = np.random.default_rng(1).integers(0, 256, (2, 69, 69, 3), dtype=np.uint8)
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    # oneDNN's convolutions differ between calls in the 4th decimal, so compare to that
    assert np.allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=2e-3)
