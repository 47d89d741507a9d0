"""The budget per run and per visitor: the estimate, the limits, and the refusals that name what to lower.

Core first (core.budget, plain Python), then the pages through AppTest on the
fixture data: a link over the budget, Train over it (a run and a sweep), and a
visitor with a press already waiting or training.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest
from support import APP, live_job_threads, open_page, texts

from core import budget
from core.budget import (
    DataSize,
    Limits,
    VisitorPresses,
    admit,
    check_cost,
    check_settings,
    estimate_run,
    estimate_total,
    limits_from_environment,
)
from core.compare import sweep_settings
from core.methods import names as method_names
from core.runs.slots import JobSlots
from core.settings import RunSettings

METHODS = method_names()  # every method of the registry, in order

DEFAULTS = RunSettings()


# -- the estimate ------------------------------------------------------------------------------------------


def test_step_memory_grows_with_batch_size_times_max_len_and_not_with_epochs():
    base = estimate_run(DEFAULTS).memory_mb
    assert estimate_run(replace(DEFAULTS, batch_size=64)).memory_mb > base
    assert estimate_run(replace(DEFAULTS, max_len=600)).memory_mb > base

    def step(batch_size: int) -> float:
        """What the batch adds at max_len 2000, over a batch of one."""
        at = replace(DEFAULTS, max_len=2000)
        return estimate_run(replace(at, batch_size=batch_size)).memory_mb - estimate_run(replace(at, batch_size=1)).memory_mb

    # The measurement: about 2.5 GB more at batch 1024 and max_len 2000; linear in the batch.
    assert step(1024) >= 2500
    assert step(8192) == pytest.approx(8 * step(1024), rel=0.01)
    assert estimate_run(replace(DEFAULTS, epochs=200)).memory_mb == base


def test_time_grows_with_epochs_newswires_and_max_len():
    base = estimate_run(DEFAULTS).seconds
    assert estimate_run(replace(DEFAULTS, epochs=20)).seconds > 1.9 * base
    assert estimate_run(replace(DEFAULTS, max_len=600)).seconds > 1.5 * base
    assert estimate_run(DEFAULTS, DataSize(2 * 8982, 2 * 2246)).seconds > 1.5 * base
    assert estimate_run(DEFAULTS, DataSize(192, 48)).seconds < base
    # Smaller batches: more steps, each with its overhead.
    assert estimate_run(replace(DEFAULTS, batch_size=1)).seconds > base


def test_a_comparison_or_a_sweep_costs_its_total_time_and_its_largest_memory():
    runs = [DEFAULTS.with_method(m) for m in METHODS]
    total = estimate_total(runs)
    assert total.runs == len(METHODS)
    assert total.seconds == pytest.approx(sum(estimate_run(s).seconds for s in runs))
    assert total.memory_mb == max(estimate_run(s).memory_mb for s in runs)


def test_the_chapter_defaults_fit_the_default_limits_on_every_method():
    for method in METHODS:
        assert check_cost([DEFAULTS.with_method(method)], Limits()) is None, method
    assert check_settings(DEFAULTS, Limits()) is None


# -- refusals over the limits ------------------------------------------------------------------------------


def test_a_run_over_the_memory_limit_is_refused_naming_batch_size_and_the_largest_that_fits():
    settings = replace(DEFAULTS, batch_size=8192, max_len=2000, epochs=1)  # one epoch: within the time limit
    refusal = check_cost([settings], Limits())
    assert refusal is not None and refusal.reason == "memory" and refusal.setting == "batch_size"
    largest = refusal.values["largest"]
    assert check_cost([replace(settings, batch_size=largest)], Limits()) is None, "the value named fits"
    assert check_cost([replace(settings, batch_size=largest + 1)], Limits()) is not None, "and is the largest that does"
    assert "batch_size" in refusal.message and f"at most {largest}" in refusal.message


def test_a_run_over_the_time_limit_is_refused_naming_epochs_and_the_largest_that_fits():
    settings = replace(DEFAULTS, epochs=200, max_len=1000)
    refusal = check_cost([settings], Limits())
    assert refusal is not None and refusal.reason == "time" and refusal.setting == "epochs"
    largest = refusal.values["largest"]
    assert 1 <= largest < 200
    assert check_cost([replace(settings, epochs=largest)], Limits()) is None
    assert check_cost([replace(settings, epochs=largest + 1)], Limits()) is not None


def test_when_one_epoch_is_already_too_long_the_refusal_names_max_len():
    settings = replace(DEFAULTS, epochs=1, max_len=2000, batch_size=8)
    limits = Limits(minutes=estimate_run(replace(settings, max_len=500)).minutes)
    refusal = check_cost([settings], limits)
    assert refusal is not None and refusal.setting == "max_len" and 500 <= refusal.values["largest"] < 2000


def test_a_sweep_whose_runs_each_fit_is_refused_when_its_total_is_over():
    runs = sweep_settings(replace(DEFAULTS, epochs=20), "custom_loop", "max_len", [200, 300, 400, 500, 600])
    limits = Limits(minutes=2 * max(estimate_run(s).minutes for s in runs))
    assert all(check_cost([s], limits) is None for s in runs), "every run alone fits"
    refusal = check_cost(runs, limits)
    assert refusal is not None and refusal.reason == "time" and refusal.values["runs"] == 5
    assert refusal.setting == "epochs"
    capped = [replace(s, epochs=min(s.epochs, refusal.values["largest"])) for s in runs]
    assert check_cost(capped, limits) is None


def test_settings_from_the_sidebar_or_a_link_are_judged_by_their_costliest_method():
    # train_on_batch pays more per step: a small-batch run can fit fit's time and not the batch loop's.
    settings = replace(DEFAULTS, batch_size=1, epochs=3, max_len=100)
    costs = {m: estimate_run(settings.with_method(m)).minutes for m in METHODS}
    limits = Limits(minutes=(min(costs.values()) + max(costs.values())) / 2)
    assert min(costs.values()) < max(costs.values())
    refusal = check_settings(settings, limits)
    assert refusal is not None and refusal.reason == "time"


# -- the limits come from the environment ------------------------------------------------------------------


def test_the_limits_are_read_from_the_environment():
    limits = limits_from_environment(
        {
            budget.MEMORY_ENV: "2048",
            budget.MINUTES_ENV: "7.5",
            budget.PER_VISITOR_ENV: "3",
            budget.QUEUE_ENV: "20",
        }
    )
    assert limits == Limits(memory_mb=2048, minutes=7.5, runs_per_visitor=3, queue_length=20)


def test_missing_or_unreadable_limits_keep_their_defaults():
    assert limits_from_environment({}) == Limits()
    odd = {budget.MEMORY_ENV: "lots", budget.MINUTES_ENV: "-5", budget.PER_VISITOR_ENV: "0", budget.QUEUE_ENV: "nan"}
    assert limits_from_environment(odd) == Limits()


def test_the_defaults_are_sized_for_two_slots_on_a_small_server():
    limits = Limits()
    # Two slots of memory on a 2.7 GB server, with room for the app, TensorFlow and the data.
    assert 2 * limits.memory_mb <= 2700 - 600
    assert limits.runs_per_visitor < 2, "one visitor cannot hold both slots"


# -- per visitor and the queue -----------------------------------------------------------------------------


class FakePress:
    """A press of Train that is waiting or training until `end()`."""

    def __init__(self) -> None:
        self.ended = threading.Event()

    def snapshot(self) -> SimpleNamespace:
        return SimpleNamespace(active=not self.ended.is_set())

    def end(self) -> None:
        self.ended.set()


def test_one_visitor_cannot_queue_more_presses_than_the_limit():
    presses, slots, limits = VisitorPresses(), JobSlots(2), Limits(runs_per_visitor=2)
    held = [FakePress(), FakePress()]
    for press in held:
        assert admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=slots, presses=presses) is None
        presses.add("ann", press)
    refusal = admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=slots, presses=presses)
    assert refusal is not None and refusal.reason == "visitor_runs"
    assert refusal.values == {"active": 2, "limit": 2} and "wait for one to end" in refusal.message
    assert admit("bob", [DEFAULTS], DataSize(), limits=limits, slots=slots, presses=presses) is None, "others still may"
    held[0].end()
    assert admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=slots, presses=presses) is None, "a press ended"


def test_a_full_queue_refuses_new_presses_with_a_clear_message():
    limits = Limits(queue_length=3)
    full = SimpleNamespace(capacity=2, in_use=2, waiting=3)
    refusal = admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=full, presses=VisitorPresses())
    assert refusal is not None and refusal.reason == "queue_full" and "queue is full" in refusal.message
    room = SimpleNamespace(capacity=2, in_use=2, waiting=2)
    assert admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=room, presses=VisitorPresses()) is None
    free_slot = SimpleNamespace(capacity=2, in_use=1, waiting=3)  # runs at once: the queue does not grow
    assert admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=free_slot, presses=VisitorPresses()) is None


def test_a_press_over_the_computations_the_visitor_already_has_joins_them_and_is_not_counted():
    """A reload leaves the old page's press alive (Streamlit keeps the session a while): Train on the same
    settings joins that run, which trains nothing more; other settings are still refused."""
    presses, slots, limits = VisitorPresses(), JobSlots(2), Limits(runs_per_visitor=1)
    old_page = FakePress()
    presses.add("ann", old_page, ("fingerprint-a",))
    same = admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=slots, presses=presses, computations=("fingerprint-a",))
    assert same is None
    for other in (("fingerprint-b",), ("fingerprint-a", "fingerprint-b"), ()):
        refusal = admit("ann", [DEFAULTS], DataSize(), limits=limits, slots=slots, presses=presses, computations=other)
        assert refusal is not None and refusal.reason == "visitor_runs", other
    old_page.end()
    assert presses.active("ann") == 0


def test_a_press_over_its_cost_is_refused_before_the_visitor_or_queue_are_counted():
    presses = VisitorPresses()
    refusal = admit(
        "ann", [replace(DEFAULTS, batch_size=8192, max_len=2000)], DataSize(), limits=Limits(), slots=JobSlots(2), presses=presses
    )
    assert refusal is not None and refusal.reason == "memory"
    assert presses.active("ann") == 0


# -- on the pages ------------------------------------------------------------------------------------------


@pytest.fixture
def quiet_server(app_env, monkeypatch):
    """No run prepared ahead of Train: any training thread a test sees was started by Train."""
    monkeypatch.setenv("TRAINING_PREPARE_AHEAD", "0")
    return app_env


def no_training_started() -> bool:
    return not live_job_threads()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_link_over_the_budget_is_refused_naming_the_setting_and_trains_nothing(quiet_server, language):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"batch_size": "8192", "max_len": "2000", "lang": language})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notice = " ".join(str(e.value) for e in at.sidebar.error)
    assert "batch_size" in notice or "max_len" in notice, notice
    assert ("not applied" in notice) if language == "en" else ("未被应用" in notice)
    settings = at.session_state["settings"]
    assert (settings.batch_size, settings.max_len) == (DEFAULTS.batch_size, DEFAULTS.max_len), "nothing applied"
    assert "batch_size" not in at.query_params and "max_len" not in at.query_params, "the address shows what is used"
    open_page(at, "fit").run()
    assert not at.exception
    assert "job" not in at.session_state and no_training_started()


def test_apply_refuses_settings_over_the_budget_and_keeps_the_applied_ones(quiet_server):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.number_input(key="set_batch").set_value(8192)
    at.number_input(key="set_max_len").set_value(2000)
    at.button(key="apply_settings").click().run()
    assert not at.exception
    errors = " ".join(str(e.value) for e in at.sidebar.error)
    assert "`batch_size`" in errors, errors
    assert at.session_state["settings"].batch_size == DEFAULTS.batch_size
    assert "Settings applied." not in texts(at)


def test_the_method_page_shows_the_estimate_before_train(quiet_server):
    at = AppTest.from_file(APP, default_timeout=60).run()
    open_page(at, "fit").run()
    assert not at.exception
    shown = texts(at)
    assert "Estimated cost of this run" in shown and "MB of memory" in shown


def test_train_over_the_time_limit_is_refused_naming_epochs_and_starts_nothing(quiet_server, monkeypatch):
    monkeypatch.setenv(budget.MINUTES_ENV, "0.01")  # under what any run costs: every press is over
    at = AppTest.from_file(APP, default_timeout=60).run()
    open_page(at, "fit").run()
    assert "Too long for this server" in texts(at), "the estimate line says so before Train"
    at.button(key="train_fit").click().run()
    assert not at.exception
    refusal = " ".join(str(e.value) for e in at.error)
    assert "`epochs`" in refusal or "`max_len`" in refusal, refusal
    assert "job" not in at.session_state and no_training_started()


def test_a_sweep_over_the_limit_in_total_is_refused_on_the_compare_page(quiet_server, monkeypatch):
    size = DataSize(192, 48)  # the fixture file's split
    settings = RunSettings(epochs=2, batch_size=16, max_len=40)
    values = [0.0005, 0.001, 0.003, 0.01]
    sweep = sweep_settings(settings, "custom_loop", "learning_rate", values)
    comparison = [settings.with_method(m) for m in METHODS]
    over, under = estimate_total(sweep, size).minutes, estimate_total(comparison, size).minutes
    assert under < over
    # Every run alone fits and so does the comparison of three; the sweep's four together do not.
    monkeypatch.setenv(budget.MINUTES_ENV, f"{(under + over) / 2:.6f}")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.number_input(key="set_epochs").set_value(2)
    at.number_input(key="set_batch").set_value(16)
    at.number_input(key="set_max_len").set_value(40)
    at.button(key="apply_settings").click().run()
    open_page(at, "compare").run()
    at.multiselect(key="sweep_values_learning_rate").set_value(values).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Estimated cost of these 4 runs" in texts(at), "the sweep's total is shown before Train"
    at.button(key="train_sweep").click().run()
    assert not at.exception
    shown = " ".join(str(e.value) for e in at.error)
    assert "Too long for this server" in shown and "4 run(s)" in shown and "`epochs`" in shown, shown
    assert "job" not in at.session_state and no_training_started()


def test_a_visitor_with_a_press_waiting_or_training_is_refused_another(quiet_server):
    at = AppTest.from_file(APP, default_timeout=60).run()
    visitor = at.session_state["visitor_id"] if "visitor_id" in at.session_state else "ann-in-another-tab"
    at.session_state["visitor_id"] = visitor
    other_tab = FakePress()
    budget.VISITOR_PRESSES.add(visitor, other_tab)  # the server's own ledger, as the other tab's Train left it
    try:
        open_page(at, "fit").run()
        at.button(key="train_fit").click().run()
        assert not at.exception
        shown = " ".join(str(e.value) for e in at.error)
        assert "already have 1 run(s) waiting or training" in shown, shown
        assert "job" not in at.session_state and no_training_started()
    finally:
        other_tab.end()
    assert budget.VISITOR_PRESSES.active(visitor) == 0
