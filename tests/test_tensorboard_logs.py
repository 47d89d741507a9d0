"""Runs as TensorBoard logs: every figure of the record read back from the event files, and the HParams summaries.

The files are read back with `tf.data.TFRecordDataset` and TensorFlow's `Event`
proto (TensorBoard is not one of the app's requirements), and every scalar is
compared with the record, as the float32 that `tf.summary` stores. The HParams
plugin data is parsed with the message classes core.tensorboard_logs declares
(TensorBoard's names and field numbers), and by TensorBoard's own classes
(requirements-dev.txt installs it).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from support import ROOT, make_run, require_dev_package

from core.exchange import read_runs_file, runs_to_zip
from core.tensorboard_logs import (
    BATCH_FIGURES,
    EPOCH_FIGURES,
    EXPERIMENT_TAG,
    SESSION_END_TAG,
    SESSION_START_TAG,
    TABLE_METRICS,
    hparams_message,
    run_hparams,
    write_logs,
)


def two_runs():
    """A finished fit run with a per-batch curve and a setting that is off, and a stopped custom loop run."""
    fit = make_run("fit", epochs=3)
    fit.settings = {"method": "fit", "epochs": 3, "batch_size": 32, "learning_rate": 0.001, "lr_halving_epoch": None}
    fit.batches = [
        (step, 1 + (step - 1) // 10, 2.0 / step, 0.3 + step / 100, 1.5 / step, 0.25 + step / 200) for step in range(1, 31)
    ]
    stopped = make_run("custom_loop", epochs=2, status="stopped")
    stopped.epochs = [replace(row, learning_rate=0.0005) for row in stopped.epochs]
    return [fit, stopped]


def read_events(folder: Path) -> list:
    """Every Event of the event files in `folder` (not below it), in the order written."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for raw in tf.data.TFRecordDataset(str(path)):
            events.append(event_pb2.Event.FromString(raw.numpy()))
    return events


def scalars(events) -> dict[tuple[str, int], float]:
    found = {}
    for event in events:
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "hparams":
                continue
            assert value.metadata.plugin_data.plugin_name == "scalars" and value.tensor.dtype == 1  # DT_FLOAT
            assert (value.tag, event.step) not in found, "each figure is written once"
            found[(value.tag, event.step)] = value.tensor.float_val[0]
    return found


def plugin_data(events, tag: str):
    (value,) = [value for event in events for value in event.summary.value if value.tag == tag]
    assert value.metadata.plugin_data.plugin_name == "hparams"
    return value.metadata.plugin_data.content


def test_every_figure_of_the_records_is_in_the_event_files(tmp_path):
    runs = two_runs()
    written = write_logs(runs, tmp_path)
    assert written == [tmp_path / run.run_id for run in runs], "one sub-directory per run, named by its id"
    for run in runs:
        found = scalars(read_events(tmp_path / run.run_id))
        expected = {(f"epoch/{name}", row.epoch): getattr(row, name) for row in run.epochs for name in EPOCH_FIGURES}
        for point in run.batches:
            expected.update({(f"batch/{name}", point[0]): value for name, value in zip(BATCH_FIGURES, point[2:], strict=True)})
        assert set(found) == set(expected)
        for key, value in expected.items():
            assert found[key] == np.float32(value), key
    assert {"loss", "accuracy", "top5_accuracy", "val_top5_accuracy", "learning_rate"} <= set(EPOCH_FIGURES)


def test_settings_are_hyperparameters_the_hparams_table_compares(tmp_path):
    runs = two_runs()
    write_logs(runs, tmp_path)
    plugin = hparams_message("HParamsPluginData")
    for run in runs:
        events = read_events(tmp_path / run.run_id)
        start = plugin.FromString(plugin_data(events, SESSION_START_TAG)).session_start_info
        assert start.group_name == run.run_id
        shown = {
            name: value.WhichOneof("kind") and getattr(value, value.WhichOneof("kind")) for name, value in start.hparams.items()
        }
        assert shown == run_hparams(run)
        end = plugin.FromString(plugin_data(events, SESSION_END_TAG)).session_end_info
        assert end.status == (1 if run.status == "finished" else 0)  # STATUS_SUCCESS; a stopped run is neither
    assert run_hparams(runs[0])["lr_halving_epoch"] == 0.0, "a setting that is off is 0, as the sidebar shows it"
    assert run_hparams(runs[0])["method"] == "fit" and run_hparams(runs[0])["learning_rate"] == 0.001

    experiment = plugin.FromString(plugin_data(read_events(tmp_path), EXPERIMENT_TAG)).experiment
    infos = {info.name: info for info in experiment.hparam_infos}
    assert set(infos) == set(run_hparams(runs[0])) | set(run_hparams(runs[1]))
    assert list(infos["method"].domain_discrete) == ["custom_loop", "fit"] and infos["method"].differs
    assert [metric.name.tag for metric in experiment.metric_infos] == [f"epoch/{name}" for name in TABLE_METRICS]
    found = scalars(read_events(tmp_path / runs[0].run_id))
    assert all((f"epoch/{name}", 3) in found for name in TABLE_METRICS), "the table's metrics are scalars of the run"


def test_event_files_do_not_carry_the_servers_host_name(tmp_path):
    import socket

    write_logs(two_runs(), tmp_path)
    names = [path.name for path in tmp_path.rglob("events.out.tfevents.*")]
    assert len(names) == 3 and all(name.endswith(".reuters.v2") for name in names)
    assert not any(socket.gethostname() in name for name in names)


def test_the_selected_runs_zip_holds_the_logs_and_imports_back_without_a_skip(tmp_path):
    runs = two_runs()
    payload = runs_to_zip(runs, tensorboard=True)
    archive = zipfile.ZipFile(io.BytesIO(payload))
    logs = [name for name in archive.namelist() if name.startswith("tensorboard/")]
    assert len(logs) == 3 and {name.split("/")[1] for name in logs if name.count("/") == 2} == {r.run_id for r in runs}
    archive.extractall(tmp_path)
    assert scalars(read_events(tmp_path / "tensorboard" / runs[1].run_id))[("epoch/learning_rate", 2)] == np.float32(0.0005)
    report = read_runs_file("selected-runs.zip", payload)
    assert report.refused is None and report.skipped == [] and len(report.runs) == 2
    assert not any(name.startswith("tensorboard/") for name in zipfile.ZipFile(io.BytesIO(runs_to_zip(runs))).namelist())


def test_exporting_imports_no_tensorflow_until_logs_are_written():
    code = "import sys, core.exchange, core.tensorboard_logs; print('tensorflow' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_tensorboards_own_hparams_classes_read_what_is_written(tmp_path):
    """TensorBoard (a dev requirement, not the app's): its classes parse the same bytes."""
    api = require_dev_package("tensorboard.plugins.hparams.plugin_data_pb2")
    write_logs(two_runs(), tmp_path)
    theirs = api.HParamsPluginData.FromString(plugin_data(read_events(tmp_path), EXPERIMENT_TAG))
    assert [info.name for info in theirs.experiment.hparam_infos][:2] == ["method", "label"]
