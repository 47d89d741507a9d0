"""fit's logging callbacks: their files and the `callbacks=[...]` that ran, from the trainer to the store to the export.

On the tiny fixture data: a fit run with CSVLogger hands back its CSV (the
record's figures) and the list of callbacks it ran; a job saves them in the
store, where another store on the same database (a reload, another server)
finds them, also in a database made before the table existed; Compare's zip
puts them in the run's folders, and an import passes over them. The settings
that turn the callbacks on leave the fingerprints of runs without them as they
were.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import replace

import pytest
import sqlalchemy as sa
from engines import postgres_url  # noqa: F401 - a pytest fixture (store_url's PostgreSQL)
from support import make_run, require_dev_package

from core.exchange import read_runs_file, runs_to_zip
from core.fingerprint import numeric_versions, run_fingerprint
from core.run_files import CALLBACKS_FILE, CSV_LOGGER_FILE, tensorboard_installed
from core.settings import RunSettings, SettingsError
from core.store import RunStore


def test_a_fit_run_with_csv_logger_hands_back_its_csv_and_the_callbacks_that_ran(tiny_data, tiny_settings):
    from core.training import train

    settings = replace(tiny_settings, csv_logger=True, early_stopping_patience=3)
    trained = train(settings, tiny_data)
    assert trained.record.status == "finished"
    assert set(trained.files) == {CSV_LOGGER_FILE, CALLBACKS_FILE}
    assert trained.files[CALLBACKS_FILE].decode() == (
        "callbacks=[\n"
        "    ReportToRun(run),\n"
        "    keras.callbacks.EarlyStopping(monitor='val_loss', patience=3),\n"
        "    keras.callbacks.CSVLogger('training.csv'),\n"
        "]\n"
    )
    rows = list(csv.DictReader(io.StringIO(trained.files[CSV_LOGGER_FILE].decode())))
    assert [int(row["epoch"]) + 1 for row in rows] == [row.epoch for row in trained.record.epochs]  # Keras counts from 0
    for row, epoch in zip(rows, trained.record.epochs, strict=True):
        for name in ("loss", "accuracy", "top5_accuracy", "val_loss", "val_accuracy", "val_top5_accuracy"):
            assert float(row[name]) == pytest.approx(getattr(epoch, name), abs=1e-6), name


def test_without_logging_callbacks_only_the_list_is_kept_and_other_methods_keep_nothing(tiny_data, tiny_settings):
    from core.training import train

    fit = train(replace(tiny_settings, epochs=1), tiny_data)
    assert fit.files == {CALLBACKS_FILE: b"callbacks=[\n    ReportToRun(run),\n]\n"}
    assert train(replace(tiny_settings, epochs=1, method="custom_loop", csv_logger=True), tiny_data).files == {}


def test_the_settings_are_checked_and_leave_earlier_fingerprints_as_they_were():
    with pytest.raises(SettingsError, match="csv_logger must be true or false"):
        RunSettings(csv_logger="yes").validate()
    settings, versions = RunSettings(), {"tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"}
    before = {k: v for k, v in settings.to_dict().items() if k not in ("csv_logger", "tensorboard_callback")}
    text = json.dumps(
        {"settings": before, "data": "d", "versions": numeric_versions(versions)}, sort_keys=True, separators=(",", ":")
    )
    assert run_fingerprint(settings, "d", versions) == hashlib.sha256(text.encode()).hexdigest()[:32]
    assert run_fingerprint(replace(settings, csv_logger=True), "d", versions) != run_fingerprint(settings, "d", versions)


def test_a_jobs_files_are_in_the_store_for_a_reload_and_another_server(store_url, tiny_data, tiny_settings):
    from core.runs.jobs import JobSlots, TrainingJob

    store = RunStore(store_url)
    job = TrainingJob([replace(tiny_settings, epochs=1, csv_logger=True)], tiny_data, slots=JobSlots(1), store=store)
    job.start().join(timeout=120)
    run_id = job.snapshot().records[0].run_id
    other = RunStore(store_url)  # another server on the same database, or this one after a restart
    files = other.files_of([run_id])[run_id]
    assert set(files) == {CSV_LOGGER_FILE, CALLBACKS_FILE} and b"CSVLogger" in files[CALLBACKS_FILE]
    assert other.files_of(["no-such-run"]) == {} and other.files_of([]) == {}
    store.save_run_files(run_id, {CALLBACKS_FILE: b"replaced"})
    assert other.files_of([run_id]) == {run_id: {CALLBACKS_FILE: b"replaced"}}, "saving again replaces, all or nothing"
    store.engine.dispose()
    other.engine.dispose()


def test_a_database_made_before_the_table_gets_it_at_start(store_url):
    old = RunStore(store_url)
    run = make_run()
    old.save_run(run)
    with old.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE run_files"))  # as a database of the previous version is
    old.engine.dispose()
    upgraded = RunStore(store_url)
    assert upgraded.get_run(run.run_id) is not None and upgraded.files_of([run.run_id]) == {}
    upgraded.save_run_files(run.run_id, {CSV_LOGGER_FILE: b"epoch,loss\n0,1.0\n"})
    assert upgraded.files_of([run.run_id]) == {run.run_id: {CSV_LOGGER_FILE: b"epoch,loss\n0,1.0\n"}}
    upgraded.engine.dispose()


def test_the_export_puts_a_runs_files_in_its_folders_and_an_import_passes_over_them():
    run = make_run()
    files = {
        run.run_id: {
            CSV_LOGGER_FILE: b"epoch,loss\n0,1.0\n",
            CALLBACKS_FILE: b"callbacks=[]\n",
            "tensorboard/train/events.out.tfevents.1.reuters.0.v2": b"events",
        }
    }
    payload = runs_to_zip([run], files=files)
    names = set(zipfile.ZipFile(io.BytesIO(payload)).namelist())
    assert {
        f"files/{run.run_id}/{CSV_LOGGER_FILE}",
        f"files/{run.run_id}/{CALLBACKS_FILE}",
        f"tensorboard/{run.run_id}/callback/train/events.out.tfevents.1.reuters.0.v2",
    } <= names
    report = read_runs_file("selected-runs.zip", payload)
    assert report.skipped == [] and report.refused is None and len(report.runs) == 1


def test_keras_tensorboard_callback_logs_hold_the_records_figures(tiny_data, tiny_settings, tmp_path):
    """Keras' TensorBoard callback writes through TensorBoard's tf.summary.scalar: the tensorboard package (dev only)."""
    require_dev_package("tensorboard")
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    from core.training import train

    trained = train(replace(tiny_settings, tensorboard_callback=True), tiny_data)
    assert trained.record.status == "finished", trained.record.message
    assert "keras.callbacks.TensorBoard(log_dir='tensorboard')" in trained.files[CALLBACKS_FILE].decode()
    # Keras writes each epoch's figures to train/ and validation/, as epoch_<name> at step epoch - 1.
    found = {}
    for path, payload in trained.files.items():
        if path.startswith("tensorboard/") and "/events.out.tfevents." in path:
            written = tmp_path / path.replace("/", "_")
            written.write_bytes(payload)
            for raw in tf.data.TFRecordDataset(str(written)):
                event = event_pb2.Event.FromString(raw.numpy())
                for value in event.summary.value:
                    found[(path.split("/")[1], value.tag, event.step)] = tf.make_ndarray(value.tensor).item()
    for row in trained.record.epochs:
        for folder, prefix in (("train", ""), ("validation", "val_")):
            for name in ("loss", "accuracy", "top5_accuracy"):
                assert found[(folder, f"epoch_{name}", row.epoch - 1)] == pytest.approx(getattr(row, prefix + name), abs=1e-6)


def test_the_fit_page_adds_csv_logger_and_shows_the_callbacks_that_ran(app_env, server_slots, sessions):
    from support import open_page, open_session, texts, wait_for_job

    server_slots(2)
    at = open_session(sessions)
    open_page(at, "fit").run()
    assert at.checkbox(key="fit_tensorboard_callback").disabled == (not tensorboard_installed())
    at.checkbox(key="fit_csv_logger").check().run()
    at.button(key="train_fit").click().run()
    wait_for_job(at)
    assert not at.exception, [e.value for e in at.exception]
    run = at.session_state["job"].snapshot().records[0]
    assert run.settings["csv_logger"] is True and run.status == "finished"
    shown = [block.value for block in at.code if block.value.startswith("callbacks=[")]
    assert shown == [
        "callbacks=[\n    ReportToRun(run),\n    keras.callbacks.CSVLogger('training.csv'),\n]"
    ]  # st.code strips the last newline
    assert f"files/{run.run_id}/" in texts(at) and "`training.csv`" in texts(at)
    # The other pages offer no such choice: their settings stay as the sidebar made them.
    open_page(at, "custom_loop").run()
    assert not at.exception and not [box for box in at.checkbox if box.key == "fit_csv_logger"]


def test_without_tensorboard_the_fit_page_says_how_to_get_its_callback(app_env, sessions, monkeypatch):
    """requirements.txt has no tensorboard: the box is off and the page says why and what installs it."""
    from support import open_page, open_session, texts

    monkeypatch.setattr("ui.run_files.tensorboard_installed", lambda: False)
    at = open_session(sessions)
    open_page(at, "fit").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key="fit_tensorboard_callback").disabled
    assert "`pip install tensorboard`" in texts(at)
