"""A trained model as a `.keras` file: what a student takes away and opens with `keras.saving.load_model`.

The app keeps a finished run's weights, not a Keras object (core.predictions.
TrainedModel), so the file is made on request: the run's architecture is built
again, the weights set, and the model compiled with what the run trained with
(Nadam at the run's learning rate, sparse categorical cross-entropy, accuracy
and top-5 accuracy), so the loaded model can `evaluate`, `predict` and `fit`
on at once. The custom loop compiles nothing while it trains; its file is
compiled the same way, because its optimizer, loss and metrics are the same.
The optimizer's own state (Nadam's moment estimates) is not kept after a run,
so training the loaded model further starts with a fresh optimizer.

Keras saves to a path only, so the file is written in a temporary folder and
read back: about 1.3 MB at the chapter's sizes, a fraction of a second.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.predictions import TrainedModel


def keras_file_name(trained: TrainedModel) -> str:
    """The download's name: the run id (letters, digits, dots, dashes only) and the extension Keras requires."""
    return f"{trained.run_id}.keras"


def keras_file_bytes(trained: TrainedModel) -> bytes:
    """The model of a run as the bytes of a `.keras` file, compiled as the run trained (see the module's text)."""
    import keras

    from core.training import new_accuracy_metrics

    model = trained.build()
    model.compile(
        optimizer=keras.optimizers.Nadam(float(trained.settings["learning_rate"])),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=new_accuracy_metrics(),
    )
    # Loading builds the optimizer's variables; saved unbuilt, Keras would warn that it skips them.
    model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory(prefix="keras-file-") as folder:
        path = Path(folder) / keras_file_name(trained)
        model.save(path)
        return path.read_bytes()
