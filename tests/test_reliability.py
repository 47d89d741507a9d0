"""One Python process serves everyone: many sessions, closed sessions, faults, crashed writes, broken data.

Sessions are Streamlit AppTest instances in this process: each has its own
session_state, and all share what a real server shares (the process's hub
`core.runs.hub.server_hub()` with its job cap, `st.cache_resource`, the run store in
the runs folder). Each Train press is a `Watch` over a job that trains in its
worker thread while the test renders the pages. Waits poll until a condition
holds; their deadlines only stop a hung test.

bench/load_test.py runs the same scenario with more sessions and epochs and
prints a table.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from fixture_data import write_fixture_npz
from streamlit.testing.v1 import AppTest
from streamlit_server import running_app
from support import (
    APP,
    BROWSER_HANG_GUARD_MS,
    HANG_GUARD,
    collect_until,
    figures,
    kill_while_writing,
    live_job_threads,
    open_page,
    open_session,
    outside,
    press_train,
    recording_writes,
    run_sessions,
    state,
    store_in,
    texts,
    wait_for,
)

from core.records import RunRecord, save_record
from core.runs.jobs import TrainingJob
from core.runs.slots import JobSlots, Pace
from core.store import SERVER_SPACE, RunStore, private_space, store_from_environment

# ---------------------------------------------------------------------------
# Many users at once


def test_many_sessions_share_the_cap_wait_visibly_and_each_gets_its_own_run(app_env, server_slots, gate, sessions):
    from core.training import run_training

    slots = server_slots(2)
    with recording_writes() as writes:
        seen = run_sessions(sessions, app_env, slots, gate, count=4, epochs=1)
    visitors = seen["visitors"]

    assert seen["max_in_use"] == 2 and seen["max_waiting"] == 2
    assert slots.in_use == 0, "every slot was given back"
    assert seen["threads_after"] == seen["threads_before"], "no training thread outlives its job"
    assert max(seen["renders"]) < 30, f"a page took {max(seen['renders']):.1f} s to render while runs trained"

    # Each visitor sees their own finished run, with their own settings and data, and nothing of the others'.
    jobs = [v.job for v in visitors]
    assert len({id(job) for job in jobs}) == len(jobs)
    for i, v in enumerate(visitors):
        assert v.at.session_state["job"] is v.job
        assert v.at.session_state["settings"].seed == v.seed
        assert "Finished: 1 epochs" in texts(v.at)
        (record,) = v.job.snapshot().records
        assert (record.status, record.method, record.settings["seed"]) == ("finished", v.method, v.seed)
        assert (state(v.at, "uploaded_reuters") is not None) == (i == 0), "an upload belongs to its session alone"
        assert v.job.data.source == ("uploaded file" if i == 0 else str(app_env.npz))
    assert state(seen["observer"], "job") is None

    # The numbers are the ones each run gives alone (same seed, same data: same figures to 6 decimals).
    for v in visitors:
        (record,) = v.job.snapshot().records
        alone = run_training(v.job.settings_list[0], v.job.data)
        assert figures(record) == figures(alone), f"session {v.seed} ({v.method}) was disturbed by the others"
    assert len({tuple(figures(v.job.snapshot().records[0])) for v in visitors}) == len(visitors)

    # Every record saved, one per run, each in its visitor's own space only; nothing written outside the runs folder.
    store = store_from_environment()
    assert store.url == f"sqlite:///{app_env.runs / 'runs.sqlite3'}"
    for v in visitors:
        record = v.job.snapshot().records[0]
        (saved,) = store.space_runs(private_space(v.at.session_state["visitor_id"]))
        assert (saved.how, saved.record.run_id, saved.record.status) == ("trained", record.run_id, "finished")
        assert figures(saved.record) == figures(record)
    assert store.space_runs(private_space(seen["observer"].session_state["visitor_id"])) == []
    assert store.count_runs() == len(visitors)
    assert str(app_env.runs / "runs.sqlite3") in writes, "the store is the SQLite file in the runs folder"
    assert outside(writes, app_env.runs, app_env.root / "data") == []


# ---------------------------------------------------------------------------
# Sessions that close while training


class Owner:
    """Stands for a session: the only thing holding it is the test, as session_state holds the real one."""


def test_dropping_the_owner_stops_its_job_and_frees_the_slot(tiny_data, tiny_settings, tmp_path):
    threads_before = len(live_job_threads())
    slots = JobSlots(1)
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")
    long = replace(tiny_settings, epochs=200)
    jobs = [TrainingJob([long], tiny_data, slots=slots, store=store) for _ in range(3)]
    owners = {}
    for job in jobs:
        owners[job] = Owner()
        job.stop_when_collected(owners[job])
        job.start()
    wait_for(lambda: any(r.epochs for job in jobs for r in job.snapshot().records), "a first epoch")
    running = next(job for job in jobs if job.snapshot().state == "running")
    first_waiting, last_waiting = [job for job in jobs if job is not running]
    assert {first_waiting.snapshot().state, last_waiting.snapshot().state} == {"waiting"}

    # A waiting session closes: its job ends without ever taking a slot.
    del owners[first_waiting]
    gc.collect()
    assert first_waiting.join(HANG_GUARD)
    assert first_waiting.snapshot().state == "stopped" and first_waiting.snapshot().records == []
    # A run stopped while it waited is saved as stopped, with no epochs (it never trained), not left "running".
    never_started = store.get_run(first_waiting.run_ids[0])
    assert never_started is not None and never_started.status == "stopped" and never_started.epochs == []
    assert running.snapshot().state == "running"

    # The training session closes: the run stops, its epochs are saved, and the last visitor gets the slot.
    del owners[running]
    gc.collect()
    assert running.join(HANG_GUARD), "the job of a closed session kept training"
    (record,) = running.snapshot().records
    assert record.status == "stopped" and 1 <= len(record.epochs) < 200
    saved = store.get_run(record.run_id)
    assert saved.status == "stopped" and saved.epochs == record.epochs
    wait_for(lambda: last_waiting.snapshot().state == "running", "the slot to pass to the last job")
    assert slots.in_use == 1

    owners.clear()
    gc.collect()
    assert last_waiting.join(HANG_GUARD)
    assert slots.in_use == 0
    assert len(live_job_threads()) == threads_before


def test_a_closed_apptest_session_stops_its_job(app_env, server_slots, sessions):
    """The real path: the owner that ui/live_run.py puts in session_state goes with the session.

    Its watch ends; nobody else watches the computation, so the job under it stops too.
    """
    import core.runs.hub

    slots = server_slots(1)
    threads_before = len(live_job_threads())
    at = open_session(sessions, epochs=200)
    job = press_train(at, "custom_loop")
    wait_for(lambda: any(r.epochs for r in job.snapshot().records), "a first epoch")
    assert slots.in_use == 1 and core.runs.hub.server_hub().active_jobs() == 1
    sessions.clear()
    del at
    collect_until(lambda: job.join(0.2), "the watch of the dropped session to end")
    (record,) = job.snapshot().records
    assert job.snapshot().state == "stopped" and record.status == "stopped"
    wait_for(lambda: core.runs.hub.server_hub().active_jobs() == 0, "the job nobody watches any more to end")
    saved = store_from_environment().get_run(record.run_id)
    assert saved.status == "stopped" and 1 <= len(saved.epochs) < 200
    assert slots.in_use == 0
    assert len(live_job_threads()) == threads_before


# ---------------------------------------------------------------------------
# Faults while others train


def test_faults_show_on_their_page_keep_finished_epochs_and_spare_the_others(app_env, server_slots, sessions, monkeypatch):
    """Three visitors, two slots: one run raises in epoch 2, one's loss turns NaN in epoch 2, one is healthy."""
    import numpy as np

    from core import training
    from core.training import run_training

    slots = server_slots(2)
    broken_seed, nan_seed, healthy_seed = 13, 21, 34
    real_batches_finished = training.TrainingRun.batches_finished
    real_build = training.build_model

    def batches_finished(run, count=1, logs=None, running=None):
        real_batches_finished(run, count, logs, running)
        if run.settings.seed == broken_seed and run.epoch == 2 and run.batches_done >= 3:
            raise OSError(28, "injected fault: no space left on device")
        if run.settings.seed == nan_seed and run.epoch == 2 and run.batches_done == 1:
            embeddings = run.model.get_layer("embedding").embeddings  # what a diverging run's weights become
            embeddings.assign(np.full(embeddings.shape, np.inf, dtype="float32"))

    monkeypatch.setattr(training.TrainingRun, "batches_finished", batches_finished)
    assert training.build_model is real_build

    broken = open_session(sessions, seed=broken_seed, epochs=3)
    healthy = open_session(sessions, seed=healthy_seed, epochs=4)
    nan = open_session(sessions, seed=nan_seed, epochs=3)
    jobs = {"broken": press_train(broken, "train_on_batch"), "healthy": press_train(healthy, "fit")}
    jobs["nan"] = press_train(nan, "custom_loop")
    for job in jobs.values():
        assert job.join(HANG_GUARD)
    for at in (broken, healthy, nan):
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    assert slots.in_use == 0

    # The failure is on its page, with the message, and the finished epoch is kept (on screen and on disk).
    errors = [e.value for e in broken.error]
    assert any("The run failed" in e and "injected fault: no space left on device" in e for e in errors), errors
    (record,) = jobs["broken"].snapshot().records
    assert record.status == "failed" and [row.epoch for row in record.epochs] == [1]
    saved = store_from_environment().get_run(record.run_id)
    assert saved.status == "failed" and saved.epochs == record.epochs

    errors = [e.value for e in nan.error]
    assert any("The loss became" in e and "epoch 2" in e and "smaller learning rate" in e for e in errors), errors
    (record,) = jobs["nan"].snapshot().records
    assert record.status == "failed" and [row.epoch for row in record.epochs] == [1]

    # The healthy run, which trained alongside both, finished with the figures it gets alone.
    (record,) = jobs["healthy"].snapshot().records
    assert record.status == "finished" and len(record.epochs) == 4
    assert "Finished: 4 epochs" in texts(healthy)
    monkeypatch.setattr(training.TrainingRun, "batches_finished", real_batches_finished)
    assert figures(record) == figures(run_training(jobs["healthy"].settings_list[0], jobs["healthy"].data))

    # And the server goes on: the broken visitor trains again, successfully.
    at = broken
    at.button(key="train_train_on_batch").click().run()
    again = at.session_state["job"]
    assert again is not jobs["broken"]
    assert again.join(HANG_GUARD)
    at.run()
    assert again.snapshot().state == "finished" and len(again.snapshot().records[0].epochs) == 3  # fault removed above
    assert "Finished: 3 epochs" in texts(at)
    assert slots.in_use == 0


@pytest.mark.parametrize("fault", ["model build", "saving the record", "epoch callback"])
def test_job_level_faults_end_the_job_cleanly_and_free_the_slot(tiny_data, tiny_settings, tmp_path, monkeypatch, fault):
    """Faults outside the trainer's loop: the job still ends with a state, a message, and its slot given back."""
    from core import training

    slots = JobSlots(1)
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")
    pace = None
    patch = monkeypatch.context()
    monkeypatch = patch.__enter__()
    if fault == "model build":

        def build(*args, **kwargs):
            raise MemoryError("injected: cannot allocate the embedding")

        monkeypatch.setattr(training, "build_model", build)
    elif fault == "saving the record":

        def save(*args, **kwargs):
            raise OSError(28, "injected: no space left on device")

        # The database's disk is full: neither the run nor any of its epochs can be written.
        monkeypatch.setattr(store, "save_run", save)
        monkeypatch.setattr(store, "add_epoch", save)
    else:

        class BreaksAtTheSecondEpoch(Pace):
            """The job's epoch hook hands each epoch's time to its pace: here that breaks at epoch 2."""

            epochs = 0

            def record(self, seconds: float, newswires: int, max_len: int) -> None:
                super().record(seconds, newswires, max_len)
                self.epochs += 1
                if self.epochs == 2:
                    raise RuntimeError("injected: the page's epoch hook broke")

        pace = BreaksAtTheSecondEpoch()
    job = TrainingJob([replace(tiny_settings, epochs=3)], tiny_data, slots=slots, store=store, pace=pace).start()
    assert job.join(HANG_GUARD)
    snap = job.snapshot()
    assert slots.in_use == 0
    assert "injected" in " ".join(str(m) for m in (snap.message, *(r.message for r in snap.records)))
    if fault == "model build":
        assert snap.state == "failed" and "MemoryError" in str(snap.message)
    elif fault == "saving the record":
        assert snap.state == "finished" and snap.records[0].message.not_saved
        assert len(snap.records[0].epochs) == 3  # the run is kept on screen
        assert store.get_run(snap.records[0].run_id) is None
    else:
        assert snap.state == "failed" and len(snap.records[0].epochs) >= 1
        saved = store.get_run(snap.records[0].run_id)
        assert saved.status == "failed" and saved.epochs == snap.records[0].epochs
    # The next job on the same slots and store trains, and is saved, normally.
    patch.__exit__(None, None, None)
    after = TrainingJob([replace(tiny_settings, epochs=1)], tiny_data, slots=slots, store=store).start()
    assert after.join(HANG_GUARD) and after.snapshot().state == "finished"
    assert store.get_run(after.run_ids[0]).status == "finished"


# ---------------------------------------------------------------------------
# Records: a database process killed mid-write, an old runs folder with broken files


def test_a_database_process_killed_mid_write_loses_no_run_reported_saved(tmp_path):
    runs = tmp_path / "runs"
    ids = [f"20260101-000000-fit-kill{i}" for i in range(4)]
    reported = kill_while_writing(runs, ids, rounds=6)
    assert set(reported) == set(ids)
    assert max(reported.values()) > len(reported), "the writer got through several versions"


def bad_record_files(folder: Path, good: RunRecord) -> list[str]:
    """Put every kind of broken file a runs folder can hold next to the good records; return the names to be reported."""
    text = json.dumps(good.to_dict())
    (folder / "half-written.json").write_text(text[: len(text) // 2])
    (folder / "empty.json").write_text("")
    (folder / "garbage.json").write_bytes(bytes(range(256)) * 4)
    (folder / "not-a-record.json").write_text("[1, 2, 3]")
    (folder / "wrong-types.json").write_text(json.dumps(dict(good.to_dict(), run_id="wrong-types", started_at=None)))
    (folder / "unknown-status.json").write_text(json.dumps(dict(good.to_dict(), run_id="odd", status="<b>pwned</b>")))
    (folder / "a-folder.json").mkdir()
    (folder / "dangling.json").symlink_to(folder / "nowhere")
    (folder / ".tmp-left-by-a-crash.json").write_text(text[:10])  # ignored silently: the real file is intact
    return ["half-written", "empty", "garbage", "not-a-record", "wrong-types", "unknown-status", "a-folder", "dangling"]


def test_an_old_runs_folder_with_broken_files_is_imported_once_and_stays_private_to_the_server(app_env, server_slots, sessions):
    """JSON records of earlier versions go into the server's own space, once; broken files are skipped.

    A visitor's Compare page lists their space only: none of the imported runs, then their own run.
    """
    ids = [f"20260101-000000-fit-kill{i}" for i in range(3)]
    crashed = app_env.root / "crashed"
    kill_while_writing(crashed, ids, rounds=2, seed=1)
    store = store_in(crashed)
    good = [store.get_run(run_id) for run_id in ids]
    store.engine.dispose()
    for record in good:
        save_record(record, app_env.runs)  # the format of earlier versions: one JSON file per run
    bad_record_files(app_env.runs, good[0])
    server_slots(1)

    at = open_session(sessions, epochs=1)
    open_page(at, "compare").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.warning], "broken files of the old folder are not a visitor's business"
    assert not [d for d in at.dataframe if "learning_rate" in d.value.columns], "the imported runs belong to the server's space"

    server = store_from_environment()
    imported = {run.record.run_id: run for run in server.space_runs(SERVER_SPACE)}
    assert sorted(imported) == sorted(ids) and {run.how for run in imported.values()} == {"imported"}
    for record in good:
        assert imported[record.run_id].record.epochs == record.epochs and imported[record.run_id].record.fingerprint is None
    assert server.count_runs() == len(ids)
    assert server.import_json_folder_once(app_env.runs) == 0, "imported once per database"

    # The visitor's own run is theirs to overlay, and drawing it works.
    job = press_train(at, "fit")
    assert job.join(HANG_GUARD) and job.snapshot().state == "finished"
    (record,) = job.snapshot().records
    open_page(at, "compare").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe(key="runs_table").value
    assert list(table["status"]) == ["finished"], table
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}  # tick it: overlay it
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert server.count_runs() == len(ids) + 1


# ---------------------------------------------------------------------------
# The dataset file: missing, unreadable, corrupt


def _dataset(kind: str, folder: Path) -> tuple[Path, str]:
    """A REUTERS_NPZ_PATH that is broken in one way, and what the page must say about it."""
    good = write_fixture_npz(folder / "good.npz").read_bytes()
    target = folder / "reuters.npz"
    if kind == "missing":
        return folder / "nowhere" / "reuters.npz", "which is not a file"
    if kind == "a directory":  # as root, chmod 000 would not stop a read: a folder in its place does
        target.mkdir()
        return target, "which is not a file"
    if kind == "a broken symlink":
        target.symlink_to(folder / "deleted.npz")
        return target, "which is not a file"
    if kind == "empty":
        target.write_bytes(b"")
    elif kind == "garbage":
        target.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    elif kind == "truncated":
        target.write_bytes(good[: len(good) * 2 // 3])
    elif kind == "bit rot":
        damaged = bytearray(good)
        damaged[len(good) // 3 : len(good) // 3 + 64] = bytes(64)
        target.write_bytes(bytes(damaged))
    return target, {"bit rot": "damaged or truncated"}.get(kind, "is not a .npz archive")


@pytest.mark.parametrize("kind", ["missing", "a directory", "a broken symlink", "empty", "garbage", "truncated", "bit rot"])
def test_a_broken_dataset_gets_a_message_and_every_page_still_serves(tmp_path, monkeypatch, kind):
    path, says = _dataset(kind, tmp_path)
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(path))
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown = texts(at)
        assert "The Reuters dataset is not available" in shown and says in shown, shown
        assert at.get("file_uploader"), "the page offers an upload instead"
        for page in ["fit", "compare"]:
            open_page(at, page).run()
            assert not at.exception, [e.value for e in at.exception]
            assert "The Reuters dataset is not available" in texts(at)
        assert "Your runs (0)" in texts(at), "the saved-runs section is still there"

        # Put a good file in place: the next visitor gets the data, without a restart.
        monkeypatch.setenv("REUTERS_NPZ_PATH", str(tmp_path / "good.npz"))
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception and "The Reuters dataset is not available" not in texts(at)
    finally:
        st.cache_resource.clear()


# ---------------------------------------------------------------------------
# A real server and browser: closing the tab ends the job


STOP_AFTER_CLOSE = 30  # seconds: TTL 2 s, then a poll of a second or two and the current batch


@pytest.mark.browser
def test_closing_the_browser_stops_the_job_after_the_disconnected_session_ttl(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no chromium executable was found")
        pytest.skip("no chromium executable")
    from playwright.sync_api import expect, sync_playwright

    runs = tmp_path / "runs"
    env = dict(
        os.environ,
        REUTERS_NPZ_PATH=str(write_fixture_npz(tmp_path / "reuters.npz", newswires=1500)),
        TRAINING_RUNS_DIR=str(runs),
        KERAS_HOME=str(tmp_path / "keras"),
        TRAINING_JOB_SLOTS="1",
    )
    import sqlalchemy as sa

    from core.store import runs as runs_table

    # The server's store: the SQLite file in its runs folder (made here first; the server shares it).
    runs.mkdir()
    store = RunStore(f"sqlite:///{runs / 'runs.sqlite3'}")
    with running_app(tmp_path, env, ("--server.disconnectedSessionTTL", "2")) as url:

        def saved(status: str) -> list[RunRecord]:
            with store.engine.connect() as conn:
                run_ids = conn.execute(sa.select(runs_table.c.run_id).where(runs_table.c.status == status)).scalars().all()
            return [store.get_run(run_id) for run_id in run_ids]

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            )

            def visitor(epochs: int):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(BROWSER_HANG_GUARD_MS)
                page.goto(url)
                page.wait_for_selector('[data-testid="stSidebar"]')
                page.get_by_role("spinbutton", name="Epochs").fill(str(epochs))
                page.get_by_role("spinbutton", name="Tokens per newswire (max_len)").fill("40")
                page.get_by_role("button", name="Apply settings").click()
                expect(page.get_by_text("Settings applied.")).to_be_visible()
                page.locator('[data-testid="stSidebarNav"] a', has_text="1 · model.fit").click()
                page.get_by_role("button", name="Train").click()
                return context, page

            context, page = visitor(epochs=200)
            expect(page.get_by_text(re.compile(r"[1-9]\d* of 200 epochs finished"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
            context.close()  # the visitor closes the tab while the run trains
            closed = time.monotonic()
            wait_for(lambda: saved("stopped"), "the closed session's run to stop and save", timeout=STOP_AFTER_CLOSE)
            stopped_after = time.monotonic() - closed
            (record,) = saved("stopped")
            assert 1 <= len(record.epochs) < 200

            # Its slot (the only one) is free: the next visitor trains at once.
            context, page = visitor(epochs=1)
            expect(page.get_by_text(re.compile(r"^Finished: 1 epochs"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
            context.close()
            browser.close()
        print(f"closed session's job stopped {stopped_after:.1f} s after the tab closed (TTL 2 s)")
