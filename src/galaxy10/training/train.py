"""Training one run (an experiment with one seed): the model, its data, the callbacks, and the files it leaves."""

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from galaxy10.data.download import sha256sum
from galaxy10.data.split import load_split, split_facts
from galaxy10.io import InputError, atomic_output
from galaxy10.training.batches import ImageBatches, inference_batch
from galaxy10.training.custom import file_sha256
from galaxy10.training.checkpoint import Checkpoint, EpochSeeds
from galaxy10.training.fine_tuning import load_body, set_body_trainable, unfreeze
from galaxy10.training.models import build_model
from galaxy10.training.optimization import LearningRateLog, class_weights, compile_model, dtype_policy, mode
from galaxy10.training.record import run_record
from galaxy10.training.settings import TrainingSettings

HISTORY_COLUMNS = ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]


def train(split, model_out, history_out, record_out=None, *, settings, seed, experiment=None, provenance=None,
          init_model=None, bootstrap=False, devices=1, feed_processes=0):
    """Fit the model of `settings` (a TrainingSettings, or a dict of them) on the split's train part, validating
    on its valid part; the number of classes and their names are the split's.

    Writes the model (the last epoch's, or with `keep_best` the best one by `monitor`), the history CSV (epoch,
    loss, accuracy, val_loss, val_accuracy, lr, seconds the epoch took) and, if `record_out` is given, the run's
    record (run.json; see record.run_record).

    `init_model` is the saved model whose body the run starts from (the workflow resolves `init_from`, an
    experiment's name, to that experiment's model with the same seed); by default `init_from` itself, if it names
    a .keras file. With `bootstrap`, the run trains on its own resample of the training part, drawn with
    replacement and seeded by `seed` (as many images), so that the seeds' spread includes the sampling of the data.
    With `devices` > 1 (JAX only) each batch is split over that many devices (data_parallel). `feed_processes` draw
    the training corruptions ahead of the steps (for a GPU, which would wait for the CPU); the training is the same.

    Training checkpoints every epoch into `checkpoint/` beside the model; a call with the same settings and
    inputs after an interrupted one goes on from the last completed epoch. The checkpoint is deleted once the
    outputs are written.
    """
    s = TrainingSettings.from_dict(settings) if isinstance(settings, dict) else settings
    data_parallel(devices, s.batch_size)
    init_model = _init_model(s, init_model)
    callbacks = _callbacks(s)
    data = {**split_facts(split), "split_sha256": sha256sum(split),
            "init_model": None if init_model is None else str(init_model),
            "init_sha256": sha256sum(init_model) if init_model else None, "bootstrap": bootstrap,
            "model_sha256": file_sha256(s.model)}
    # the same fingerprint as before for runs that neither resample nor define their own model
    resampled = ("bootstrap",) if bootstrap else ()
    resampled += (data["model_sha256"],) if data["model_sha256"] else ()
    checkpoint = Checkpoint(
        Path(model_out).parent / "checkpoint", s.fingerprint(seed, data["split_sha256"], data["init_sha256"], *resampled),
        s.epochs, s.monitor if s.keep_best else None, s.min_epochs, model_callbacks=callbacks[1:],
    )
    resumed = checkpoint.load()
    batches, valid, image_shape, scale = _batches(split, s, seed, len(data["class_names"]), bootstrap, devices,
                                                  feed_processes)
    data["train_images"] = len(batches.sample)
    with dtype_policy(s.mixed_precision):
        if resumed:
            print(f"Resuming from the checkpoint after epoch {checkpoint.state['epochs_done']} in {checkpoint.folder}")
            keras.utils.set_random_seed(seed * 100_003 + checkpoint.state["epochs_done"])  # fresh dropout draws
            net = keras.saving.load_model(checkpoint.saved_model())
        else:
            keras.utils.set_random_seed(seed)
            net = build_model(s.model, image_shape, len(data["class_names"]), scale, s.augment, **s.model_options())
            if init_model:
                load_body(net, init_model, s)
            set_body_trainable(net, not s.freeze_epochs)
            compile_model(net, s, len(batches))
        _fit_remaining_epochs(net, s, batches, valid, [EpochSeeds(seed), *callbacks], checkpoint)
    history = _write_outputs(net, s, checkpoint, model_out, history_out)
    if record_out:
        record = run_record(net, s, checkpoint.state, experiment=experiment, seed=seed, data=data,
                            provenance=provenance, backend=keras.backend.backend())
        with atomic_output(record_out) as tmp, open(tmp, "w") as f:
            json.dump(record, f, indent=2)
    shutil.rmtree(checkpoint.folder)
    return history


def _init_model(s: TrainingSettings, init_model):
    if s.init_from and not init_model:
        if not s.init_from.endswith(".keras"):
            raise InputError(f"init_from: {s.init_from!r} is no .keras file; an experiment's name needs the workflow")
        return s.init_from
    return init_model


def _callbacks(s: TrainingSettings) -> list:
    """The learning-rate log first, so it logs the rate the epoch ran with, before any reduction; then the
    callbacks whose counters the checkpoint keeps."""
    callbacks = [LearningRateLog()]
    if s.reduce_lr:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**s.reduce_lr))
    if s.early_stopping:
        stopping = {"monitor": s.monitor, "start_from_epoch": s.min_epochs, **s.early_stopping}
        callbacks.append(keras.callbacks.EarlyStopping(mode=mode(stopping["monitor"]), **stopping))
    return callbacks


def data_parallel(devices: int, batch_size: int) -> None:
    """Train on `devices` devices at once (Keras' DataParallel, JAX only): each batch is split evenly over them and
    their gradients averaged, so the training is the one device's (the same batch size and learning rate; see
    docs/hpc.md for scaling them), up to float rounding."""
    if devices == 1:
        return
    if keras.backend.backend() != "jax":
        raise InputError(f"training on {devices} devices needs the JAX backend (backend: jax or auto), not "
                         f"{keras.backend.backend()}")
    found = keras.distribution.list_devices()
    if len(found) < devices or batch_size % devices:
        raise InputError(f"training on {devices} devices needs that many ({len(found)} found: {found}) and a "
                         f"batch_size divisible by them ({batch_size})")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=found[:devices]))


def _batches(split, s: TrainingSettings, seed: int, n_classes: int, bootstrap: bool, devices: int = 1,
             feed_processes: int = 0):
    """Training batches (shuffled per epoch, class-weighted, one-hot; with `bootstrap` from a seeded resample with
    replacement) and validation batches, the image shape and the scale the model applies; on several `devices`,
    batches that split evenly over them."""
    x_train, y_train, _, scale = load_split(split, "train")
    x_valid, y_valid, _, _ = load_split(split, "valid")
    sample = bootstrap_sample(len(y_train), seed) if bootstrap else np.arange(len(y_train))
    weights = class_weights(y_train[sample], s.class_weight, n_classes)
    batches = ImageBatches(x_train, y_train, s.batch_size, shuffle=True, seed=seed, class_weights=weights,
                           classes=n_classes, sample=sample, corrupt=s.corrupt, corrupt_rate=s.corrupt_rate,
                           multiple_of=devices, feed_processes=feed_processes)
    if feed_processes and s.corrupt:
        print(f"{feed_processes} feed processes draw the training corruptions ahead of the steps")
    valid_batch = inference_batch(s.batch_size, x_valid.shape[1:]) // devices * devices  # even over the devices
    valid = ImageBatches(x_valid, y_valid, valid_batch, classes=n_classes, multiple_of=devices)
    return batches, valid, x_train.shape[1:], scale


def bootstrap_sample(n: int, seed: int) -> np.ndarray:
    """n positions drawn from range(n) with replacement, seeded by the run's seed (and not its weights' stream)."""
    return np.random.default_rng([seed, 0xB007]).integers(0, n, n)


def _fit_remaining_epochs(net, s: TrainingSettings, batches, valid, callbacks, checkpoint) -> None:
    """The frozen epochs (if any are left), then the rest, from wherever the checkpoint stands."""

    def fit(epochs):
        net.fit(
            batches,
            shuffle=False,  # the batches come in their own seeded order
            epochs=epochs,
            initial_epoch=checkpoint.state["epochs_done"],
            validation_data=valid,
            callbacks=[batches.follow_epochs(), *callbacks, checkpoint],  # the checkpoint last: it saves the rest
            verbose=2,
        )

    try:
        if not checkpoint.finished and checkpoint.state["epochs_done"] < s.freeze_epochs:
            fit(s.freeze_epochs)
        if not checkpoint.finished and not net.layers[0].trainable:  # after the frozen epochs, or resumed there
            unfreeze(net, s, len(batches))
        if not checkpoint.finished:
            fit(s.epochs)
    finally:
        batches.close()  # its feed processes, if any


def _write_outputs(net, s: TrainingSettings, checkpoint, model_out, history_out) -> pd.DataFrame:
    with atomic_output(model_out) as tmp:
        if s.keep_best:
            shutil.copyfile(checkpoint.saved_model(best=True), tmp)
        else:
            net.save(tmp)  # not the checkpoint: EarlyStopping may have restored its best weights
    history = pd.DataFrame(checkpoint.state["history"]).set_index("epoch")[HISTORY_COLUMNS]
    with atomic_output(history_out) as tmp:
        history.to_csv(tmp)
    return history
