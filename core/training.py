"""The trainers, one contract: settings + data + hooks -> TrainedRun (the record and the model).

    train_with_fit                model.compile + model.fit, control through Keras callbacks
    train_with_batches            a Python loop of train_on_batch / test_on_batch, LR halved at an epoch
    train_with_custom_loop        tf.GradientTape in a tf.function, no compile at all
    train_with_custom_train_step  model.fit on a keras.Model subclass whose train_step is ours
                                  (in core/custom_train_step.py, built on what this module shares)

Each is registered, with its page and texts, in core/methods.py. Everything the trainers share and that is *not* the method being taught lives in
`TrainingRun`: building the seeded model and the tf.data batches, timing,
progress, the stop signal, turning an epoch's figures into an `EpochRow`, and
ending the record as finished / stopped / failed. So reading a trainer's source
(which the app shows) shows exactly its method and nothing else.

Thread safety: several runs train at once in one web server. Nothing here
touches process-wide state: no clear_session(), no global seeds (initial
weights come from seeded initializers, the shuffle order from the dataset's
own seed), and every model, optimizer, metric and tf.function belongs to one run.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from core import methods
from core.data import PreparedData, make_datasets
from core.model import build_model
from core.records import EpochRow, RunRecord, now_iso
from core.run_files import CALLBACKS_FILE, callbacks_source, collect_files, logging_callbacks
from core.settings import RunSettings
from core.states import MessageCode, RunMessage, RunStatus

# on_batch(epoch, batches_done, batches_per_epoch): called after every executed step.
BatchCallback = Callable[[int, int, int], None]
# on_epoch(row): called once per finished epoch, train and validation figures included.
EpochCallback = Callable[[EpochRow], None]
# A step's figures by metric name ("loss", "accuracy", ...), or a function that reads them when needed.
Figures = Mapping[str, Any] | Callable[[], Mapping[str, Any]]
# hold(): a prepared run waits here after its first step until Train is pressed; returns the seconds it waited.
HoldCallback = Callable[[], float]


class StopRequested(Exception):
    """Raised between two batches when the stop signal is set."""


class NonFiniteLoss(Exception):
    """The loss became NaN or infinite: the run cannot recover, so it ends."""


def _ignore_batch(epoch: int, done: int, total: int) -> None:
    pass


def _ignore_epoch(row: EpochRow) -> None:
    pass


@dataclass
class RunHooks:
    """How a run talks to whoever started it: progress out, stop in, and the record to fill."""

    on_batch: BatchCallback = _ignore_batch
    on_epoch: EpochCallback = _ignore_epoch
    stop: threading.Event = field(default_factory=threading.Event)
    # The one record of this run, made by the caller (a job shows it live); None: the run makes one.
    record: RunRecord | None = None
    # Prepared runs only: called once, after the first step ran and before it is counted.
    hold: HoldCallback | None = None


@dataclass
class TrainedRun:
    """What every trainer returns: the run's record, and its model when it learned something usable."""

    record: RunRecord
    model: keras.Model | None  # None when the run failed or ended before its first epoch
    files: dict[str, bytes] = field(default_factory=dict)  # what its callbacks wrote, and which ran (core.run_files)


def new_accuracy_metrics() -> list[keras.metrics.Metric]:
    """The two metrics every method reports, named the same everywhere."""
    return [
        keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"),
    ]


class TrainingRun:
    """What the trainers share: model, batches, timing, progress, stop, the record."""

    def __init__(self, settings: RunSettings, data: PreparedData, hooks: RunHooks | None, method: str):
        self.settings = settings.validate()
        hooks = hooks or RunHooks()
        self.on_batch, self.on_epoch, self.stop, self.hold = hooks.on_batch, hooks.on_epoch, hooks.stop, hooks.hold
        self.record = hooks.record or RunRecord.start(method, settings.with_method(method).to_dict())
        if data.max_len != settings.max_len:
            raise ValueError(f"data is padded to {data.max_len} tokens but the settings ask for {settings.max_len}")
        # Same seed -> same initial weights and same batch order, for every method.
        self.model = build_model(settings, data.vocab_size, data.num_classes)
        self.train_batches, self.valid_batches = make_datasets(data, settings.batch_size, settings.shuffle_buffer, settings.seed)
        self.batches_per_epoch = math.ceil(len(data.y_train) / settings.batch_size)
        self.epoch = 0
        self.batches_done = 0
        self.steps_done = 0  # over the whole run: the x axis of the per-batch curve
        self.learning_rate = settings.learning_rate
        self._epoch_started = time.perf_counter()
        self._files_folder: tempfile.TemporaryDirectory | None = None  # made when a callback writes files
        self._callbacks_source: str | None = None

    def logging_callbacks(self) -> list[keras.callbacks.Callback]:
        """The logging callbacks the settings ask for (fit's CSVLogger, TensorBoard), writing into the run's folder."""
        if not (self.settings.csv_logger or self.settings.tensorboard_callback):
            return []
        self._files_folder = tempfile.TemporaryDirectory(prefix="run-files-")
        return logging_callbacks(self.settings, Path(self._files_folder.name))

    def note_callbacks(self, callbacks: list[keras.callbacks.Callback]) -> list[keras.callbacks.Callback]:
        """Keep the `callbacks=[...]` list as it runs, for the page to show; returns it unchanged."""
        folder = Path(self._files_folder.name) if self._files_folder is not None else None
        self._callbacks_source = callbacks_source(callbacks, folder)
        return callbacks

    def begin_epoch(self, epoch: int, learning_rate: float) -> None:
        self.check_stop()
        self.epoch, self.batches_done = epoch, 0
        # Optimizer variables are float32: round off the float64 noise (0.0010000000474974513).
        self.learning_rate = float(f"{float(learning_rate):.7g}")
        self._epoch_started = time.perf_counter()

    def batches_finished(self, count: int = 1, logs: Figures | None = None, running: Figures | None = None) -> None:
        """After each training step (or group of steps): keep its figures, publish progress, honour Stop.

        `logs` is what the method reports for the step(s), `running` the mean over the epoch so far
        (the same as `logs` where the method reports running means). Either may be a function that
        gives them, so reading them back from TensorFlow only costs on the steps the curve keeps.
        """
        if self.hold is not None:
            # A prepared run: its model was built and its first step traced and run while the
            # visitor read the page. It waits here until Train; the wait is not the epoch's time.
            hold, self.hold = self.hold, None
            self._epoch_started += hold()
            self.check_stop()
        self.batches_done = min(self.batches_done + count, self.batches_per_epoch)
        self.steps_done += count
        if logs is not None and self.record.wants_batch(self.steps_done):
            reported = logs() if callable(logs) else logs
            mean = running if running is not None else reported
            self.record.add_batch(self.steps_done, self.epoch, reported, mean() if callable(mean) else mean)
        self.on_batch(self.epoch, self.batches_done, self.batches_per_epoch)
        self.check_stop()

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise StopRequested

    def end_epoch(self, train: dict[str, float], valid: dict[str, float]) -> EpochRow:
        row = EpochRow(
            epoch=self.epoch,
            loss=float(train["loss"]),
            accuracy=float(train["accuracy"]),
            top5_accuracy=float(train["top5_accuracy"]),
            val_loss=float(valid["loss"]),
            val_accuracy=float(valid["accuracy"]),
            val_top5_accuracy=float(valid["top5_accuracy"]),
            learning_rate=self.learning_rate,
            seconds=time.perf_counter() - self._epoch_started,
            finished_at=now_iso(),
        )
        if not row.is_finite():
            raise NonFiniteLoss(
                f"The loss became {row.loss} in epoch {row.epoch}, so the weights are no longer numbers "
                "and training cannot go on. Try a smaller learning rate."
            )
        self.record.epochs.append(row)
        self.on_epoch(row)
        return row

    @contextmanager
    def ending_the_record(self) -> Iterator[None]:
        """Turn how the loop ended into the record's status; completed epochs are always kept."""
        try:
            yield
        except StopRequested:
            stopped = (
                RunMessage(MessageCode.STOPPED_DURING, {"epoch": self.epoch})
                if self.epoch
                else RunMessage(MessageCode.STOPPED_BEFORE_FIRST)
            )
            self.record.end(RunStatus.STOPPED, stopped)
        except NonFiniteLoss as error:
            self.record.end(RunStatus.FAILED, RunMessage.plain(str(error)))
        except Exception as error:  # noqa: BLE001 - a run must end with a record, whatever broke
            self.record.end(RunStatus.FAILED, RunMessage.of_error(error))
        else:
            done = len(self.record.epochs)
            early = done < self.settings.epochs
            self.record.end(RunStatus.FINISHED, RunMessage(MessageCode.EARLY_STOPPING, {"epoch": done}) if early else None)

    def outcome(self) -> TrainedRun:
        """The record, the model when it learned something usable (a failed run's may hold NaN), and the run's files."""
        usable = self.record.status in (RunStatus.FINISHED, RunStatus.STOPPED) and bool(self.record.epochs)
        files = {}
        if self._files_folder is not None:
            with self._files_folder as folder:  # removed once read
                files = collect_files(Path(folder))
        if self._callbacks_source is not None:
            files[CALLBACKS_FILE] = self._callbacks_source.encode()
        return TrainedRun(self.record, self.model if usable else None, files)


@dataclass
class BatchAverages:
    """Epoch figures from per-batch results, each batch weighted by its size (as fit weights them)."""

    total_weight: float = 0.0
    sums: dict[str, float] | None = None

    def add(self, logs: dict[str, float], batch_size: int) -> None:
        self.sums = self.sums or {}
        for name, value in logs.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value) * batch_size
        self.total_weight += batch_size

    def means(self) -> dict[str, float]:
        return {name: total / self.total_weight for name, total in (self.sums or {}).items()}


# ---------------------------------------------------------------------------
# Method 1: model.fit, with control through callbacks


class ReportToRun(keras.callbacks.Callback):
    """Forwards fit's progress and epoch logs to the run, and raises to stop mid-epoch."""

    def __init__(self, run: TrainingRun):
        super().__init__()
        self.run = run

    def on_epoch_begin(self, epoch, logs=None):
        self.run.begin_epoch(epoch + 1, self.model.optimizer.learning_rate)

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the last step run; with steps_per_execution > 1 fit calls this once per group.
        self.run.batches_finished(batch + 1 - self.run.batches_done, logs)  # fit's logs: running means

    def on_test_batch_end(self, batch, logs=None):
        self.run.check_stop()

    def on_epoch_end(self, epoch, logs=None):
        train = {name: logs[name] for name in ("loss", "accuracy", "top5_accuracy")}
        valid = {name: logs["val_" + name] for name in ("loss", "accuracy", "top5_accuracy")}
        self.run.end_epoch(train, valid)


def fit_control_callbacks(settings: RunSettings) -> list[keras.callbacks.Callback]:
    """The optional callbacks the fit page offers to show control through callbacks."""
    callbacks: list[keras.callbacks.Callback] = []
    if settings.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.early_stopping_patience))
    if settings.reduce_lr_patience:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=settings.reduce_lr_patience))
    return callbacks


def train_with_fit(settings: RunSettings, data: PreparedData, hooks: RunHooks | None = None) -> TrainedRun:
    run = TrainingRun(settings, data, hooks, method="fit")
    model = run.model
    with run.ending_the_record():
        model.compile(
            optimizer=keras.optimizers.Nadam(settings.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=new_accuracy_metrics(),
            steps_per_execution=settings.steps_per_execution,
        )
        # fit owns the loop; we steer it only through callbacks.
        model.fit(
            run.train_batches,
            validation_data=run.valid_batches,
            epochs=settings.epochs,
            # Without steps_per_epoch, Keras 3.15 opens a spare iterator at each epoch's end and
            # so skips every other shuffle order; with it, fit sees the same batches as the loops.
            steps_per_epoch=run.batches_per_epoch,
            callbacks=run.note_callbacks([ReportToRun(run), *fit_control_callbacks(settings), *run.logging_callbacks()]),
            verbose=0,
        )
    return run.outcome()


# ---------------------------------------------------------------------------
# Method 2: train_on_batch / test_on_batch, one batch at a time


def train_with_batches(settings: RunSettings, data: PreparedData, hooks: RunHooks | None = None) -> TrainedRun:
    run = TrainingRun(settings, data, hooks, method="train_on_batch")
    model = run.model
    group = settings.steps_per_execution  # 1: the chapter's loop; more: the speed option below
    with run.ending_the_record():
        model.compile(
            optimizer=keras.optimizers.Nadam(settings.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=new_accuracy_metrics(),
            steps_per_execution=group,
        )
        for epoch in range(1, settings.epochs + 1):
            # Finer control than fit: lower the learning rate late in training, between any two batches.
            if epoch == settings.lr_halving_epoch:
                model.optimizer.learning_rate.assign(model.optimizer.learning_rate / 2.0)
            run.begin_epoch(epoch, model.optimizer.learning_rate)

            if group == 1:
                # Keras 3.15 resets the metrics at every call, so each result is one batch's:
                # we average them ourselves to report the same epoch figures as fit.
                train = BatchAverages()
                for x, y in run.train_batches:
                    logs = model.train_on_batch(x, y, return_dict=True)  # this batch's figures alone
                    train.add(logs, len(y))
                    run.batches_finished(logs=logs, running=train.means)
                valid = BatchAverages()
                for x, y in run.valid_batches:
                    valid.add(model.test_on_batch(x, y, return_dict=True), len(y))
                    run.check_stop()
                train_figures, valid_figures = train.means(), valid.means()
            else:
                # Speed option: call the compiled function that train_on_batch wraps on `group`
                # batches at a time, as fit does. Its metrics add up until reset, so the epoch's last
                # result holds the epoch's figures: the same numbers, fewer Python round trips.
                model.make_train_function()  # built once (train_on_batch builds it on its first call)
                model.reset_metrics()
                batches = iter(run.train_batches)
                for _ in range(0, run.batches_per_epoch, group):
                    train_figures = model.train_function(batches)
                    run.batches_finished(group, logs=train_figures)  # running means, as fit's
                valid_figures = model.evaluate(run.valid_batches, return_dict=True, verbose=0)

            run.end_epoch(train_figures, valid_figures)
    return run.outcome()


# ---------------------------------------------------------------------------
# Method 3: a custom loop with tf.GradientTape, no compile


def train_with_custom_loop(settings: RunSettings, data: PreparedData, hooks: RunHooks | None = None) -> TrainedRun:
    run = TrainingRun(settings, data, hooks, method="custom_loop")
    model = run.model
    optimizer = keras.optimizers.Nadam(settings.learning_rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    # Metrics are created once, updated every batch, read and reset every epoch.
    train_loss, valid_loss = keras.metrics.Mean(name="loss"), keras.metrics.Mean(name="loss")
    train_metrics, valid_metrics = [train_loss, *new_accuracy_metrics()], [valid_loss, *new_accuracy_metrics()]

    @tf.function(reduce_retracing=True)
    def train_step(features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)  # (batch, 46) topic probabilities
            loss = loss_fn(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        # Weight the loss by batch size, as fit does, so the short last batch counts less.
        train_loss.update_state(loss, sample_weight=tf.shape(labels)[0])
        for metric in train_metrics[1:]:
            metric.update_state(labels, predictions)

    @tf.function(reduce_retracing=True)
    def valid_step(features, labels):
        predictions = model(features, training=False)
        valid_loss.update_state(loss_fn(labels, predictions), sample_weight=tf.shape(labels)[0])
        for metric in valid_metrics[1:]:
            metric.update_state(labels, predictions)

    @tf.function
    def train_steps(batches, steps):
        # The speed option: several train steps per call, the same updates with fewer Python round trips.
        for _ in tf.range(steps):
            features, labels = next(batches)
            train_step(features, labels)

    with run.ending_the_record():
        for epoch in range(1, settings.epochs + 1):
            run.begin_epoch(epoch, optimizer.learning_rate)
            if settings.steps_per_execution == 1:
                for features, labels in run.train_batches:  # the chapter's loop: one step per batch
                    train_step(features, labels)
                    run.batches_finished(logs=lambda: {m.name: m.result() for m in train_metrics})
            else:
                batches = iter(run.train_batches)
                for first in range(0, run.batches_per_epoch, settings.steps_per_execution):
                    steps = min(settings.steps_per_execution, run.batches_per_epoch - first)
                    train_steps(batches, tf.constant(steps))
                    run.batches_finished(steps, logs=lambda: {m.name: m.result() for m in train_metrics})
            for features, labels in run.valid_batches:
                valid_step(features, labels)
                run.check_stop()

            run.end_epoch(
                {m.name: m.result() for m in train_metrics},
                {m.name: m.result() for m in valid_metrics},
            )
            for metric in train_metrics + valid_metrics:
                metric.reset_state()
    return run.outcome()


def train(settings: RunSettings, data: PreparedData, hooks: RunHooks | None = None) -> TrainedRun:
    """Run the trainer that `settings.method` names in the methods' registry (core/methods.py)."""
    return methods.trainer_function(settings.validate().method)(settings, data, hooks)


def run_training(
    settings: RunSettings,
    data: PreparedData,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    stop: threading.Event | None = None,
) -> RunRecord:
    """`train` for scripts and tests that want the record only (the model is dropped)."""
    hooks = RunHooks(on_batch or _ignore_batch, on_epoch or _ignore_epoch, stop or threading.Event())
    return train(settings, data, hooks).record
