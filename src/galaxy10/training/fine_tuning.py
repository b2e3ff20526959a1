"""Starting a run from another model's body: loading it, freezing it for the first epochs, unfreezing it."""

import keras

from galaxy10.io import InputError
from galaxy10.training.models import load_model
from galaxy10.training.optimization import compile_model
from galaxy10.training.settings import APPLICATIONS, TrainingSettings


def set_body_trainable(net, trainable: bool) -> None:
    """Freeze or unfreeze every layer but the head (the last Dense); frozen batch-norm layers use their moving
    statistics, as fine-tuning wants."""
    for layer in net.layers[:-1]:
        layer.trainable = trainable


def unfreeze(net, s: TrainingSettings, steps_per_epoch: int) -> None:
    """Make the body trainable after the frozen epochs. Its new variables need a new optimizer; it goes on from the
    old one's step (so a schedule goes on where it was) and, at a constant rate, from its rate (ReduceLROnPlateau
    may have cut it)."""
    old = net.optimizer
    step, rate = (keras.ops.convert_to_numpy(value) for value in (old.iterations, old.learning_rate))
    set_body_trainable(net, True)
    compile_model(net, s, steps_per_epoch)
    net.optimizer.iterations.assign(step)
    if s.schedule == "constant" and not s.warmup_epochs:
        net.optimizer.learning_rate = float(rate)


def load_body(net, source, s: TrainingSettings) -> None:
    """Copy every weight but the head's (the last Dense) from the saved model `source`, which must be the same
    architecture with the same options. Images of another size are allowed only where the model resizes them
    itself (the keras.applications ones); for the others a body learnt at one scale does not fit another."""
    donor = load_model(source)
    if donor.name != net.name:
        raise InputError(f"init_from: {source} is a {donor.name} model; this experiment trains {net.name}")
    if donor.input_shape[1:] != net.input_shape[1:] and s.model not in APPLICATIONS:
        raise InputError(
            f"init_from: {source} was trained on images of {donor.input_shape[1:]}, these are {net.input_shape[1:]}; "
            f"only the keras.applications models ({', '.join(APPLICATIONS)}) resize their input"
        )
    bodies = [[layer for layer in model.layers[:-1] if layer.weights] for model in (net, donor)]
    try:
        for mine, theirs in zip(*bodies, strict=True):
            mine.set_weights(theirs.get_weights())
    except ValueError as err:
        raise InputError(f"init_from: the body of {source} does not fit this experiment's {s.model}: {err}") from None


