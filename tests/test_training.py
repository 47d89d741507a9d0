"""The trainers on tiny data: same figures, same callbacks, same ways of ending.

One contract for every method: settings + data + on_batch/on_epoch + a
stop Event in, a RunRecord out. The fixture file has 192 training newswires,
so at batch size 16 an epoch is 12 batches and takes a fraction of a second.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

import keras
import numpy as np
import pytest
from support import BATCHES_PER_EPOCH, Recorder, figures

from core import methods, training
from core.records import EpochRow
from core.settings import RunSettings, SettingsError
from core.states import MessageCode, RunMessage
from core.training import fit_control_callbacks, run_training

METHODS = methods.names()


@pytest.fixture(scope="module")
def three_runs(tiny_data):
    """Each method once, 3 epochs at the tiny settings, with its callbacks recorded."""
    settings = RunSettings(epochs=3, batch_size=16, max_len=40, lr_halving_epoch=None)
    runs = {}
    for method in METHODS:
        recorder = Recorder()
        record = run_training(settings.with_method(method), tiny_data, recorder.on_batch, recorder.on_epoch)
        runs[method] = (record, recorder)
    return runs


# ---------------------------------------------------------------------------
# Fairness: the same figures whatever the method


def test_every_method_finishes(three_runs):
    for method, (record, _) in three_runs.items():
        assert record.method == method  # run_training dispatched on settings.method
        assert record.settings["method"] == method
        assert record.status == "finished", record.message
        assert not record.message
        assert [row.epoch for row in record.epochs] == [1, 2, 3]
        assert record.ended_at is not None


@pytest.mark.parametrize("method", [m for m in METHODS if m != "fit"])
def test_same_figures_as_fit(three_runs, method):
    fit_figures = figures(three_runs["fit"][0], 4)
    assert figures(three_runs[method][0], 4) == fit_figures
    # And the run learned something, so agreement is not just three copies of the initial state.
    assert fit_figures[-1][0] < fit_figures[0][0]


def test_learning_rate_halves_when_its_epoch_starts(tiny_data, tiny_settings, three_runs):
    settings = replace(tiny_settings, method="train_on_batch", lr_halving_epoch=2)
    record = run_training(settings, tiny_data)
    assert [row.learning_rate for row in record.epochs] == [0.001, 0.0005]
    fit_figures = figures(three_runs["fit"][0], 4)
    halved = figures(record, 4)
    assert halved[0] == fit_figures[0]
    assert halved[1][:6] != fit_figures[1][:6]


def test_learning_rate_halving_in_the_first_epoch(tiny_data, tiny_settings):
    record = run_training(replace(tiny_settings, method="train_on_batch", lr_halving_epoch=1), tiny_data)
    assert [row.learning_rate for row in record.epochs] == [0.0005, 0.0005]


def test_on_batch_counts_every_batch_of_every_epoch(three_runs):
    expected = [(epoch, done, BATCHES_PER_EPOCH) for epoch in (1, 2, 3) for done in range(1, BATCHES_PER_EPOCH + 1)]
    for method, (_, recorder) in three_runs.items():
        assert recorder.batches == expected, method


def test_on_epoch_once_per_epoch_with_the_recorded_row(three_runs):
    for method, (record, recorder) in three_runs.items():
        assert all(isinstance(row, EpochRow) for row in recorder.rows)
        assert recorder.rows == record.epochs, method


def test_steps_per_execution_reports_each_group_and_changes_no_figure(tiny_data, three_runs):
    recorder = Recorder()
    settings = RunSettings(epochs=3, batch_size=16, max_len=40, lr_halving_epoch=None, steps_per_execution=5)
    record = run_training(settings, tiny_data, recorder.on_batch)
    assert recorder.batches == [(epoch, done, 12) for epoch in (1, 2, 3) for done in (5, 10, 12)]
    assert figures(record, 4) == figures(three_runs["fit"][0], 4)


# ---------------------------------------------------------------------------
# How a run ends: stop, non-finite loss, an error, early stopping


@pytest.mark.parametrize("method", METHODS)
def test_stop_during_epoch_2(tiny_data, tiny_settings, method):
    stop = threading.Event()
    recorder = Recorder()

    def on_batch(epoch, done, total):
        recorder.on_batch(epoch, done, total)
        if (epoch, done) == (2, 3):
            stop.set()

    settings = replace(tiny_settings, method=method, epochs=3)
    record = run_training(settings, tiny_data, on_batch, recorder.on_epoch, stop)
    assert record.status == "stopped"
    assert record.message == RunMessage(MessageCode.STOPPED_DURING, {"epoch": 2})
    assert [row.epoch for row in record.epochs] == [1]
    assert len(recorder.rows) == 1
    # At most one more batch may finish after the stop was asked for.
    stopped_at = recorder.batches.index((2, 3, BATCHES_PER_EPOCH))
    assert len(recorder.batches) - stopped_at - 1 <= 1
    assert recorder.batches[-1][0] == 2


@pytest.mark.parametrize("method", METHODS)
def test_stop_before_the_first_batch(tiny_data, tiny_settings, method):
    stop = threading.Event()
    stop.set()
    recorder = Recorder()
    record = run_training(replace(tiny_settings, method=method), tiny_data, recorder.on_batch, recorder.on_epoch, stop)
    assert record.status == "stopped"
    assert record.epochs == [] and recorder.batches == []


@pytest.fixture
def poisoned_in_epoch_2(monkeypatch):
    """Make the weights stop being numbers at the start of epoch 2, as a diverging run's do.

    Within the allowed learning rates (at most 1.0) Nadam's bounded steps do
    not overflow float32 on the tiny data (the loss reaches about 4,000 and
    stays finite), so the divergence is produced directly: the trainer's own
    model gets infinite embeddings after epoch 1's last batch.
    """
    models = []
    real_build_model = training.build_model

    def build_and_keep(*args, **kwargs):
        model = real_build_model(*args, **kwargs)
        models.append(model)
        return model

    monkeypatch.setattr(training, "build_model", build_and_keep)

    def on_batch(epoch, done, total):
        if (epoch, done) == (2, 1):
            embeddings = models[-1].get_layer("embedding").embeddings
            embeddings.assign(np.full(embeddings.shape, np.inf, dtype="float32"))

    return on_batch


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_loss_fails_the_run(tiny_data, tiny_settings, poisoned_in_epoch_2, method):
    record = run_training(replace(tiny_settings, method=method, epochs=3), tiny_data, poisoned_in_epoch_2)
    assert record.status == "failed"
    assert "learning rate" in str(record.message)
    assert "epoch 2" in str(record.message)
    # Epoch 1 finished before the poisoning and is kept.
    assert len(record.epochs) == 1 and record.epochs[0].is_finite()


@pytest.mark.parametrize("method", METHODS)
def test_an_error_in_epoch_2_fails_the_run_and_keeps_epoch_1(tiny_data, tiny_settings, method):
    def on_batch(epoch, done, total):
        if epoch == 2 and done == 2:
            raise RuntimeError("the disk caught fire")

    record = run_training(replace(tiny_settings, method=method, epochs=3), tiny_data, on_batch)
    assert record.status == "failed"
    assert record.message == RunMessage.plain("RuntimeError: the disk caught fire")
    assert [row.epoch for row in record.epochs] == [1]
    assert record.ended_at is not None


def test_control_callbacks_follow_the_settings():
    assert fit_control_callbacks(RunSettings()) == []
    early, reduce = fit_control_callbacks(RunSettings(early_stopping_patience=3, reduce_lr_patience=2))
    assert isinstance(early, keras.callbacks.EarlyStopping)
    assert (early.monitor, early.patience) == ("val_loss", 3)
    assert isinstance(reduce, keras.callbacks.ReduceLROnPlateau)
    assert (reduce.monitor, reduce.patience, reduce.factor) == ("val_loss", 2, 0.5)


# A rate ten times the default overfits the 192 tiny newswires at once: val_loss rises from epoch 2.
OVERFITTING = RunSettings(epochs=8, batch_size=16, max_len=40, lr_halving_epoch=None, learning_rate=0.01)


def test_early_stopping_ends_fit_early(tiny_data):
    record = run_training(replace(OVERFITTING, early_stopping_patience=1), tiny_data)
    done = len(record.epochs)
    assert record.status == "finished"
    assert 2 <= done < OVERFITTING.epochs
    assert record.message == RunMessage(MessageCode.EARLY_STOPPING, {"epoch": done})
    # Keras's rule: the last epoch did not improve on the best val_loss before it.
    val_losses = [row.val_loss for row in record.epochs]
    assert val_losses[-1] >= min(val_losses[:-1])


def test_reduce_lr_on_plateau_lowers_the_rate(tiny_data):
    record = run_training(replace(OVERFITTING, epochs=4, reduce_lr_patience=1), tiny_data)
    rates = [row.learning_rate for row in record.epochs]
    assert record.status == "finished" and len(rates) == 4
    assert rates[0] == 0.01
    assert min(rates) < 0.01
    for before, after in itertools.pairwise(rates):
        assert after in (before, pytest.approx(before / 2))


# ---------------------------------------------------------------------------
# Runs side by side, dispatch, validation


def test_two_runs_at_once_give_what_they_give_one_after_the_other(tiny_data, tiny_settings):
    """Nothing is shared between runs: no global seed, no shared model, optimizer or metric.

    Compared to 6 decimals: a leak between runs changes figures in the second
    or first decimal, while float32 noise would sit far below the sixth.
    """
    first = replace(tiny_settings, method="custom_loop", seed=1)
    second = replace(tiny_settings, method="fit", seed=2)
    one_after_the_other = [figures(run_training(s, tiny_data), 6) for s in (first, second)]

    results, errors = {}, []

    def train(index, settings):
        try:
            results[index] = figures(run_training(settings, tiny_data), 6)
        except BaseException as error:  # noqa: BLE001 - surfaced below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=train, args=(i, s)) for i, s in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert [results[0], results[1]] == one_after_the_other
    assert one_after_the_other[0] != one_after_the_other[1]


def test_train_dispatches_on_the_method(tiny_data, tiny_settings, monkeypatch):
    calls = []
    for method in METHODS:
        entry = methods.method(method)
        monkeypatch.setattr(
            methods.source_module(entry), entry.trainer, lambda s, *rest, m=method: calls.append((m, s.method)) or m
        )
    for method in METHODS:
        assert training.train(tiny_settings.with_method(method), tiny_data) == method
    assert calls == [(m, m) for m in METHODS]


def test_the_record_handed_in_is_the_one_filled(tiny_data, tiny_settings):
    """One record per run: the caller's object is the run's record, filled epoch by epoch, not a copy."""
    from core.records import RunRecord

    record = RunRecord.start("custom_loop", tiny_settings.with_method("custom_loop").to_dict(), fingerprint="f" * 32)
    seen = []
    hooks = training.RunHooks(on_epoch=lambda row: seen.append(len(record.epochs)), record=record)
    trained = training.train(tiny_settings.with_method("custom_loop"), tiny_data, hooks)
    assert trained.record is record and record.status == "finished" and record.fingerprint == "f" * 32
    assert seen == [1, 2]  # each epoch is in the record before anyone is told of it
    assert trained.model is not None and trained.model.count_params() > 0


def test_invalid_settings_raise_before_any_training(tiny_data, tiny_settings, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was built for invalid settings")

    monkeypatch.setattr(training, "build_model", no_model)
    with pytest.raises(SettingsError, match="epochs must be between"):
        run_training(replace(tiny_settings, epochs=0), tiny_data)
    with pytest.raises(SettingsError, match="method must be one of"):
        run_training(replace(tiny_settings, method="adam"), tiny_data)
    # Calling a trainer directly validates too.
    with pytest.raises(SettingsError, match="learning_rate"):
        training.train_with_custom_loop(replace(tiny_settings, learning_rate=-1.0), tiny_data)


def test_data_padded_to_another_length_is_refused(tiny_data, tiny_settings):
    with pytest.raises(ValueError, match="padded to 40 tokens but the settings ask for 50"):
        run_training(replace(tiny_settings, max_len=50), tiny_data)


def test_fit_with_its_own_train_step_gives_fits_figures_to_6_decimals(three_runs):
    """Its train_step does what fit's own does (the loss weighted by batch size included): every figure agrees."""
    from core.compare import method_agreement

    fit, step = three_runs["fit"][0], three_runs["custom_train_step"][0]
    assert figures(step, 6) == figures(fit, 6)
    assert [point[:2] for point in step.batches] == [point[:2] for point in fit.batches]
    assert [point[2:] for point in step.batches] == pytest.approx([point[2:] for point in fit.batches], abs=5e-7)
    [agreement] = method_agreement([fit, step])  # what Compare says about the pair
    assert agreement.same_math and agreement.decimals == 6, agreement


def test_fit_with_its_own_train_step_agrees_with_fit_with_several_steps_per_call(tiny_data, tiny_settings):
    """steps_per_execution is fit's: it runs our train_step several times per compiled call, with the same result."""
    settings = replace(tiny_settings, steps_per_execution=4, early_stopping_patience=1, reduce_lr_patience=1)
    fit = run_training(settings.with_method("fit"), tiny_data)
    step = run_training(settings.with_method("custom_train_step"), tiny_data)
    assert step.status == "finished" and figures(step, 6) == figures(fit, 6)  # fit's callbacks act on it alike


def test_fit_with_its_own_train_step_hands_back_the_trained_model(tiny_data, tiny_settings):
    """The subclass shares the run's layers: the model handed back (for predictions, downloads) is the trained one."""
    trained = training.train(tiny_settings.with_method("custom_train_step"), tiny_data)
    probabilities = trained.model.predict(tiny_data.x_test, verbose=0)  # (48, 46)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == tiny_data.y_test))
    assert accuracy == pytest.approx(trained.record.epochs[-1].val_accuracy, abs=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_records_a_bounded_per_batch_curve(tiny_data, tiny_settings, method, monkeypatch):
    """Per-batch figures for every method: what the method reports, and the running mean over the epoch."""
    import core.records

    monkeypatch.setattr(core.records, "MAX_BATCH_POINTS", 8)  # 2 epochs x 12 batches: the stride must double
    record = run_training(replace(tiny_settings, method=method), tiny_data)
    steps = [point[0] for point in record.batches]
    assert record.batch_stride == 4 and steps == list(range(4, 25, 4))
    assert [point[1] for point in record.batches] == [1, 1, 1, 2, 2, 2]
    for _step, _epoch, loss, accuracy, mean_loss, mean_accuracy in record.batches:
        assert loss > 0 and 0 <= accuracy <= 1 and mean_loss > 0 and 0 <= mean_accuracy <= 1
    last_of_epoch = {point[1]: point for point in record.batches}
    for row in record.epochs:  # the running mean at an epoch's last step is the epoch's training figure
        assert last_of_epoch[row.epoch][4] == pytest.approx(row.loss, rel=1e-5)
    if method == "train_on_batch":  # Keras 3.15: each train_on_batch result is that one batch's
        assert any(abs(p[2] - p[4]) > 1e-6 for p in record.batches)
    else:  # fit, the custom loop and fit with its own train_step report running means
        assert all(p[2] == pytest.approx(p[4], rel=1e-6) for p in record.batches)
