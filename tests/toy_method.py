"""A toy fifth (or fourth) method for tests/test_method_registry.py: a trainer the registry can name.

It lives in a module of its own, as a real method's trainer would, so the home
page counts its lines and its page shows its source like any other.
"""

from __future__ import annotations

import keras

from core.training import ReportToRun, RunHooks, TrainedRun, TrainingRun, new_accuracy_metrics


def train_with_toy(settings, data, hooks: RunHooks | None = None) -> TrainedRun:
    run = TrainingRun(settings, data, hooks, method="toy")
    with run.ending_the_record():
        run.model.compile(
            optimizer=keras.optimizers.SGD(settings.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=new_accuracy_metrics(),
        )
        run.model.fit(
            run.train_batches,
            validation_data=run.valid_batches,
            epochs=settings.epochs,
            steps_per_epoch=run.batches_per_epoch,
            callbacks=[ReportToRun(run)],
            verbose=0,
        )
    return run.outcome()
