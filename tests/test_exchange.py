"""Runs out as a zip, and back in from a file treated as hostile: caps, schema, clear messages, no cache poisoning."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from support import make_run

from core.exchange import MAX_IMPORT_BYTES, MAX_MEMBER_BYTES, read_runs_file, runs_table, runs_to_zip
from core.states import MessageCode, RunMessage


def zipped(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_download_all_then_import_gives_the_same_runs_under_new_ids():
    runs = [make_run("fit", fingerprint="a" * 32), make_run("custom_loop", epochs=3, status="stopped")]
    payload = runs_to_zip(runs)
    names = sorted(zipfile.ZipFile(io.BytesIO(payload)).namelist())
    assert names == sorted([f"{r.run_id}.json" for r in runs] + [f"{r.run_id}.csv" for r in runs])
    report = read_runs_file("runs.zip", payload)
    assert report.skipped == [] and report.refused is None
    assert [(r.method, r.epochs, r.status) for r in report.runs] == [(r.method, r.epochs, r.status) for r in runs]
    assert all(r.run_id.startswith("imported-") and r.fingerprint is None for r in report.runs)


def test_a_single_json_record_imports():
    record = make_run(status="running")
    report = read_runs_file("run.json", json.dumps(record.to_dict()).encode())
    (back,) = report.runs
    assert report.skipped == [] and back.status == "stopped" and back.message == RunMessage(MessageCode.IMPORTED_RUNNING)


BAD_FILES = [
    (b"", "not_json"),
    (b"\xff\xfe garbage", "not_json"),
    (b"[1, 2, 3]", "not_object"),
    (json.dumps({"run_id": "x"}).encode(), "field_missing"),
    (json.dumps(dict(make_run().to_dict(), method="adam")).encode(), "method"),
    (json.dumps(dict(make_run().to_dict(), status="<b>pwned</b>")).encode(), "status"),
    (json.dumps(dict(make_run().to_dict(), batches=[[1, 2, "x", 4, 5, 6]])).encode(), "batches"),
    (json.dumps(dict(make_run().to_dict(), batches=[[1, 2, 3]] * 2000)).encode(), "batches"),
    (json.dumps(dict(make_run().to_dict(), batch_stride=0)).encode(), "batches"),
    (b"x" * (MAX_IMPORT_BYTES + 1), "file_size"),
]


# Named by position and reason: the payloads hold run ids made from the clock, and every pytest-xdist
# worker must collect the same test names.
@pytest.mark.parametrize("payload, reason", BAD_FILES, ids=[f"{n}-{reason}" for n, (_, reason) in enumerate(BAD_FILES)])
def test_bad_json_files_are_refused_with_a_reason(payload, reason):
    report = read_runs_file("bad.json", payload)
    assert report.runs == [] and report.refused.reason == reason


def test_a_hostile_run_id_or_fingerprint_in_a_file_is_replaced_not_refused():
    values = dict(make_run().to_dict(), run_id="../../etc/passwd", fingerprint=["a"])
    (back,) = read_runs_file("run.json", json.dumps(values).encode()).runs
    assert back.run_id.startswith("imported-") and back.fingerprint is None


def test_impossible_figures_are_refused():
    record = make_run().to_dict()
    record["epochs"][0]["val_accuracy"] = 7.5
    assert read_runs_file("bad.json", json.dumps(record).encode()).refused.reason == "epoch_figure"
    record["epochs"][0]["val_accuracy"] = float("nan")
    refused = read_runs_file("bad.json", json.dumps(record, allow_nan=True).encode()).refused
    assert (refused.reason, refused.values) == ("epoch_figure", {"epoch": 1, "field": "val_accuracy"})


def test_a_zip_keeps_its_good_runs_and_names_the_bad_ones():
    good = make_run()
    payload = zipped(
        {
            "good.json": json.dumps(good.to_dict()),
            "good.csv": "ignored",
            "broken.json": "{",
            "nested/../../evil.json": json.dumps(dict(good.to_dict(), status="nope")),
        }
    )
    report = read_runs_file("mixed.zip", payload)
    assert [r.epochs for r in report.runs] == [good.epochs]
    assert [(s.part, s.reason) for s in report.skipped] == [("broken.json", "not_json"), ("nested/../../evil.json", "status")]


def test_a_zip_bomb_is_refused_unread():
    bomb = zipped({"bomb.json": b"{" + b" " * (MAX_MEMBER_BYTES * 20) + b"}"})
    assert len(bomb) < 100_000  # it compresses to almost nothing
    report = read_runs_file("bomb.zip", bomb)
    assert report.runs == [] and report.skipped[0].reason == "member_size"


def test_a_zip_with_no_records_or_too_many_files_is_refused():
    assert read_runs_file("empty.zip", zipped({"notes.csv": "hello"})).refused.reason == "zip_empty"
    assert read_runs_file("many.zip", zipped({f"{i}.txt": "" for i in range(501)})).refused.reason == "zip_members"
    assert read_runs_file("cut.zip", zipped({"a.json": "{}"})[:30]).refused.reason == "zip_unreadable"


def test_the_runs_table_has_the_settings_as_columns():
    run = make_run()
    run.settings.update(learning_rate=0.003, seed=4)
    table = runs_table([(run, "student 2", "trained")])
    row = table.iloc[0]
    assert (row["name"], row["learning_rate"], row["seed"], row["epochs done"]) == ("student 2", 0.003, 4, 2)
    assert row["best val accuracy"] == pytest.approx(0.42)
