"""Method 4: fit with your own train_step, as Keras' guide "Customizing what happens in fit()" writes it.

A `keras.Model` subclass overrides `train_step` with a `tf.GradientTape` step,
and `fit` runs everything else: the loop, validation, `steps_per_execution`
and the callbacks, so progress, Stop and the fit page's control callbacks work
as they do for `fit`. The step does what fit's built-in one does (the loss
weighted by batch size included), so from the same seed the figures are fit's.
What it shares with the other trainers (the run, the metrics, the callbacks)
comes from core.training; the methods' registry (core/methods.py) names it.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from core.data import PreparedData
from core.settings import RunSettings
from core.training import ReportToRun, RunHooks, TrainedRun, TrainingRun, fit_control_callbacks, new_accuracy_metrics


class CustomTrainStep(keras.Model):
    """The chapter's network with its own training step: fit calls `train_step` once per batch."""

    def train_step(self, data):
        features, labels = data
        with tf.GradientTape() as tape:
            predictions = self(features, training=True)  # (batch, 46) topic probabilities
            loss = self.compute_loss(y=labels, y_pred=predictions)  # the loss given to compile()
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        # fit resets these when an epoch starts; they hold the running means over the epoch so far.
        for metric in self.metrics:
            if metric.name == "loss":
                # Weighted by batch size, as fit's own step does, so the short last batch counts less.
                metric.update_state(loss, sample_weight=tf.shape(labels)[0])
            else:
                metric.update_state(labels, predictions)  # accuracy and top-5, from compile()
        return self.get_metrics_result()  # {"loss": ..., "accuracy": ..., "top5_accuracy": ...}


def train_with_custom_train_step(settings: RunSettings, data: PreparedData, hooks: RunHooks | None = None) -> TrainedRun:
    run = TrainingRun(settings, data, hooks, method="custom_train_step")
    # The same layers, so the same seeded weights, in a model whose training step is ours.
    model = CustomTrainStep(run.model.inputs, run.model.outputs)
    with run.ending_the_record():
        model.compile(
            optimizer=keras.optimizers.Nadam(settings.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=new_accuracy_metrics(),
            steps_per_execution=settings.steps_per_execution,
        )
        # Everything but the step is still fit's: the loop, validation, callbacks, progress and Stop.
        model.fit(
            run.train_batches,
            validation_data=run.valid_batches,
            epochs=settings.epochs,
            steps_per_epoch=run.batches_per_epoch,
            callbacks=[ReportToRun(run), *fit_control_callbacks(settings)],
            verbose=0,
        )
    return run.outcome()
