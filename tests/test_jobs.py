"""Training jobs in worker threads: progress snapshots, saving, stop, and the server-wide slots.

Waits poll a snapshot until a condition holds; the deadlines only stop a hung
test, nothing asserts how long anything took.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from core import training
from core.jobs import JobSlots, TrainingJob
from core.records import load_record
from core.settings import METHODS

HANG_GUARD = 120.0  # seconds: far beyond any tiny run, only there so a hang fails instead of blocking


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.02)


def finish(job: TrainingJob) -> None:
    assert job.join(HANG_GUARD), "the job's thread did not end"


def live_job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "training-job" and t.is_alive()]


def test_a_job_finishes_and_saves_its_record(tiny_data, tiny_settings, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(runs))  # runs_folder=None: the job uses the variable
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2))
    first = job.snapshot()
    assert first.state == "waiting" and first.records == [] and first.active

    versions, epochs_seen = [first.version], set()
    job.start()
    while not job.join(0.01):
        snapshot = job.snapshot()
        versions.append(snapshot.version)
        if snapshot.records:
            epochs_seen.add(len(snapshot.records[0].epochs))
    last = job.snapshot()
    versions.append(last.version)

    assert last.state == "finished" and not last.active and last.message == ""
    assert last.methods == ("fit",) and last.epochs == 2
    assert versions == sorted(versions) and versions[-1] > versions[0]
    (record,) = last.records
    assert record.status == "finished" and [row.epoch for row in record.epochs] == [1, 2]
    assert epochs_seen <= {0, 1, 2}
    assert last.ended_at is not None and last.ended_at >= last.started_at
    saved = sorted(runs.glob("*.json"))
    assert [p.name for p in saved] == [f"{record.run_id}.json"]
    assert load_record(saved[0]) == record


def test_the_snapshot_is_a_copy(tiny_data, tiny_settings, tmp_path):
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2), runs_folder=tmp_path).start()
    finish(job)
    snapshot = job.snapshot()
    snapshot.records[0].epochs.clear()
    assert len(job.snapshot().records[0].epochs) == 2


def test_a_comparison_gives_three_records_in_order(tiny_data, tiny_settings, tmp_path):
    settings = [tiny_settings.with_method(m) for m in METHODS]
    job = TrainingJob(settings, tiny_data, slots=JobSlots(2), runs_folder=tmp_path).start()
    finish(job)
    snapshot = job.snapshot()
    assert snapshot.state == "finished"
    assert [r.method for r in snapshot.records] == list(METHODS)
    assert all(r.status == "finished" and len(r.epochs) == 2 for r in snapshot.records)
    assert len(list(tmp_path.glob("*.json"))) == 3


def test_save_false_writes_nothing(tiny_data, tiny_settings, tmp_path):
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2), runs_folder=tmp_path, save=False).start()
    finish(job)
    assert job.snapshot().state == "finished"
    assert list(tmp_path.iterdir()) == []


def test_stop_during_a_run(tiny_data, tiny_settings, tmp_path):
    long = replace(tiny_settings, epochs=200)
    job = TrainingJob([long, long.with_method("custom_loop")], tiny_data, slots=JobSlots(2), runs_folder=tmp_path)
    job.start()
    wait_for(lambda: job.snapshot().batches_done > 0, "the first batch")
    job.stop()
    finish(job)
    snapshot = job.snapshot()
    assert snapshot.state == "stopped"
    assert snapshot.message.startswith("Stopped by request during epoch")
    assert len(snapshot.records) == 1  # the second run never started
    record = snapshot.records[0]
    assert record.status == "stopped" and len(record.epochs) < 200
    assert load_record(tmp_path / f"{record.run_id}.json").status == "stopped"


def test_one_slot_makes_the_second_job_wait(tiny_data, tiny_settings, tmp_path):
    slots = JobSlots(1)
    first = TrainingJob([replace(tiny_settings, epochs=200)], tiny_data, slots=slots, runs_folder=tmp_path)
    second = TrainingJob([tiny_settings], tiny_data, slots=slots, runs_folder=tmp_path)
    first.start()
    wait_for(lambda: first.snapshot().state == "running", "the first job to run")
    second.start()
    time.sleep(0.5)  # give the second job every chance to (wrongly) start
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

    monkeypatch.setattr(training, "run_training", no_training)
    slots = JobSlots(1)
    assert slots.acquire(threading.Event())  # someone else holds the only slot
    try:
        job = TrainingJob([tiny_settings], tiny_data, slots=slots, runs_folder=tmp_path).start()
        time.sleep(0.3)
        assert job.snapshot().state == "waiting"
        job.stop()
        finish(job)
        snapshot = job.snapshot()
        assert snapshot.state == "stopped"
        assert snapshot.message == "Stopped before a training slot became free."
        assert snapshot.records == []
        assert list(tmp_path.iterdir()) == []
        assert slots.in_use == 1  # the job never took the slot, so it gave nothing back
    finally:
        slots.release()


def test_a_failing_run_fails_the_job(tiny_data, tiny_settings, tmp_path, monkeypatch):
    real = training.run_training

    def failing_on_epoch(settings, data, on_batch, on_epoch, stop, **options):
        def on_batch_that_breaks(epoch, done, total):
            if epoch == 2:
                raise RuntimeError("out of cheese")
            on_batch(epoch, done, total)

        return real(settings, data, on_batch_that_breaks, on_epoch, stop, **options)

    monkeypatch.setattr(training, "run_training", failing_on_epoch)
    job = TrainingJob(
        [tiny_settings, tiny_settings.with_method("custom_loop")], tiny_data, slots=JobSlots(2), runs_folder=tmp_path
    )
    finish(job.start())
    snapshot = job.snapshot()
    assert snapshot.state == "failed"
    assert snapshot.message == "RuntimeError: out of cheese"
    assert len(snapshot.records) == 1 and len(snapshot.records[0].epochs) == 1


def test_an_unwritable_runs_folder_keeps_the_run(tiny_data, tiny_settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(2), runs_folder=blocker / "runs").start()
    finish(job)
    snapshot = job.snapshot()
    assert snapshot.state == "finished"
    assert len(snapshot.records[0].epochs) == 2
    assert "not saved" in snapshot.records[0].message


def test_stop_between_two_runs_of_a_comparison_is_stopped(tiny_data, tiny_settings, tmp_path, monkeypatch):
    real = training.run_training
    jobs: list[TrainingJob] = []

    def run_then_press_stop(*args, **kwargs):
        record = real(*args, **kwargs)
        jobs[0].stop()  # the user presses Stop just as the first run ends
        return record

    monkeypatch.setattr(training, "run_training", run_then_press_stop)
    job = TrainingJob(
        [tiny_settings.with_method(m) for m in METHODS], tiny_data, slots=JobSlots(2), runs_folder=tmp_path
    )
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
    from core.jobs import DEFAULT_JOB_SLOTS, slots_from_environment

    monkeypatch.setenv("TRAINING_JOB_SLOTS", "3")
    assert slots_from_environment().capacity == 3
    monkeypatch.setenv("TRAINING_JOB_SLOTS", "many")
    assert slots_from_environment().capacity == DEFAULT_JOB_SLOTS
    monkeypatch.setenv("TRAINING_JOB_SLOTS", "0")
    assert slots_from_environment().capacity == 1


def test_no_job_threads_outlive_their_jobs(tiny_data, tiny_settings, tmp_path):
    jobs = [TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1), runs_folder=tmp_path) for _ in range(2)]
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

    import core.jobs

    calls = []
    monkeypatch.setattr(core.jobs, "release_free_memory", lambda: calls.append(threading.current_thread().name))
    TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1), save=False).start().join()
    assert calls == ["training-job"]

    def fails(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(training, "run_training", fails)
    failed = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1), save=False).start()
    failed.join()
    assert failed.snapshot().state == "failed" and len(calls) == 2
    monkeypatch.undo()
    if sys.platform.startswith("linux"):
        assert core.jobs.release_free_memory() is True  # glibc here: the trim really ran
