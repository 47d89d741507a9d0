"""Training jobs in worker threads: progress snapshots, saving to the store, stop, viewers, prepared runs, the FIFO slots.

Waits poll a snapshot until a condition holds; the deadlines only stop a hung
test, nothing asserts how long anything took.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from support import HANG_GUARD, figures, wait_for

from core import training
from core.methods import names as method_names
from core.runs.jobs import TrainingJob
from core.runs.slots import JobSlots
from core.states import MessageCode, RunMessage
from core.store import RunStore

METHODS = method_names()  # every method of the registry, in order


def finish(job: TrainingJob) -> None:
    assert job.join(HANG_GUARD), "the job's thread did not end"


def store_in(folder) -> RunStore:
    return RunStore(f"sqlite:///{folder}/runs.sqlite3")


def live_job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "training-job" and t.is_alive()]


def test_a_job_finishes_and_saves_its_record(tiny_data, tiny_settings, tmp_path, monkeypatch):
    store = store_in(tmp_path)
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2), store=store)
    first = job.snapshot()
    assert first.state == "waiting" and first.records == [] and first.active

    # What the store holds when training begins, and right after each epoch was reported.
    saved_at_start: list[str | None] = []
    saved_after_epoch: list[int] = []
    real_train = training.train

    def watched_train(settings, data, hooks):
        saved = store.get_run(job.run_ids[0])
        saved_at_start.append(saved.status if saved is not None else None)
        report = hooks.on_epoch

        def on_epoch(row):
            report(row)
            saved_after_epoch.append(len(store.get_run(job.run_ids[0]).epochs))

        return real_train(settings, data, replace(hooks, on_epoch=on_epoch))

    monkeypatch.setattr(training, "train", watched_train)
    versions, epochs_seen = [first.version], set()
    job.start()
    while not job.join(0.01):
        snapshot = job.snapshot()
        versions.append(snapshot.version)
        if snapshot.records:
            epochs_seen.add(len(snapshot.records[0].epochs))
    last = job.snapshot()
    versions.append(last.version)

    assert last.state == "finished" and not last.active and not last.message
    assert last.methods == ("fit",) and last.epochs == 2
    assert versions == sorted(versions) and versions[-1] > versions[0]
    (record,) = last.records
    assert record.status == "finished" and [row.epoch for row in record.epochs] == [1, 2]
    assert record.run_id == job.run_ids[0]  # known before the run started
    assert epochs_seen <= {0, 1, 2}
    # The store had the run as running before it trained, and each epoch as it ended.
    assert saved_at_start == ["running"] and saved_after_epoch == [1, 2]
    assert last.ended_at is not None and last.ended_at >= last.started_at
    assert store.get_run(record.run_id) == record


def test_the_snapshot_is_a_copy(tiny_data, tiny_settings, tmp_path):
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2)).start()
    finish(job)
    snapshot = job.snapshot()
    snapshot.records[0].epochs.clear()
    assert len(job.snapshot().records[0].epochs) == 2


def test_a_comparison_gives_three_records_in_order(tiny_data, tiny_settings, tmp_path):
    settings = [tiny_settings.with_method(m) for m in METHODS]
    store = store_in(tmp_path)
    job = TrainingJob(settings, tiny_data, slots=JobSlots(2), store=store).start()
    finish(job)
    snapshot = job.snapshot()
    assert snapshot.state == "finished"
    assert [r.method for r in snapshot.records] == list(METHODS)
    assert all(r.status == "finished" and len(r.epochs) == 2 for r in snapshot.records)
    assert store.count_runs() == len(METHODS)


def test_without_a_store_nothing_is_written(tiny_data, tiny_settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2), store=None).start()
    finish(job)
    assert job.snapshot().state == "finished"
    assert list(tmp_path.iterdir()) == []


def test_stop_during_a_run(tiny_data, tiny_settings, tmp_path):
    long = replace(tiny_settings, epochs=200)
    store = store_in(tmp_path)
    job = TrainingJob([long, long.with_method("custom_loop")], tiny_data, slots=JobSlots(2), store=store)
    job.start()
    wait_for(lambda: job.snapshot().batches_done > 0, "the first batch")
    job.stop()
    finish(job)
    snapshot = job.snapshot()
    assert snapshot.state == "stopped"
    assert snapshot.message.code is MessageCode.STOPPED_DURING
    assert len(snapshot.records) == 1  # the second run never started
    record = snapshot.records[0]
    assert record.status == "stopped" and len(record.epochs) < 200
    assert store.get_run(record.run_id).status == "stopped"
    assert store.count_runs() == 1


def test_one_slot_makes_the_second_job_wait(tiny_data, tiny_settings, tmp_path):
    slots = JobSlots(1)
    first = TrainingJob([replace(tiny_settings, epochs=200)], tiny_data, slots=slots)
    second = TrainingJob([tiny_settings], tiny_data, slots=slots)
    first.start()
    wait_for(lambda: first.snapshot().state == "running", "the first job to run")
    second.start()
    wait_for(lambda: second.snapshot().queue_position == 1, "the second job to queue")
    assert first.snapshot().state == "running"
    assert second.snapshot().state == "waiting"
    assert second.snapshot().records == []
    assert slots.in_use == 1

    first.stop()
    finish(first)
    finish(second)
    assert first.snapshot().state == "stopped"
    assert second.snapshot().state == "finished"
    assert len(second.snapshot().records[0].epochs) == 2
    assert slots.in_use == 0


def test_stopping_a_waiting_job_trains_nothing(tiny_data, tiny_settings, tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("a waiting job trained")

    monkeypatch.setattr(training, "train", no_training)
    slots = JobSlots(1)
    assert slots.acquire(threading.Event())  # someone else holds the only slot
    try:
        job = TrainingJob([tiny_settings], tiny_data, slots=slots).start()
        wait_for(lambda: slots.waiting == 1, "the job to queue for the slot")
        assert job.snapshot().state == "waiting"
        job.stop()
        finish(job)
        snapshot = job.snapshot()
        assert snapshot.state == "stopped"
        assert snapshot.message == RunMessage(MessageCode.STOPPED_WAITING)
        assert snapshot.records == []
        assert slots.in_use == 1  # the job never took the slot, so it gave nothing back
    finally:
        slots.release()


def test_a_failing_run_fails_the_job(tiny_data, tiny_settings, tmp_path, monkeypatch):
    real = training.train

    def failing_on_epoch(settings, data, hooks):
        def on_batch_that_breaks(epoch, done, total):
            if epoch == 2:
                raise RuntimeError("out of cheese")
            on_batch(epoch, done, total)

        on_batch = hooks.on_batch
        return real(settings, data, replace(hooks, on_batch=on_batch_that_breaks))

    monkeypatch.setattr(training, "train", failing_on_epoch)
    job = TrainingJob([tiny_settings, tiny_settings.with_method("custom_loop")], tiny_data, slots=JobSlots(2))
    finish(job.start())
    snapshot = job.snapshot()
    assert snapshot.state == "failed"
    assert snapshot.message == RunMessage.plain("RuntimeError: out of cheese")
    assert len(snapshot.records) == 1 and len(snapshot.records[0].epochs) == 1


def test_a_failing_store_keeps_the_run_on_screen(tiny_data, tiny_settings, tmp_path):
    store = store_in(tmp_path)
    with store.engine.begin() as conn:  # the database breaks under the app: its tables are gone
        conn.exec_driver_sql("DROP TABLE space_runs")
        conn.exec_driver_sql("DROP TABLE epochs")
        conn.exec_driver_sql("DROP TABLE runs")
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2), store=store).start()
    finish(job)
    snapshot = job.snapshot()
    assert snapshot.state == "finished"
    assert len(snapshot.records[0].epochs) == 2
    assert snapshot.records[0].message.not_saved


def test_stop_between_two_runs_of_a_comparison_is_stopped(tiny_data, tiny_settings, tmp_path, monkeypatch):
    real = training.train
    jobs: list[TrainingJob] = []

    def run_then_press_stop(*args, **kwargs):
        record = real(*args, **kwargs)
        jobs[0].stop()  # the user presses Stop just as the first run ends
        return record

    monkeypatch.setattr(training, "train", run_then_press_stop)
    job = TrainingJob([tiny_settings.with_method(m) for m in METHODS], tiny_data, slots=JobSlots(2))
    jobs.append(job)
    finish(job.start())
    snapshot = job.snapshot()
    assert len(snapshot.records) == 1  # the other two methods never ran
    assert snapshot.state == "stopped"


def test_job_needs_runs_and_valid_settings(tiny_data, tiny_settings):
    from core.settings import SettingsError

    with pytest.raises(ValueError, match="at least one run"):
        TrainingJob([], tiny_data)
    with pytest.raises(SettingsError):
        TrainingJob([replace(tiny_settings, batch_size=0)], tiny_data)


def test_slots_from_the_environment(monkeypatch):
    from core.runs.slots import DEFAULT_JOB_SLOTS, slots_from_environment

    monkeypatch.setenv("TRAINING_JOB_SLOTS", "3")
    assert slots_from_environment().capacity == 3
    monkeypatch.setenv("TRAINING_JOB_SLOTS", "many")
    assert slots_from_environment().capacity == DEFAULT_JOB_SLOTS
    monkeypatch.setenv("TRAINING_JOB_SLOTS", "0")
    assert slots_from_environment().capacity == 1


def test_no_job_threads_outlive_their_jobs(tiny_data, tiny_settings, tmp_path):
    jobs = [TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1)) for _ in range(2)]
    for job in jobs:
        job.start()
    jobs[1].stop()
    for job in jobs:
        finish(job)
    assert {job.snapshot().state for job in jobs} <= {"finished", "stopped"}
    assert live_job_threads() == []


def test_a_job_hands_free_memory_back_when_it_ends(tiny_data, tiny_settings, tmp_path, monkeypatch):
    """Each run is a new thread whose freed heap glibc would otherwise keep: trimmed once per job, failed ones too."""
    import sys

    import core.runs.jobs

    calls = []
    monkeypatch.setattr(core.runs.jobs, "release_free_memory", lambda: calls.append(threading.current_thread().name))
    TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1)).start().join()
    assert calls == ["training-job"]

    def fails(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(training, "train", fails)
    failed = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1)).start()
    failed.join()
    assert failed.snapshot().state == "failed" and len(calls) == 2
    monkeypatch.undo()
    if sys.platform.startswith("linux"):
        assert core.runs.jobs.release_free_memory() is True  # glibc here: the trim really ran


def test_waiting_jobs_start_first_come_first_served():
    """Five jobs queue on one slot; they get it in the order they asked, and each knows its place."""
    slots = JobSlots(1)
    stop = threading.Event()
    assert slots.acquire(stop, "holder", lambda: 10.0)
    order, threads, tickets = [], [], [f"job-{i}" for i in range(5)]

    def wait_then_note(ticket):
        assert slots.acquire(stop, ticket, lambda: 20.0)
        order.append(ticket)
        slots.release(ticket)

    for ticket in tickets:
        threads.append(threading.Thread(target=wait_then_note, args=(ticket,)))
        threads[-1].start()
        wait_for(lambda t=ticket: slots.position(t) is not None, f"{ticket} to queue")
    assert [slots.position(t) for t in tickets] == [1, 2, 3, 4, 5]
    assert slots.waiting == 5
    # One slot: the holder ends in 10 s, then each job ahead takes 20 s.
    assert [slots.estimated_start(t) for t in tickets] == [10.0, 30.0, 50.0, 70.0, 90.0]
    slots.release("holder")
    for thread in threads:
        thread.join(HANG_GUARD)
    assert order == tickets
    assert slots.in_use == 0 and slots.waiting == 0


def test_estimates_wait_for_a_measurement_and_use_every_free_slot():
    slots = JobSlots(2)
    stop = threading.Event()
    assert slots.acquire(stop, "a", lambda: None)  # no epoch measured yet on this server

    def queue(ticket, seconds):
        threading.Thread(target=slots.acquire, args=(stop, ticket, lambda: seconds), daemon=True).start()
        wait_for(lambda: slots.position(ticket) is not None or slots.in_use == 2, f"{ticket} to queue")

    queue("b", 30.0)  # takes the second slot at once
    queue("c", 30.0)
    assert slots.position("c") == 1 and slots.estimated_start("c") is None  # "a" has no estimate
    stop.set()


def test_the_last_viewer_leaving_stops_the_computation(tiny_data, tiny_settings):
    job = TrainingJob([replace(tiny_settings, epochs=200)], tiny_data, slots=JobSlots(1))
    assert job.attach("ann") and job.attach("bob")
    job.start()
    wait_for(lambda: job.snapshot().batches_done > 0, "the first batch")
    job.detach("ann")
    assert job.viewers == 1 and not job.stop_event.is_set()  # bob still watches: nothing asked the run to stop
    assert job.snapshot().state == "running"
    job.detach("bob")
    finish(job)
    assert job.snapshot().state == "stopped"
    assert not job.attach("carl")  # an ended job takes no new viewers


def test_a_prepared_run_gives_the_same_figures_and_no_trace_until_released(tiny_data, tiny_settings, tmp_path):
    """Prepared: model built and first step run before Train. The numbers must not move, not even in the 6th decimal."""
    settings = replace(tiny_settings, method="train_on_batch", lr_halving_epoch=2)
    plain = TrainingJob([settings], tiny_data, slots=JobSlots(1)).start()
    finish(plain)
    store = store_in(tmp_path)
    prepared = TrainingJob([settings], tiny_data, slots=JobSlots(1), store=store, prepared=True).start()
    wait_for(lambda: prepared.holding, "the prepared run to run its first step and hold")
    snap = prepared.snapshot()
    assert prepared.prepared and snap.batches_done == 0 and snap.state == "waiting"
    assert store.count_runs() == 0  # nobody asked for it yet: nothing saved
    prepared.release()
    finish(prepared)
    record = prepared.snapshot().records[0]
    assert record.status == "finished"
    assert figures(record) == figures(plain.snapshot().records[0])
    assert store.get_run(record.run_id).status == "finished"
    assert record.epochs[0].seconds < 30  # the hold is not counted as the first epoch's time


def test_an_unwanted_prepared_run_stops_cleanly_and_saves_nothing(tiny_data, tiny_settings, tmp_path):
    store = store_in(tmp_path)
    slots = JobSlots(1)
    job = TrainingJob([tiny_settings], tiny_data, slots=slots, store=store, prepared=True).start()
    wait_for(lambda: job.snapshot().records, "the prepared run to start")
    job.stop()
    finish(job)
    assert store.count_runs() == 0 and slots.in_use == 0
