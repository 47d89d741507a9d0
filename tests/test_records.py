"""Run records: JSON round trips, atomic saves, a folder with broken files, the long-form table."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from core import records
from core.records import (
    FRAME_COLUMNS,
    EpochRow,
    RunRecord,
    list_records,
    load_record,
    record_path,
    record_to_csv,
    record_to_json,
    records_to_frame,
    runs_dir,
    save_record,
)
from core.states import RunMessage


def row(epoch: int, **changes) -> EpochRow:
    values = {
        "epoch": epoch,
        "loss": 2.0 / epoch,
        "accuracy": 0.4 + epoch / 100,
        "top5_accuracy": 0.7 + epoch / 100,
        "val_loss": 1.9 / epoch,
        "val_accuracy": 0.5 + epoch / 100,
        "val_top5_accuracy": 0.75 + epoch / 100,
        "learning_rate": 0.001,
        "seconds": 5.0 + epoch,
        "finished_at": f"2026-01-01T14:0{epoch}:00+00:00",
    }
    values.update(changes)
    return EpochRow(**values)


def make_record(method: str = "fit", epochs: int = 3, **changes) -> RunRecord:
    record = RunRecord.start(method, {"method": method, "epochs": epochs})
    record.epochs = [row(e) for e in range(1, epochs + 1)]
    for name, value in changes.items():
        setattr(record, name, value)
    return record.end("finished")


def test_start_makes_a_safe_unique_id_and_a_label():
    first, second = RunRecord.start("fit", {}), RunRecord.start("fit", {})
    assert first.run_id != second.run_id
    assert records.SAFE_RUN_ID.fullmatch(first.run_id)
    assert "-fit-" in first.run_id
    assert first.label.startswith("fit · ")
    assert first.status == "running" and first.ended_at is None
    assert "keras" in first.versions and "numpy" in first.versions


def test_save_and_load_round_trip(tmp_path):
    record = make_record("custom_loop", message=RunMessage.plain("hello"))
    path = save_record(record, tmp_path)
    assert path == tmp_path / f"{record.run_id}.json"
    loaded = load_record(path)
    assert loaded == record
    assert loaded.epochs[1] == row(2)
    assert loaded.best_val_accuracy == pytest.approx(0.53)


def test_non_finite_figures_survive_the_round_trip(tmp_path):
    record = make_record()
    record.epochs.append(row(4, loss=math.nan, val_loss=math.inf))
    loaded = load_record(save_record(record, tmp_path))
    assert math.isnan(loaded.epochs[-1].loss) and loaded.epochs[-1].val_loss == math.inf


def test_save_uses_the_runs_folder_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(tmp_path / "elsewhere"))
    path = save_record(make_record())
    assert path.parent == tmp_path / "elsewhere" == runs_dir()
    assert list_records()[0][0].run_id == path.stem


def test_a_failed_rename_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    record = make_record(message=RunMessage.plain("the first version"))
    path = save_record(record, tmp_path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    record.message = RunMessage.plain("the second version")
    record.epochs.append(row(4))
    with pytest.raises(OSError, match="power cut"):
        save_record(record, tmp_path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_list_records_skips_broken_files_with_a_message(tmp_path):
    good = make_record()
    save_record(good, tmp_path)
    (tmp_path / "corrupt.json").write_text("{not json at all", encoding="utf-8")
    whole = record_to_json(make_record("train_on_batch"))
    (tmp_path / "half.json").write_text(whole[: len(whole) // 2], encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    (tmp_path / ".tmp-abc123.json").write_text(whole, encoding="utf-8")  # an interrupted save
    (tmp_path / "notes.txt").write_text("not a record", encoding="utf-8")

    found, problems = list_records(tmp_path)
    assert [r.run_id for r in found] == [good.run_id]
    assert len(problems) == 3
    for name, problem in zip(["corrupt.json", "half.json", "other.json"], sorted(problems)):
        assert problem.startswith(f"{name}: skipped, not a readable run record")
    assert not any(".tmp-" in p for p in problems)


def test_list_records_newest_first_and_missing_folder(tmp_path):
    old, new = make_record(), make_record()
    old.started_at, new.started_at = "2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00"
    save_record(old, tmp_path)
    save_record(new, tmp_path)
    assert [r.run_id for r in list_records(tmp_path)[0]] == [new.run_id, old.run_id]
    assert list_records(tmp_path / "missing") == ([], [])


@pytest.mark.parametrize("run_id", ["../x", "a/b", "/etc/passwd", "..", "", "a\\b", "x" * 200])
def test_unsafe_run_ids_are_refused(tmp_path, run_id):
    record = make_record()
    record.run_id = run_id
    with pytest.raises(ValueError, match="unsafe run id"):
        record_path(record, tmp_path)
    with pytest.raises(ValueError):
        RunRecord.from_dict(record.to_dict())
    assert list(tmp_path.iterdir()) == []


def test_unknown_status_is_not_a_record():
    values = make_record().to_dict()
    values["status"] = "exploded"
    with pytest.raises(ValueError, match="not a run record"):
        RunRecord.from_dict(values)


def test_from_dict_ignores_unknown_fields():
    values = {**make_record().to_dict(), "added_in_a_later_version": 1}
    assert RunRecord.from_dict(values).epochs[0] == row(1)


def test_frame_has_three_metrics_times_two_splits_per_epoch():
    fit, loop = make_record("fit", epochs=3), make_record("custom_loop", epochs=2)
    frame = records_to_frame([fit, loop])
    assert list(frame.columns) == FRAME_COLUMNS
    assert len(frame) == (3 + 2) * 3 * 2
    assert set(frame["split"]) == {"train", "validation"}
    assert set(frame["metric"]) == {"loss", "accuracy", "top5_accuracy"}
    one = frame[(frame["run"] == fit.label) & (frame["epoch"] == 2)]
    assert len(one) == 6
    value = one[(one["split"] == "validation") & (one["metric"] == "accuracy")]["value"].item()
    assert value == row(2).val_accuracy
    assert one[(one["split"] == "train") & (one["metric"] == "loss")]["value"].item() == row(2).loss
    assert frame["epoch"].dtype == "int64" and frame["value"].dtype == "float64"
    assert list(frame[frame["method"] == "custom_loop"]["epoch"].unique()) == [1, 2]


def test_frame_uses_the_id_when_there_is_no_label():
    record = make_record(label="")
    assert set(records_to_frame([record])["run"]) == {record.run_id}


def test_empty_input_gives_an_empty_frame_with_the_columns():
    for empty in ([], [make_record(epochs=0)]):
        frame = records_to_frame(empty)
        assert frame.empty and list(frame.columns) == FRAME_COLUMNS


def test_csv_and_json_exports_hold_every_epoch():
    record = make_record("train_on_batch", epochs=4)
    table = pd.read_csv(io.StringIO(record_to_csv(record)))
    assert list(table["epoch"]) == [1, 2, 3, 4]
    assert list(table["val_accuracy"]) == [row(e).val_accuracy for e in range(1, 5)]
    assert set(table["method"]) == {"train_on_batch"} and set(table["run_id"]) == {record.run_id}
    exported = json.loads(record_to_json(record))
    assert [e["epoch"] for e in exported["epochs"]] == [1, 2, 3, 4]
    assert RunRecord.from_dict(exported) == record


def test_saved_file_is_the_json_export(tmp_path):
    record = make_record()
    assert json.loads(Path(save_record(record, tmp_path)).read_text()) == json.loads(record_to_json(record))
