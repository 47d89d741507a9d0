"""One computation per distinct run: fingerprints, joining, the result cache, Stop per viewer, prepared runs.

Everything runs on the tiny fixture data with a real SQLite store in the test's
folder; waits poll until a condition holds and only time out to fail a hang.
"""

from __future__ import annotations

import threading
from dataclasses import fields, replace

import pytest
from engines import fresh_database, postgres_url  # noqa: F401 - postgres_url is a pytest fixture
from support import HANG_GUARD, figures, wait_for

from core.fingerprint import run_fingerprint
from core.methods import names as method_names
from core.runs.hub import Hub
from core.runs.jobs import TrainingJob
from core.runs.slots import JobSlots
from core.runs.watch import Watch
from core.settings import RunSettings
from core.states import MessageCode, RunMessage
from core.store import RunStore

METHODS = method_names()  # every method of the registry, in order


@pytest.fixture
def store(tmp_path) -> RunStore:
    return RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")


@pytest.fixture
def hub(store):
    hub = Hub(store, JobSlots(2))
    yield hub
    hub.discard_prepared(wait=HANG_GUARD)  # no training thread may outlive its test


def watch(hub, settings_list, data, space="me:ann", **options) -> Watch:
    return Watch(hub, list(settings_list), data, space=space, **options).start()


def done(w: Watch):
    assert w.join(HANG_GUARD), "the watch did not end"
    return w.snapshot()


# -- fingerprints ---------------------------------------------------------------


def test_any_setting_the_data_or_a_library_version_changes_the_fingerprint(tiny_data):
    base = RunSettings(max_len=40)
    versions = {"tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"}
    key = run_fingerprint(base, tiny_data.content_hash, versions)
    assert key == run_fingerprint(RunSettings(max_len=40), tiny_data.content_hash, dict(versions))  # stable
    changed = {
        "method": "custom_loop",
        "epochs": 11,
        "batch_size": 33,
        "max_len": 41,
        "learning_rate": 0.002,
        "seed": 1,
        "shuffle_buffer": 999,
        "lr_halving_epoch": None,
        "steps_per_execution": 2,
        "early_stopping_patience": 1,
        "reduce_lr_patience": 1,
        "csv_logger": True,
        "tensorboard_callback": True,
    }
    assert set(changed) == {f.name for f in fields(RunSettings)}  # every field is tried
    for name, value in changed.items():
        assert run_fingerprint(replace(base, **{name: value}), tiny_data.content_hash, versions) != key, name
    other_data = replace(tiny_data, y_train=tiny_data.y_train[::-1].copy())
    assert other_data.content_hash != tiny_data.content_hash
    assert run_fingerprint(base, other_data.content_hash, versions) != key
    for package in ("tensorflow", "keras", "numpy"):
        assert run_fingerprint(base, tiny_data.content_hash, {**versions, package: "9.9.9"}) != key, package
    # Python's own version does not change the numbers, and is not part of the key.
    assert run_fingerprint(base, tiny_data.content_hash, {**versions, "python": "3.13.0"}) == key


# -- joining and the cache --------------------------------------------------------


def test_identical_presses_share_one_computation_and_a_later_one_is_served_from_the_store(hub, store, tiny_data, tiny_settings):
    first = watch(hub, [tiny_settings], tiny_data, space="me:ann")
    wait_for(lambda: first.snapshot().records, "the first run to start")
    second = watch(hub, [tiny_settings], tiny_data, space="me:bob")
    a, b = done(first), done(second)
    assert hub.jobs_started == 1
    assert a.shared == {} and b.shared_by_method() == {"fit": "joined"}
    assert [r.run_id for r in a.records] == [r.run_id for r in b.records]
    assert figures(b.records[0]) == figures(a.records[0]) and len(b.records[0].epochs) == 2

    later = done(watch(hub, [tiny_settings], tiny_data, space="me:carl"))
    assert hub.jobs_started == 1 and later.shared_by_method() == {"fit": "cached"} and later.state == "finished"
    assert figures(later.records[0]) == figures(a.records[0])
    # The cached run keeps its trained weights in the hub, so "what the model learned" still works.
    assert list(later.models) == [a.records[0].run_id]

    # "Train again and watch it live": a fresh run, whose figures equal the cached ones to 6 decimals.
    fresh = done(watch(hub, [tiny_settings], tiny_data, space="me:carl", fresh=True))
    assert hub.jobs_started == 2 and fresh.shared == {}
    assert fresh.records[0].run_id != a.records[0].run_id
    assert figures(fresh.records[0]) == figures(a.records[0])


def test_a_changed_setting_trains_again(hub, tiny_data, tiny_settings):
    done(watch(hub, [tiny_settings], tiny_data))
    other = done(watch(hub, [replace(tiny_settings, learning_rate=0.002)], tiny_data))
    assert hub.jobs_started == 2 and other.shared == {}


def test_stop_ends_only_that_viewers_watching(hub, tiny_data, tiny_settings):
    long = replace(tiny_settings, epochs=200)
    ann = watch(hub, [long], tiny_data, space="me:ann")
    wait_for(lambda: ann.snapshot().batches_done > 0, "ann's run to train")
    bob = watch(hub, [long], tiny_data, space="me:bob")
    wait_for(lambda: bob.snapshot().shared_by_method() == {"fit": "joined"}, "bob to join")
    bob.stop()
    left = done(bob)
    assert left.state == "stopped" and left.message == RunMessage(MessageCode.LEFT_WATCHING, {"others": 1})
    # Ann's computation goes on: it trains well past the batch a stop would have ended it in.
    left_at = ann.snapshot()
    mark = (left_at.epoch, left_at.batches_done + 3)

    def moved_on_or_ended() -> bool:
        now = ann.snapshot()
        return not now.active or (now.epoch, now.batches_done) >= mark

    wait_for(moved_on_or_ended, "ann's run to train on after bob left")
    assert ann.snapshot().state == "running"
    ann.stop()
    assert done(ann).state == "stopped"
    wait_for(lambda: hub.active_jobs() == 0, "the computation to stop once nobody watches")


def test_train_all_three_resolves_each_method_through_the_hub(hub, store, tiny_data, tiny_settings):
    done(watch(hub, [tiny_settings.with_method("custom_loop")], tiny_data, space="me:ann"))
    both = done(watch(hub, [tiny_settings.with_method(m) for m in METHODS], tiny_data, space="me:bob"))
    assert [r.method for r in both.records] == list(METHODS)
    assert both.shared_by_method() == {"custom_loop": "cached"} and hub.jobs_started == len(METHODS)
    assert [(run.how, run.record.method) for run in store.space_runs("me:bob")] == [
        ("cached" if method == "custom_loop" else "trained", method) for method in reversed(METHODS)
    ]  # newest first


def test_a_prepared_run_is_used_by_train_and_gives_the_same_figures(hub, tiny_data, tiny_settings, monkeypatch):
    monkeypatch.setenv("TRAINING_PREPARE_AHEAD", "1")
    assert hub.prepare(tiny_settings, tiny_data)
    prepared = hub.prepared_for(tiny_settings, tiny_data)
    assert prepared is not None
    wait_for(lambda: prepared.snapshot().records, "the prepared run to build")
    pressed = done(watch(hub, [tiny_settings], tiny_data))
    assert pressed.records[0].run_id == prepared.run_ids[0] and hub.prepared_for(tiny_settings, tiny_data) is None
    assert hub.jobs_started == 1
    solo = Hub(RunStore("sqlite://"), JobSlots(1))
    alone = done(watch(solo, [tiny_settings], tiny_data))
    assert figures(pressed.records[0]) == figures(alone.records[0])


def test_the_page_can_wait_for_a_prepared_runs_first_batch(hub, tiny_data, tiny_settings, monkeypatch):
    """Train's own page run waits for the count only when a prepared run will give it at once."""
    monkeypatch.setenv("TRAINING_PREPARE_AHEAD", "1")
    other = replace(tiny_settings, seed=tiny_settings.seed + 1)
    assert not hub.is_prepared(tiny_settings, tiny_data)
    assert hub.prepare(tiny_settings, tiny_data)
    wait_for(lambda: hub.is_prepared(tiny_settings, tiny_data), "the prepared run to hold after its first step")
    assert not hub.is_prepared(other, tiny_data)
    pressed = watch(hub, [tiny_settings], tiny_data)
    assert pressed.wait_for_first_batch(HANG_GUARD)
    snap = pressed.snapshot()
    assert snap.batches_done > 0 or any(record.epochs for record in snap.records)
    assert not hub.is_prepared(tiny_settings, tiny_data)  # Train took it
    unprepared = watch(hub, [other], tiny_data)
    assert not unprepared.wait_for_first_batch(0)  # just pressed, nothing traced: no count yet
    assert done(pressed).state == "finished" and done(unprepared).state == "finished"
    assert unprepared.wait_for_first_batch(0)  # an ended view has nothing more to wait for


def test_a_prepared_run_released_while_tracing_says_it_runs_not_that_it_waits(store, tiny_data, tiny_settings):
    """Train pressed before the preparation ended: the page shows the trace going on, not "waiting for a slot"."""
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1), store=store, prepared=True).start()
    assert job.prepared and not job.holding  # tracing its first step takes far longer than these lines
    job.release()
    assert job.snapshot().state == "running"
    assert job.join(HANG_GUARD) and job.snapshot().state == "finished"
    assert len(job.snapshot().records[0].epochs) == tiny_settings.epochs


def test_nothing_is_prepared_when_turned_off_busy_or_known(hub, tiny_data, tiny_settings, monkeypatch):
    assert not hub.prepare(tiny_settings, tiny_data)  # TRAINING_PREPARE_AHEAD=0 in the tests
    monkeypatch.setenv("TRAINING_PREPARE_AHEAD", "1")
    busy = Hub(hub.store, JobSlots(1))
    stop = threading.Event()
    assert busy.slots.acquire(stop)
    assert not busy.prepare(tiny_settings, tiny_data)  # every slot is busy: don't steal CPU from training
    busy.slots.release()
    done(watch(hub, [tiny_settings], tiny_data))
    assert not hub.prepare(tiny_settings, tiny_data)  # the result is in the store already


def test_prepared_runs_are_capped(store, tiny_data, tiny_settings, monkeypatch):
    monkeypatch.setenv("TRAINING_PREPARE_AHEAD", "1")
    hub = Hub(store, JobSlots(2), prepared_runs=1)
    assert hub.prepare(tiny_settings, tiny_data)
    first = hub.prepared_for(tiny_settings, tiny_data)
    assert first is not None
    other = replace(tiny_settings, seed=1)
    assert hub.prepare(other, tiny_data)
    second = hub.prepared_for(other, tiny_data)
    assert second is not None and hub.prepared_for(tiny_settings, tiny_data) is None
    assert first.join(HANG_GUARD)  # the older one was stopped
    assert store.count_runs() == 0
    hub.discard_prepared(wait=HANG_GUARD)
    assert second.join(0) and hub.prepared_for(other, tiny_data) is None


def test_a_class_pressing_at_once_trains_once_and_every_space_lists_the_run(hub, store, tiny_data, tiny_settings):
    """Ten presses within a moment: one computation, and no joiner's space misses the run (it exists before anyone joins)."""
    barrier = threading.Barrier(10)
    watches: list[Watch] = []
    lock = threading.Lock()

    def press(number: int) -> None:
        barrier.wait()
        w = watch(hub, [tiny_settings], tiny_data, space=f"me:student{number}")
        with lock:
            watches.append(w)

    pressers = [threading.Thread(target=press, args=(n,)) for n in range(10)]
    for presser in pressers:
        presser.start()
    for presser in pressers:
        presser.join(HANG_GUARD)
    snaps = [done(w) for w in watches]
    assert hub.jobs_started == 1 and {s.state for s in snaps} == {"finished"}
    (run_id,) = {s.records[0].run_id for s in snaps}
    for number in range(10):
        assert [(r.record.run_id, r.record.status) for r in store.space_runs(f"me:student{number}")] == [(run_id, "finished")]


def test_a_sweep_with_one_reused_run_says_so_for_that_run_only(hub, tiny_data, tiny_settings):
    """A sweep has one method and several runs: the 'identical earlier run' note belongs to the reused run alone."""
    done(watch(hub, [replace(tiny_settings, learning_rate=0.002)], tiny_data))
    sweep = done(watch(hub, [replace(tiny_settings, learning_rate=lr) for lr in (0.001, 0.002, 0.003)], tiny_data))
    assert [r.settings["learning_rate"] for r in sweep.records] == [0.001, 0.002, 0.003]
    assert [sweep.shared.get(r.run_id) for r in sweep.records] == [None, "cached", None]


@pytest.mark.postgres
def test_two_app_servers_on_one_postgresql_share_spaces_and_results(postgres_url, tiny_data, tiny_settings):  # noqa: F811
    """DATABASE_URL=postgresql+psycopg://…: what one server trained is another server's cached result and class run."""
    url = fresh_database(postgres_url)
    server_1, server_2 = Hub(RunStore(url), JobSlots(2)), Hub(RunStore(url), JobSlots(2))
    try:
        first = done(watch(server_1, [tiny_settings], tiny_data, space="class:bio-7"))
        second = done(watch(server_2, [tiny_settings], tiny_data, space="class:bio-7"))
        assert (server_1.jobs_started, server_2.jobs_started) == (1, 0)
        assert second.shared_by_method() == {"fit": "cached"}
        assert figures(second.records[0]) == figures(first.records[0])
        listed = server_2.store.space_runs("class:bio-7")
        assert [r.record.run_id for r in listed] == [first.records[0].run_id]
        changed = done(watch(server_2, [replace(tiny_settings, seed=tiny_settings.seed + 1)], tiny_data, space="class:bio-7"))
        assert server_2.jobs_started == 1 and changed.shared == {}
        assert len(server_1.store.space_runs("class:bio-7")) == 2  # server 1 lists server 2's run too
    finally:
        for hub in (server_1, server_2):
            hub.discard_prepared(wait=HANG_GUARD)
            hub.store.engine.dispose()
