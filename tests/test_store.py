"""The run store: spaces keep runs private, the database is shared safely (quotas: test_retention.py; leases: test_run_leases.py).

Every test runs twice: on a real SQLite file in its own folder (WAL mode, the
default), and on a real PostgreSQL server (`DATABASE_URL=postgresql+psycopg://…`,
one server per module from tests/engines.py, a new database per test). The
PostgreSQL half is marked `postgres`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from engines import postgres_url  # noqa: F401 - a pytest fixture (store_url's PostgreSQL)
from support import make_run

from core.records import save_record
from core.states import RunMessage
from core.store import SERVER_SPACE, RunStore, class_space, private_space, store_from_environment, valid_class_code

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(store_url) -> RunStore:
    made = RunStore(store_url)
    yield made
    made.engine.dispose()


def test_a_saved_run_reads_back_equal(store):
    record = make_run(fingerprint="a" * 32)
    record.batches, record.batch_stride = [(2, 1, 3.5, 0.25, 3.75, 0.2), (4, 1, 3.0, 0.5, 3.5, 0.3)], 2
    store.save_run(record)
    assert store.get_run(record.run_id) == record
    record.epochs.pop()
    record.message = RunMessage.plain("changed")
    store.save_run(record)  # saving again replaces the run and its epochs, all or nothing
    assert store.get_run(record.run_id) == record


def test_a_space_sees_only_its_own_runs(store):
    mine, yours, theirs = make_run(), make_run("custom_loop"), make_run("train_on_batch")
    for record in (mine, yours, theirs):
        store.save_run(record)
    store.add_to_space(private_space("ann"), mine.run_id, "", "trained")
    store.add_to_space(private_space("bob"), yours.run_id, "", "trained")
    store.add_to_space(class_space("bio-7"), theirs.run_id, "student 3", "trained")
    assert [r.record.run_id for r in store.space_runs(private_space("ann"))] == [mine.run_id]
    assert [r.record.run_id for r in store.space_runs(private_space("bob"))] == [yours.run_id]
    (run,) = store.space_runs(class_space("bio-7"))
    assert (run.record.run_id, run.display_name) == (theirs.run_id, "student 3")
    # Not by list, and not by id either.
    assert store.run_in_space(private_space("ann"), yours.run_id) is None
    assert store.run_in_space(class_space("bio-7"), mine.run_id) is None
    assert store.run_in_space(private_space("ann"), mine.run_id).record == mine
    assert store.space_runs(class_space("other")) == []


def test_class_codes_are_short_and_plain():
    assert valid_class_code(" Bio-7A ") == "bio-7a"
    for bad in ["", "ab", "x" * 25, "bio 7", "bio/7", "../x", "-bio", "bio_7", "<b>", "生物", None, 7]:
        assert valid_class_code(bad) is None, bad


def test_cached_result_needs_a_finished_complete_run(store):
    assert store.cached_result("f" * 32) is None
    stopped = make_run(status="stopped", fingerprint="f" * 32)
    partial = make_run(fingerprint="f" * 32)
    partial.settings["epochs"] = 5  # finished with 2 of 5 epochs: not the same computation
    store.save_run(stopped)
    store.save_run(partial)
    assert store.cached_result("f" * 32) is None
    complete = make_run(fingerprint="f" * 32)
    store.save_run(complete)
    assert store.cached_result("f" * 32) == complete


def test_the_database_is_the_one_named(store):
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:
            assert (store.dialect, conn.dialect.driver) == ("postgresql", "psycopg")
            assert conn.exec_driver_sql("SELECT current_database()").scalar() == store.url.rsplit("/", 1)[1]


def test_old_json_records_are_imported_once_into_the_servers_space(store_url, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    old = make_run(fingerprint="claims-to-be-cached")
    save_record(old, runs)
    (runs / "broken.json").write_text("{not json")
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(runs))
    if store_url.startswith("sqlite"):
        store_url = f"sqlite:///{runs}/runs.sqlite3"  # the default: a file beside the old records
    else:
        monkeypatch.setenv("DATABASE_URL", store_url)
    store = store_from_environment()
    assert store.url == store_url
    (imported,) = store.space_runs(SERVER_SPACE)
    assert imported.record.run_id == old.run_id and imported.how == "imported"
    assert imported.record.fingerprint is None  # a file's claims never feed the result cache
    assert store.cached_result("claims-to-be-cached") is None
    save_record(make_run(), runs)
    again = RunStore(store.url)
    assert again.import_json_folder_once(runs) == 0  # once per database
    assert len(again.space_runs(SERVER_SPACE)) == 1


WRITER = textwrap.dedent(
    """
    import sys
    from core.records import EpochRow, RunRecord
    from core.store import RunStore

    store = RunStore(sys.argv[1])
    for number in range(int(sys.argv[3])):
        record = RunRecord.start("fit", {"epochs": 3}, label=f"{sys.argv[2]}-{number}")
        record.epochs = [EpochRow(e, 1.0, 0.5, 0.7, 1.1, 0.4, 0.6, 0.001, 0.1, "t") for e in (1, 2, 3)]
        store.save_run(record.end("finished"))
        store.add_to_space("class:load", record.run_id, sys.argv[2], "trained")
    """
)


def test_two_processes_write_one_database_at_once(store_url):
    """Several server processes share one database (a SQLite file on one machine, PostgreSQL across machines)."""
    url = store_url
    RunStore(url)  # the schema exists before they start, as after the first server's start-up
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, f"w{i}", "40"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    for writer in writers:
        _out, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    runs = RunStore(url).space_runs("class:load")
    assert len(runs) == 120 and all(len(run.record.epochs) == 3 for run in runs)
    assert {run.display_name for run in runs} == {"w0", "w1", "w2"}


def test_servers_starting_together_create_the_schema_once(store_url):
    """No server fails on an empty database because another one is creating the tables at that moment."""
    url = store_url
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", f"from core.store import RunStore; RunStore({url!r})"],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for starter in starters:
        _out, errors = starter.communicate(timeout=120)
        assert starter.returncode == 0, errors
    assert RunStore(url).count_runs() == 0
