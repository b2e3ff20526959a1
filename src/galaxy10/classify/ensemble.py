"""Trained models as one classifier: loaded with a clear error per file, their tempered probabilities averaged."""

import keras
import numpy as np

from galaxy10.evaluation.calibration import apply_temperature, ensemble_probabilities
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.training.models import load_model


def load_models(models) -> list:
    """[(net, temperature)] for [(path to .keras, temperature or None)]; all must take the same images."""
    if not models:
        raise ValueError("no model given")
    nets = []
    for path, temperature in models:
        if temperature is not None and not temperature > 0:
            raise ValueError(f"{path}: temperature must be positive, got {temperature}")
        nets.append((load_model(path, compile=False), temperature))
    shapes = {(tuple(net.input_shape[1:]), net.output_shape[-1]) for net, _ in nets}
    if len(shapes) > 1:
        raise ValueError(f"the models differ in input shape or number of classes: {sorted(shapes)}")
    return nets


def model_probabilities(nets, images, batch_size: int, tta: bool = False) -> np.ndarray:
    """The mean over the models of each one's probabilities, tempered by its temperature where it has one: a
    seed ensemble's prediction."""
    members = []
    for net, temperature in nets:
        probabilities = predict_probabilities(net, images, batch_size, tta)
        members.append(probabilities if temperature is None else apply_temperature(probabilities, temperature))
    return ensemble_probabilities(members).astype(np.float32)


def embedding_model(net) -> keras.Model:
    """`net` up to its classifier: the vector its last layer (the softmax Dense) reads, one per image: the
    representation to search for similar galaxies, cluster, or train another classifier on. A model that ends in a
    nested model (your own, behind the workflow's scaling) is followed into it."""
    head = net.layers[-1]
    if isinstance(head, keras.Model):
        return keras.Sequential([keras.Input(net.input_shape[1:]), *net.layers[:-1], embedding_model(head)],
                                name=f"{net.name}_embedding")
    if not isinstance(head, keras.layers.Dense) or len(head.input.shape) != 2:
        raise ValueError(f"model {net.name!r} ends in {type(head).__name__}, not a Dense classifier on a vector: "
                         "it has no embedding to write")
    return keras.Model(net.inputs, head.input, name=f"{net.name}_embedding")
