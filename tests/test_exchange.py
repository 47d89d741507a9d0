"""Runs out as a zip, and back in from a file treated as hostile: caps, schema, clear messages, no cache poisoning."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from support import make_run

from core.exchange import MAX_IMPORT_BYTES, MAX_MEMBER_BYTES, RunFileError, runs_from_file, runs_table, runs_to_zip


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
    back, problems = runs_from_file("runs.zip", payload)
    assert problems == []
    assert [(r.method, r.epochs, r.status) for r in back] == [(r.method, r.epochs, r.status) for r in runs]
    assert all(r.run_id.startswith("imported-") and r.fingerprint is None for r in back)


def test_a_single_json_record_imports():
    record = make_run(status="running")
    (back,), problems = runs_from_file("run.json", json.dumps(record.to_dict()).encode())
    assert problems == [] and back.status == "stopped" and "still running" in back.message


@pytest.mark.parametrize(
    "payload, says",
    [
        (b"", "not JSON"),
        (b"\xff\xfe garbage", "not JSON"),
        (b"[1, 2, 3]", "not an object"),
        (json.dumps({"run_id": "x"}).encode(), "not a run record"),
        (json.dumps(dict(make_run().to_dict(), method="adam")).encode(), "unknown method"),
        (json.dumps(dict(make_run().to_dict(), run_id="../../etc/passwd")).encode(), "not a run record"),
        (json.dumps(dict(make_run().to_dict(), status="<b>pwned</b>")).encode(), "not a run record"),
        (json.dumps(dict(make_run().to_dict(), fingerprint=["a"])).encode(), "not a run record"),
        (json.dumps(dict(make_run().to_dict(), batches=[[1, 2, "x", 4, 5, 6]])).encode(), "per-batch curve"),
        (json.dumps(dict(make_run().to_dict(), batches=[[1, 2, 3]] * 2000)).encode(), "per-batch curve"),
        (json.dumps(dict(make_run().to_dict(), batch_stride=0)).encode(), "not a run record"),
        (b"x" * (MAX_IMPORT_BYTES + 1), "at most"),
    ],
)
def test_bad_json_files_are_refused_with_a_reason(payload, says):
    with pytest.raises(RunFileError, match=says):
        runs_from_file("bad.json", payload)


def test_impossible_figures_are_refused():
    record = make_run().to_dict()
    record["epochs"][0]["val_accuracy"] = 7.5
    with pytest.raises(RunFileError, match="figures no run can produce"):
        runs_from_file("bad.json", json.dumps(record).encode())
    record["epochs"][0]["val_accuracy"] = float("nan")
    with pytest.raises(RunFileError, match="figures no run can produce"):
        runs_from_file("bad.json", json.dumps(record, allow_nan=True).encode())


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
    runs, problems = runs_from_file("mixed.zip", payload)
    assert [r.epochs for r in runs] == [good.epochs]
    assert len(problems) == 2 and any("broken.json" in p for p in problems)


def test_a_zip_bomb_is_refused_unread():
    bomb = zipped({"bomb.json": b"{" + b" " * (MAX_MEMBER_BYTES * 20) + b"}"})
    assert len(bomb) < 100_000  # it compresses to almost nothing
    runs, problems = runs_from_file("bomb.zip", bomb)
    assert runs == [] and "too large" in problems[0]


def test_a_zip_with_no_records_or_too_many_files_is_refused():
    with pytest.raises(RunFileError, match="no run records"):
        runs_from_file("empty.zip", zipped({"notes.txt": "hello"}))
    with pytest.raises(RunFileError, match="at most"):
        runs_from_file("many.zip", zipped({f"{i}.txt": "" for i in range(501)}))
    with pytest.raises(RunFileError, match="not a readable zip|not JSON"):
        runs_from_file("cut.zip", zipped({"a.json": "{}"})[:30])


def test_the_runs_table_has_the_settings_as_columns():
    run = make_run()
    run.settings.update(learning_rate=0.003, seed=4)
    table = runs_table([(run, "student 2", "trained")])
    row = table.iloc[0]
    assert (row["name"], row["learning_rate"], row["seed"], row["epochs done"]) == ("student 2", 0.003, 4, 2)
    assert row["best val accuracy"] == pytest.approx(0.42)
