import keras
import numpy as np
import pytest

from galaxy10.io import InputError
from galaxy10.training.models import build_model


def test_seed_network_has_the_notebooks_parameter_count():
    assert build_model("seed_dnn", (69, 69, 3), 10, 1 / 255).count_params() == 1_829_642


def test_small_cnn_parameter_count_worked_by_hand():
    convolutions = 3 * 3 * (3 * 32 + 32 * 64 + 64 * 128 + 128 * 128)  # no biases: batch-norm follows
    batch_norm = 4 * (32 + 64 + 128 + 128)
    assert build_model("small_cnn", (69, 69, 3), 10, 1 / 255).count_params() == convolutions + batch_norm + 128 * 10 + 10


def multiply_adds(model) -> int:
    """Per image, of the model's convolutions: output pixels × kernel × input channels × filters."""
    return sum(int(np.prod(layer.output.shape[1:3])) * int(np.prod(layer.kernel.shape)) for layer in model.layers
               if isinstance(layer, keras.layers.Conv2D))


def test_small_cnn_with_a_strided_stem_keeps_its_parameters_at_a_quarter_of_the_work():
    plain = build_model("small_cnn", (69, 69, 3), 10, 1 / 255)
    strided = build_model("small_cnn", (69, 69, 3), 10, 1 / 255, stem_stride=2)
    assert strided.count_params() == plain.count_params()
    first = [layer for layer in strided.layers if isinstance(layer, keras.layers.Conv2D)][0]
    assert first.strides == (2, 2) and first.output.shape[1:3] == (35, 35)
    assert round(multiply_adds(plain) / 1e6, 1) == 56.2 and round(multiply_adds(strided) / 1e6, 1) == 13.5
    with pytest.raises(InputError, match="stem_stride"):
        build_model("resnet", (69, 69, 3), 10, 1 / 255, stem_stride=2)


@pytest.mark.parametrize("name", ["seed_dnn", "small_cnn"])
def test_model_takes_uint8_images_and_scales_them_itself(name):
    model = build_model(name, (69, 69, 3), 10, 1 / 255)
    images = np.random.default_rng(0).integers(0, 256, (4, 69, 69, 3), dtype=np.uint8)
    rescale = model.layers[0]
    assert rescale.name.startswith("rescaling")
    assert np.allclose(np.asarray(rescale(images.astype("float32"))), images / 255, atol=1e-6)
    probabilities = np.asarray(model(images))
    assert probabilities.shape == (4, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_reference_architectures_match_their_published_sizes():
    assert build_model("galaxy10_cnn", (69, 69, 3), 10, 1 / 255).count_params() == 1_219_578  # astroNN's Galaxy10CNN
    dense = 14283 * 512 + 512 * 256 + 256 * 128 + 4 * (512 + 256 + 128) + 128 * 10 + 10  # no biases before BN
    assert build_model("deep_dnn", (69, 69, 3), 10, 1 / 255).count_params() == dense


def test_unknown_model_lists_the_choices():
    with pytest.raises(ValueError, match="seed_dnn"):
        build_model("resnet9000", (69, 69, 3), 10, 1 / 255)


def test_augmentation_draws_rotations_and_reflections_only_in_training():
    from galaxy10.training.models import augmentation

    images = np.random.default_rng(0).integers(0, 256, (64, 69, 69, 3)).astype("float32")
    augment = keras.Sequential([keras.Input((69, 69, 3)), *augmentation()])
    assert np.array_equal(np.asarray(augment(images, training=False)), images)
    out = np.asarray(augment(images, training=True))
    dihedral = lambda im: [np.rot90(r, k) for r in (im, im[:, ::-1]) for k in range(4)]  # noqa: E731
    matched = [next(k for k, v in enumerate(dihedral(im)) if np.array_equal(v, o)) for im, o in zip(images, out)]
    assert len(set(matched)) == 8  # all 8 symmetries of the square occur in a batch of 64


def test_models_with_custom_layers_survive_saving(tmp_path):
    model = build_model("small_cnn", (69, 69, 3), 10, 1 / 255, augment=True)
    model.save(tmp_path / "m.keras")
    images = np.random.default_rng(1).integers(0, 256, (2, 69, 69, 3), dtype=np.uint8)
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    # oneDNN's convolutions differ between calls in the 4th decimal, so compare to that
    assert np.allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=2e-3)


@pytest.mark.parametrize("width, depth", [(32, 2), (8, 1)])
def test_resnet_takes_its_width_and_depth(width, depth):
    model = build_model("resnet", (69, 69, 3), 10, 1 / 255, width=width, depth=depth)
    body = model.layers[-2]
    convolutions = [layer for layer in body.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convolutions[0].strides == (1, 1) and convolutions[0].filters == width  # the stem keeps every pixel
    assert len(convolutions) == 1 + 3 * (2 * depth + 1)  # stem; per stage 2 per block and a projection
    sides = [layer.output.shape[1] for layer in body.layers if isinstance(layer, keras.layers.Add)]
    assert sides == [35] * depth + [18] * depth + [9] * depth and body.output.shape[-1] == 4 * width
    if (width, depth) == (32, 2):
        assert model.count_params() == 699_114  # config/README.md gives it


def test_options_of_another_architecture_are_refused():
    with pytest.raises(InputError, match="width"):
        build_model("small_cnn", (69, 69, 3), 10, 1 / 255, width=8)


@pytest.mark.parametrize(
    "name, low, high", [("ResNet50V2", -1, 1), ("EfficientNetV2B0", 0, 255), ("ConvNeXtTiny", 0, 255)]
)
def test_applications_get_the_input_range_they_expect_at_their_image_size(name, low, high):
    model = build_model(name, (69, 69, 3), 10, 1 / 255, image_size=32)
    rescale, resize, body, head = model.layers
    assert isinstance(resize, keras.layers.Resizing) and body.input_shape[1:] == (32, 32, 3)
    extremes = np.asarray(rescale(np.array([0.0, 255.0]).reshape(1, 1, 2, 1)))
    assert np.allclose(extremes.ravel(), [low, high], atol=1e-5)
    assert head.units == 10 and body.output_shape == (None, head.kernel.shape[0])  # pooled to one vector


def test_application_weights_come_from_a_file_or_imagenet(tmp_path, monkeypatch):
    donor = keras.applications.EfficientNetV2B0(include_top=False, weights=None, input_shape=(32, 32, 3),
                                                pooling="avg")
    donor.save_weights(tmp_path / "body.weights.h5")
    body = build_model("EfficientNetV2B0", (69, 69, 3), 10, 1 / 255, image_size=32,
                       weights=str(tmp_path / "body.weights.h5")).layers[2]
    assert all(np.array_equal(a, b) for a, b in zip(body.get_weights(), donor.get_weights()))
    asked = {}  # imagenet weights are downloaded on first use: offline, check that they are asked for
    monkeypatch.setattr(keras.applications, "ConvNeXtTiny", lambda **kwargs: asked.update(kwargs) or donor)
    build_model("ConvNeXtTiny", (69, 69, 3), 10, 1 / 255, image_size=32, weights="imagenet")
    assert asked["weights"] == "imagenet" and asked["include_top"] is False and asked["pooling"] == "avg"


def test_the_d4_cnn_gives_every_rotation_and_reflection_of_a_galaxy_the_same_probabilities(tmp_path):
    """Exactly, by construction, on odd and even image sides, untrained and after a training step and a save; a
    CNN without the construction (small_cnn) does not, so the check can fail."""
    from galaxy10.evaluation.inference import d4_views
    from galaxy10.training.equivariant import INVERSE_PRODUCTS

    assert all(sorted(row) == list(range(8)) for row in INVERSE_PRODUCTS)  # each a permutation of the group
    rng = np.random.default_rng(0)
    for side in (69, 32):
        images = rng.integers(0, 256, (6, side, side, 3), dtype=np.uint8)
        net = build_model("d4_cnn", (side, side, 3), 10, 1 / 255)
        net.compile("adam", "sparse_categorical_crossentropy")
        net.train_on_batch(images, np.arange(6))
        features = keras.Sequential(net.layers[:-1])  # the same layers without the softmax, which may saturate
        views = [np.asarray(features.predict_on_batch(view)) for view in d4_views(images)]
        scale = np.abs(views[0]).max()
        assert max(np.abs(view - views[0]).max() for view in views) < 1e-5 * scale, side
        assert np.abs(views[0] - views[0].mean(axis=0)).max() > 0.01 * scale  # and not one answer for every image
        views = [np.asarray(net.predict_on_batch(view)) for view in d4_views(images)]
        assert max(np.abs(view - views[0]).max() for view in views) < 1e-5, side
    net.save(tmp_path / "d4.keras")
    assert np.allclose(keras.saving.load_model(tmp_path / "d4.keras").predict_on_batch(images), views[0], atol=1e-5)
    plain = build_model("small_cnn", (32, 32, 3), 10, 1 / 255)
    views = [np.asarray(plain.predict_on_batch(view)) for view in d4_views(images)]
    assert max(np.abs(view - views[0]).max() for view in views) > 1e-4


def test_the_d4_cnn_costs_about_what_small_cnn_does_at_width_4():
    d4 = build_model("d4_cnn", (69, 69, 3), 10, 1 / 255)
    assert d4.count_params() < build_model("small_cnn", (69, 69, 3), 10, 1 / 255).count_params() / 5
    assert build_model("d4_cnn", (69, 69, 3), 10, 1 / 255, width=8).count_params() > 3 * d4.count_params()
