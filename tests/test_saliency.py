"""What a model looked at: gradients from the backend in use, SmoothGrad maps that depend on the learned weights
(the model-randomisation check of Adebayo et al. 2018) for every model family, and the run's figure."""

import numpy as np
import pytest

from galaxy10.data.split import load_split
from galaxy10.evaluation.saliency import input_gradients, randomised_copy, rank_correlation, smoothgrad
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


@pytest.mark.slow
@pytest.mark.parametrize("model, epochs", [("seed_dnn", 6), ("galaxy10_cnn", 4), ("small_cnn", 4), ("resnet", 4),
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
