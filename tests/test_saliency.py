"""What a model looked at: gradients from the backend in use, SmoothGrad maps that depend on the learned weights
(the model-randomisation check of Adebayo et al. 2018) for every model family, and the run's figure."""

import numpy as np
import pytest

from galaxy10.data.split import load_split
from galaxy10.evaluation.saliency import (feature_layer, grad_cam, input_gradients, randomised_copy, rank_correlation,
                                         saliency_pictures, score_gradients, smoothgrad)
from galaxy10.training.models import build_model, load_model
from galaxy10.training.train import train


def test_the_gradients_are_the_backends_and_match_finite_differences():
    net = build_model("seed_dnn", (8, 8, 3), 3, 1 / 255)
    image = np.random.default_rng(0).uniform(0, 255, (1, 8, 8, 3)).astype(np.float32)
    gradient = input_gradients(net, image, np.array([2]))
    step = np.zeros_like(image)
    step[0, 3, 4, 1] = 1.0  # one pixel's one channel, by a whole grey level
    slope = (np.asarray(net(image + step))[0, 2] - np.asarray(net(image - step))[0, 2]) / 2
    assert gradient.shape == image.shape and gradient[0, 3, 4, 1] == pytest.approx(slope, rel=0.05, abs=1e-7)


def test_a_layers_gradient_is_the_input_gradient_through_that_layer():
    """The gradient with respect to the scaling layer's output is the input gradient divided by the scale: the
    offset added to a layer's output (what Grad-CAM differentiates) carries the same gradient as the input."""
    net = build_model("small_cnn", (12, 12, 3), 3, 1 / 255)
    images = np.random.default_rng(1).uniform(0, 255, (2, 12, 12, 3)).astype(np.float32)
    classes = np.array([0, 2])
    scaled, gradient = score_gradients(net, images, classes, net.layers[0])
    np.testing.assert_allclose(scaled, images / 255, rtol=1e-6)
    np.testing.assert_allclose(gradient / 255, input_gradients(net, images, classes), rtol=1e-3, atol=1e-9)
    assert np.abs(gradient).max() > 0


@pytest.mark.parametrize("model", ["seed_dnn", "small_cnn"])
def test_saliency_pictures_are_images_of_the_inputs_size(model):
    """The contact sheet's maps: Grad-CAM laid over the galaxy for a CNN (so the galaxy shows through), the
    SmoothGrad map alone for a dense network; uint8 pictures of the input's size either way."""
    net = build_model(model, (16, 16, 3), 3, 1 / 255)
    images = np.random.default_rng(2).uniform(0, 255, (2, 16, 16, 3)).astype(np.float32)
    pictures = saliency_pictures(net, images, np.array([0, 1]))
    assert pictures.dtype == np.uint8 and pictures.shape == images.shape and pictures.max() > 0
    shows_galaxy = np.corrcoef(pictures[..., 0].ravel(), images[..., 0].ravel())[0, 1]
    assert (shows_galaxy > 0.3) == (model == "small_cnn"), shows_galaxy


@pytest.mark.slow
@pytest.mark.parametrize("model, epochs", [("seed_dnn", 6), ("galaxy10_cnn", 4), ("small_cnn", 12), ("resnet", 4),
                                           ("d4_cnn", 4)])
def test_the_maps_depend_on_the_learned_weights(split, tmp_path, model, epochs):
    """Maps of the trained model and of the same network with fresh weights share far less of their ranking than
    two maps of the trained model made with other noise: the maps come from what the model learned."""
    train(split, tmp_path / "m.keras", tmp_path / "h.csv", settings={"model": model, "epochs": epochs,
                                                                      "batch_size": 32}, seed=1)
    net = load_model(tmp_path / "m.keras")
    images = load_split(split, "test")[0][:8]
    predicted = np.asarray(net.predict_on_batch(images)).argmax(axis=1)
    maps = smoothgrad(net, images, predicted)
    same = rank_correlation(maps, smoothgrad(net, images, predicted, seed=1))
    randomised = rank_correlation(maps, smoothgrad(randomised_copy(net), images, predicted))
    # reproducible maps (galaxy10_cnn's, the noisiest, share 0.46 of their ranking between noise draws), far more
    # like each other than like the randomised network's
    assert same > 0.4 and randomised < same - 0.3, (same, randomised)
    if model == "seed_dnn":  # a dense network has no feature maps to weigh
        assert feature_layer(net) is None
        return
    cams = grad_cam(net, images, predicted)
    # Grad-CAM is deterministic: it must light up somewhere, and elsewhere than the randomised network's (measured
    # 0.27, 0.10, -0.04, 0.00 for galaxy10_cnn, small_cnn, resnet, d4_cnn; small_cnn after 4 epochs on these 400
    # images had hardly learned and shared 0.24-0.64 with random copies, hence its 12)
    cam_randomised = rank_correlation(cams, grad_cam(randomised_copy(net), images, predicted))
    assert cams.shape == images.shape[:3] and (cams.max(axis=(1, 2)) > 0).mean() >= 0.5, cams.max(axis=(1, 2))
    assert cam_randomised < 0.5, cam_randomised
