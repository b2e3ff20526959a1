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
    backend = keras.backend.backend()
    chosen = keras.ops.one_hot(classes, net.output_shape[-1])
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(images)
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = tf.reduce_sum(net(x, training=False) * chosen)
        return tape.gradient(score, x).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda x: (net(x, training=False) * chosen).sum())(images))
    import torch

    x = torch.tensor(images, requires_grad=True)
    (net(x, training=False) * chosen).sum().backward()
    return x.grad.numpy()


def rank_correlation(maps: np.ndarray, others: np.ndarray) -> float:
    """Mean over images of the Spearman correlation of the absolute attributions of two sets of maps."""
    return float(np.mean([spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).statistic for a, b in zip(maps, others)]))


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


def saliency_figure(model_path, predictions_csv, split, metrics_json, out, per_kind: int = 4):
    """The first `per_kind` correctly and `per_kind` wrongly classified test galaxies (in test order), each above
    its SmoothGrad map for the predicted class."""
    import pandas as pd

    from galaxy10.data.split import load_split
    from galaxy10.evaluation.figures import _class_names, plt, save
    from galaxy10.training.models import load_model

    table = pd.read_csv(predictions_csv)
    right = table.index[table["predict"] == table["test"]][:per_kind]
    wrong = table.index[table["predict"] != table["test"]][:per_kind]
    chosen = np.concatenate([right, wrong]).astype(int)
    names = _class_names(metrics_json)
    fig, axes = plt.subplots(2, max(1, len(chosen)), figsize=(2.2 * max(1, len(chosen)), 5.0), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    if len(chosen):
        images = load_split(split, "test")[0][chosen]
        maps = smoothgrad(load_model(model_path, compile=False), images, table["predict"].to_numpy()[chosen])
        for column, (k, image, saliency) in enumerate(zip(chosen, images, maps)):
            axes[0, column].imshow(image)
            verdict = "right" if k in right else "wrong"
            title = f"{verdict}: {names[table['test'][k]]} → {names[table['predict'][k]]}"
            axes[0, column].set_title(textwrap.fill(title, 24), fontsize=7)
            axes[1, column].imshow(saliency, cmap="inferno")
    save(fig, out)
