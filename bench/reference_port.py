"""The reference chapter's code, ported to Keras 3 with no UI: the baseline every benchmark divides by.

Kept as close to the chapter as Keras 3 allows: `.shuffle().batch().prefetch().cache()`
(its pipeline order), `Nadam()`, the same model, `model.fit(..., epochs)` for
method 1, a `train_on_batch` / `test_on_batch` loop for method 2 (Keras 3 has no
`reset_metrics=` argument, and `model.optimizer.lr` is now `learning_rate`), and the
GradientTape loop for method 3. Each function returns a `Clock` (wall and process CPU
seconds) for every epoch, validation included.

One difference from the app is the chapter's own: caching *after* the shuffle stores
epoch 1's order, so later epochs replay it with no shuffle work (and the same batch
order every epoch). The app caches first and reshuffles every epoch.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from common import Clock
from keras import layers, losses, metrics, models, optimizers


def reference_datasets(x_train, y_train, x_test, y_test, batch_size=32):
    ds_train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(buffer_size=1000)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
        .cache()
    )
    ds_test = (
        tf.data.Dataset.from_tensor_slices((x_test, y_test))
        .shuffle(buffer_size=1000)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
        .cache()
    )
    return ds_train, ds_test


def create_model(max_words, cat_num, max_len):
    model = models.Sequential()
    model.add(keras.Input(shape=(max_len,)))
    model.add(layers.Embedding(max_words, 7))
    model.add(layers.Conv1D(filters=64, kernel_size=5, activation="relu"))
    model.add(layers.MaxPool1D(2))
    model.add(layers.Conv1D(filters=32, kernel_size=3, activation="relu"))
    model.add(layers.MaxPool1D(2))
    model.add(layers.Flatten())
    model.add(layers.Dense(cat_num, activation="softmax"))
    return model


def compile_model(model):
    model.compile(
        optimizer=optimizers.Nadam(),
        loss=losses.SparseCategoricalCrossentropy(),
        metrics=[metrics.SparseCategoricalAccuracy(), metrics.SparseTopKCategoricalAccuracy(5)],
    )
    return model


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = Clock.now()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(Clock.now().since(self._started))


def reference_fit(model, ds_train, ds_valid, epochs):
    timer = _EpochTimer()
    model.fit(ds_train, validation_data=ds_valid, epochs=epochs, callbacks=[timer], verbose=0)
    return timer.seconds


def reference_train_on_batch(model, ds_train, ds_valid, epochs):
    seconds = []
    for epoch in range(1, epochs + 1):
        started = Clock.now()
        model.reset_metrics()
        if epoch == 5:
            model.optimizer.learning_rate.assign(model.optimizer.learning_rate / 2.0)
        for x, y in ds_train:
            train_result = model.train_on_batch(x, y, return_dict=True)
        for x, y in ds_valid:
            valid_result = model.test_on_batch(x, y, return_dict=True)
        del train_result, valid_result
        seconds.append(Clock.now().since(started))
    return seconds


def reference_custom_loop(model, ds_train, ds_valid, epochs):
    optimizer = optimizers.Nadam()
    loss_func = losses.SparseCategoricalCrossentropy()
    train_loss = metrics.Mean(name="train_loss")
    train_metric = metrics.SparseCategoricalAccuracy(name="train_accuracy")
    valid_loss = metrics.Mean(name="valid_loss")
    valid_metric = metrics.SparseCategoricalAccuracy(name="valid_accuracy")

    @tf.function
    def train_step(model, features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            loss = loss_func(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss.update_state(loss)
        train_metric.update_state(labels, predictions)

    @tf.function
    def valid_step(model, features, labels):
        predictions = model(features)
        batch_loss = loss_func(labels, predictions)
        valid_loss.update_state(batch_loss)
        valid_metric.update_state(labels, predictions)

    seconds = []
    for _epoch in range(1, epochs + 1):
        started = Clock.now()
        for features, labels in ds_train:
            train_step(model, features, labels)
        for features, labels in ds_valid:
            valid_step(model, features, labels)
        for metric in (train_loss, valid_loss, train_metric, valid_metric):
            metric.reset_state()
        seconds.append(Clock.now().since(started))
    return seconds


def run_reference(method, data, epochs, batch_size=32):
    """Epoch times (wall and CPU) of the chapter's code for `method` on prepared arrays."""
    ds_train, ds_valid = reference_datasets(data.x_train, data.y_train, data.x_test, data.y_test, batch_size)
    model = create_model(data.vocab_size, data.num_classes, data.max_len)
    if method == "fit":
        return reference_fit(compile_model(model), ds_train, ds_valid, epochs)
    if method == "train_on_batch":
        return reference_train_on_batch(compile_model(model), ds_train, ds_valid, epochs)
    return reference_custom_loop(model, ds_train, ds_valid, epochs)
