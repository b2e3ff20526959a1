"""What a model looked at: SmoothGrad maps (Smilkov et al. 2017) of the predicted class's probability with respect
to the pixels, for any model of any architecture, and the model-randomisation check of Adebayo et al. (2018) that
shows the maps depend on the learned weights (a map that does not is an edge detector, not an explanation).
SmoothGrad passes it where gradient × input methods (integrated gradients) are dominated by the image itself.

Keras 3 has no backend-neutral gradient, so `input_gradients` asks the backend it runs on (TensorFlow's
GradientTape, jax.grad, or torch's autograd).
"""

import textwrap

import keras
import numpy as np
from scipy.stats import spearmanr

SAMPLES = 32  # noisy copies of each image


def input_gradients(net, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """d probability[class] / d pixel for float images (n, H, W, C) and one class per image."""
    return score_gradients(net, images, classes)[1]


def score_gradients(net, images: np.ndarray, classes: np.ndarray, layer=None):
    """The output of `layer` (the images when None) and the gradient of probability[class] with respect to it.
    The gradient is taken with respect to a zero offset added to that output, so that one backend call serves
    every layer of any model, nested or not."""
    backend = keras.backend.backend()
    chosen = keras.ops.one_hot(classes, net.output_shape[-1])
    shape = images.shape if layer is None else (len(images), *layer.output.shape[1:])
    seen = {}

    def score(offset):
        seen["offset"] = offset
        return keras.ops.sum(net(keras.ops.add(images, offset) if layer is None else images, training=False) * chosen)

    if layer is not None:
        original = layer.call
        layer.call = lambda *args, **kwargs: _remember(seen, original(*args, **kwargs)) + seen["offset"]
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            offset = tf.zeros(shape)
            with tf.GradientTape() as tape:
                tape.watch(offset)
                total = score(offset)
            gradient = tape.gradient(total, offset).numpy()
        elif backend == "jax":
            import jax

            gradient, seen["output"] = jax.grad(lambda offset: (score(offset), seen.get("output")), has_aux=True)(
                np.zeros(shape, np.float32))
            gradient = np.asarray(gradient)
        else:
            import torch

            offset = torch.zeros(shape, requires_grad=True)
            score(offset).backward()
            gradient = offset.grad.numpy()
    finally:
        if layer is not None:
            del layer.call  # the class's own again
    output = images if layer is None else keras.ops.convert_to_numpy(keras.ops.stop_gradient(seen["output"]))
    return output, gradient


def _remember(seen: dict, output):
    seen["output"] = output
    return output


def feature_layer(net):
    """The layer whose output Grad-CAM weighs: the last one, in the model and its nested models' order, with a
    spatial output (batch, H, W, C) that comes after a layer with weights; None for a model without one (the
    dense networks)."""
    found, weighted = None, False
    for layer in _walk(net):
        weighted = weighted or bool(layer.weights) and not isinstance(layer, keras.Model)
        try:
            rank = len(layer.output.shape)
        except (AttributeError, ValueError):
            continue
        if weighted and rank == 4:
            found = layer
    return found


def _walk(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _walk(layer)


def grad_cam(net, images: np.ndarray, classes: np.ndarray, layer=None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) maps (n, H, W): the feature maps of `layer` (feature_layer's by default)
    weighted by their mean gradient of the class's probability, kept where positive, resized to the images'."""
    layer = layer or feature_layer(net)
    if layer is None:
        raise ValueError(f"{net.name} has no spatial feature maps for Grad-CAM; use smoothgrad")
    features, gradient = score_gradients(net, np.asarray(images, np.float32), classes, layer)
    cam = np.maximum((features * gradient.mean(axis=(1, 2), keepdims=True)).sum(axis=-1), 0)
    resized = keras.ops.image.resize(cam[..., None], images.shape[1:3], interpolation="bilinear")
    return keras.ops.convert_to_numpy(resized)[..., 0]


def rank_correlation(maps: np.ndarray, others: np.ndarray) -> float:
    """Mean over images of the Spearman correlation of the absolute attributions of two sets of maps; a constant
    map (a Grad-CAM map with nothing positive) ranks nothing, so it shares nothing: 0."""
    return float(np.mean([np.nan_to_num(spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).statistic)
                          for a, b in zip(maps, others)]))


def randomised_copy(net, seed: int = 0):
    """The same architecture with freshly initialised weights (Adebayo et al.'s model randomisation)."""
    keras.utils.set_random_seed(seed)
    copy = keras.models.clone_model(net)
    copy.build(net.input_shape)
    return copy


def smoothgrad(net, images: np.ndarray, classes: np.ndarray, samples: int = SAMPLES, noise: float = 0.1,
               seed: int = 0) -> np.ndarray:
    """SmoothGrad (Smilkov et al. 2017) maps (n, H, W): the gradient averaged over copies of each image with
    Gaussian noise of `noise` × the pixel range, its absolute value summed over the colour channels."""
    images = np.asarray(images, np.float32)
    rng = np.random.default_rng(seed)
    total = np.zeros_like(images)
    for _ in range(samples):
        total += input_gradients(net, images + rng.normal(0, noise * 255, images.shape).astype(np.float32), classes)
    return np.abs(total / samples).sum(axis=-1)


def saliency_pictures(net, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each image's map for its class as a picture of the image's size (uint8 RGB), each map scaled to its own
    largest value: Grad-CAM over the galaxy for a model with feature maps, else the SmoothGrad map alone."""
    from matplotlib import colormaps

    images = np.asarray(images, np.float32)
    cam = feature_layer(net) is not None
    maps = grad_cam(net, images, classes) if cam else smoothgrad(net, images, classes)
    scaled = maps / np.maximum(maps.max(axis=(1, 2), keepdims=True), 1e-12)
    colours = 255 * colormaps["jet" if cam else "inferno"](scaled)[..., :3]
    return np.clip(0.55 * images + 0.45 * colours if cam else colours, 0, 255).astype(np.uint8)


def saliency_figure(model_path, predictions_csv, split, metrics_json, out, per_kind: int = 4):
    """The first `per_kind` correctly and `per_kind` wrongly classified test galaxies (in test order), each above
    its SmoothGrad map for the predicted class and, for a model with spatial feature maps, its Grad-CAM map laid
    over the galaxy."""
    import pandas as pd

    from galaxy10.data.split import load_split
    from galaxy10.evaluation.figures import _class_names, plt, save
    from galaxy10.training.models import load_model

    table = pd.read_csv(predictions_csv)
    right = table.index[table["predict"] == table["test"]][:per_kind]
    wrong = table.index[table["predict"] != table["test"]][:per_kind]
    chosen = np.concatenate([right, wrong]).astype(int)
    names = _class_names(metrics_json)
    net = load_model(model_path, compile=False)
    rows = 3 if feature_layer(net) is not None else 2
    fig, axes = plt.subplots(rows, max(1, len(chosen)), figsize=(2.2 * max(1, len(chosen)), 2.5 * rows),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    if len(chosen):
        images = load_split(split, "test")[0][chosen]
        classes = table["predict"].to_numpy()[chosen]
        maps = [smoothgrad(net, images, classes), *([saliency_pictures(net, images, classes)] if rows == 3 else [])]
        for column, (k, image) in enumerate(zip(chosen, images)):
            axes[0, column].imshow(image)
            verdict = "right" if k in right else "wrong"
            title = f"{verdict}: {names[table['test'][k]]} → {names[table['predict'][k]]}"
            axes[0, column].set_title(textwrap.fill(title, 24), fontsize=7)
            axes[1, column].imshow(maps[0][column], cmap="inferno")
            if rows == 3:  # Grad-CAM over the galaxy, as on the contact sheet
                axes[2, column].imshow(maps[1][column])
        axes[1, 0].set_title("SmoothGrad", fontsize=7, loc="left")
        if rows == 3:
            axes[2, 0].set_title("Grad-CAM", fontsize=7, loc="left")
    save(fig, out)
