"""The speed option (`steps_per_execution` > 1) of every method: the same numbers, progress that still adds up.

Each trainer runs several batches per compiled call when asked to (fit through
compile, the batch loop through the compiled function train_on_batch wraps,
the custom loop through its `train_steps` tf.function). Only the number of
Python round trips changes, so every epoch figure must equal the plain run's
to 4 decimals, and the progress callback must still reach each epoch's total.
Speed itself is measured by bench/speed.py, never asserted here.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from support import BATCHES_PER_EPOCH, Recorder, figures

from core.methods import names
from core.states import MessageCode, RunMessage
from core.training import run_training


@pytest.fixture(scope="module")
def plain_runs(tiny_data):
    """Each method once without the speed option (2 epochs, batch 16: 12 batches an epoch)."""
    from core.settings import RunSettings

    settings = RunSettings(epochs=2, batch_size=16, max_len=40, lr_halving_epoch=None)
    return {method: run_training(settings.with_method(method), tiny_data) for method in names()}


@pytest.mark.parametrize("steps", [5, 12, 32])
@pytest.mark.parametrize("method", names())
def test_speed_option_gives_the_plain_figures_and_full_progress(tiny_data, tiny_settings, plain_runs, method, steps):
    """5: groups of 5, 5, 2; 12: one group an epoch; 32: more steps than an epoch has."""
    recorder = Recorder()
    settings = replace(tiny_settings, method=method, steps_per_execution=steps)
    record = run_training(settings, tiny_data, recorder.on_batch, recorder.on_epoch)
    assert record.status == "finished", record.message
    assert figures(record, 4) == figures(plain_runs[method], 4)
    assert figures(record, 4)[-1][0] < figures(record, 4)[0][0]  # it learned: not two copies of the initial state
    # One progress report per group, the last one at the epoch's total.
    groups = list(range(steps, BATCHES_PER_EPOCH, steps)) + [BATCHES_PER_EPOCH]
    assert recorder.batches == [(epoch, done, BATCHES_PER_EPOCH) for epoch in (1, 2) for done in groups]
    assert recorder.rows == record.epochs


def test_batch_loop_speed_option_still_halves_the_learning_rate(tiny_data, tiny_settings):
    halving = replace(tiny_settings, method="train_on_batch", lr_halving_epoch=2)
    plain = run_training(halving, tiny_data)
    fast = run_training(replace(halving, steps_per_execution=5), tiny_data)
    assert [row.learning_rate for row in fast.epochs] == [0.001, 0.0005]
    assert figures(fast, 4) == figures(plain, 4)


@pytest.mark.parametrize("method", names())
def test_speed_option_stops_between_two_groups(tiny_data, tiny_settings, method):
    stop = threading.Event()
    recorder = Recorder()

    def on_batch(epoch, done, total):
        recorder.on_batch(epoch, done, total)
        if (epoch, done) == (2, 5):
            stop.set()

    settings = replace(tiny_settings, method=method, epochs=3, steps_per_execution=5)
    record = run_training(settings, tiny_data, on_batch, recorder.on_epoch, stop)
    assert record.status == "stopped"
    assert record.message == RunMessage(MessageCode.STOPPED_DURING, {"epoch": 2})
    assert [row.epoch for row in record.epochs] == [1]
    # At most one more group may finish after the stop was asked for.
    assert recorder.batches[-1][0] == 2 and recorder.batches[-1][1] <= 10
