"""The reference model, built fresh for every run, with weights that depend on the seed alone.

Embedding(30982, 7) -> Conv1D(64, 5) -> MaxPool1D(2) -> Conv1D(32, 3) -> MaxPool1D(2)
-> Flatten -> Dense(46, softmax): 332,856 parameters at the defaults, as in the
chapter. Every initializer gets an explicit integer seed so two builds with the
same seed are identical without touching global random state, which other
threads (other users' runs) may be using at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from core.settings import RunSettings


@dataclass(frozen=True)
class LayerRow:
    """One line of the model summary, for display."""

    layer: str
    type: str
    output_shape: str
    parameters: int


# The chapter's MAX_WORDS and CAT_NUM on the real data.
REUTERS_VOCAB_SIZE = 30982
REUTERS_NUM_CLASSES = 46


def build_model(
    settings: RunSettings, vocab_size: int = REUTERS_VOCAB_SIZE, num_classes: int = REUTERS_NUM_CLASSES
) -> keras.Model:
    """A new, uncompiled model of the chapter's architecture with seeded initial weights.

    Only `settings.max_len` and `settings.seed` matter here; the sizes come
    from the data (`PreparedData.vocab_size`, `.num_classes`).
    """
    max_len, seed = settings.max_len, settings.seed

    def glorot(offset: int) -> keras.initializers.Initializer:
        # Seeded initializers give the same values on every call, from stateless ops.
        return keras.initializers.GlorotUniform(seed=seed * 10 + offset)

    model = keras.Sequential(
        [
            keras.Input(shape=(max_len,), dtype="int32"),
            layers.Embedding(
                vocab_size,
                7,
                embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seed * 10),
                name="embedding",
            ),  # (batch, max_len, 7)
            layers.Conv1D(64, 5, activation="relu", kernel_initializer=glorot(1), name="conv1d"),  # (batch, max_len-4, 64)
            layers.MaxPool1D(2, name="max_pooling1d"),
            layers.Conv1D(32, 3, activation="relu", kernel_initializer=glorot(2), name="conv1d_1"),
            layers.MaxPool1D(2, name="max_pooling1d_1"),
            layers.Flatten(name="flatten"),
            layers.Dense(num_classes, activation="softmax", kernel_initializer=glorot(3), name="dense"),  # (batch, 46)
        ],
        name="reuters_cnn",
    )
    return model


def summary_rows(model: keras.Model) -> list[LayerRow]:
    """The model summary as rows (layer, type, output shape, parameters)."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append(
            LayerRow(
                layer=layer.name,
                type=type(layer).__name__,
                output_shape=str(shape).replace("None", "batch"),
                parameters=int(layer.count_params()),
            )
        )
    return rows
