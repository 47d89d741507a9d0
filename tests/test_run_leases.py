"""Runs end honestly: a run's process renews its lease; a lapsed lease makes the run interrupted, epochs kept.

On a SQLite file and on a real PostgreSQL server (tests/engines.py). Leases are
short here (a second or less) and every wait polls a condition under a generous
guard, so nothing depends on how fast this machine is. The killed server is a
real process, SIGKILLed while its run holds an epoch.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import asdict, replace

import sqlalchemy as sa
from engines import postgres_url  # noqa: F401 - a pytest fixture (store_url's PostgreSQL)
from support import HANG_GUARD, ROOT, gate_training, make_run, wait_for

from core.records import RunRecord
from core.runs.hub import Hub
from core.runs.slots import JobSlots
from core.runs.watch import Watch
from core.states import MessageCode, RunMessage
from core.store import INTERRUPTED, SCHEMA_VERSION, RunStore


def status_of(store: RunStore, run_id: str) -> str:
    return store.get_run(run_id).status


def test_a_lapsed_lease_makes_a_run_interrupted_with_its_epochs_kept_and_a_renewed_one_stays_running(store_url):
    short = RunStore(store_url, lease_seconds=0.2)
    long = RunStore(store_url, lease_seconds=600)
    try:
        lost, alive = make_run(epochs=2, status="running"), make_run(epochs=1, status="running")
        short.save_run(lost)
        short.save_run(alive)
        long.renew_leases([alive.run_id])  # its process vouches for it for ten minutes
        wait_for(lambda: short.reap_lapsed_runs() >= 0 and status_of(short, lost.run_id) == "interrupted", "the lease to lapse")
        found = short.get_run(lost.run_id)
        assert (found.message, found.ended_at is not None, found.epochs) == (INTERRUPTED, True, lost.epochs)
        assert status_of(short, alive.run_id) == "running"
        # Interrupted runs count and go like finished ones: the owner's own may make room.
        short.add_new_run(make_run(), "ann", "me:ann", "", "trained")
    finally:
        short.close()
        long.close()


def test_a_held_lease_is_renewed_by_its_process_and_dropped_when_the_job_ends(store_url):
    store = RunStore(store_url, lease_seconds=0.4)
    try:
        record = make_run(status="running")
        store.save_run(record)
        job_alive = [True]
        store.leases.hold(record.run_id, lambda: job_alive[0])
        store.leases.tick()  # renewed (and revived, were it already marked), then checked
        assert status_of(store, record.run_id) == "running" and store.leases.held == [record.run_id]
        job_alive[0] = False  # the job ended without saving its end (its database write failed)
        store.leases.stop()
        store.leases.tick()
        assert store.leases.held == []
        wait_for(lambda: store.reap_lapsed_runs() >= 0 and status_of(store, record.run_id) == "interrupted", "the lease to lapse")
    finally:
        store.close()


def test_a_run_stopped_while_queued_is_saved_stopped(store_url, tiny_data, tiny_settings, monkeypatch):
    store = RunStore(store_url)
    gate = gate_training(monkeypatch.setattr)
    hub = Hub(store, JobSlots(1))
    busy = Watch(hub, [tiny_settings], tiny_data, space="me:bob", owner="bob").start()
    try:
        wait_for(lambda: busy.snapshot().state == "running", "the first run to hold the only slot")
        queued = Watch(hub, [replace(tiny_settings, seed=5)], tiny_data, space="me:ann", owner="ann").start()
        wait_for(lambda: queued.snapshot().queue_position == 1, "the second press to be queued")
        wait_for(lambda: store.space_runs("me:ann"), "the queued run to be listed in its space")
        (run,) = store.space_runs("me:ann")
        assert run.record.status == "running"  # queued: it exists, and its process holds its lease
        queued.stop()
        assert queued.join(HANG_GUARD)
        wait_for(lambda: status_of(store, run.record.run_id) == "stopped", "the stop to be saved")
        saved = store.get_run(run.record.run_id)
        assert saved.message == RunMessage(MessageCode.STOPPED_WAITING) and saved.ended_at is not None
    finally:
        gate.set()
        busy.stop()
        busy.join(HANG_GUARD)
        store.close()


SERVER = textwrap.dedent(
    """
    import sys
    import threading
    from dataclasses import replace

    from core import training
    from core.data import prepare_data
    from core.runs.hub import Hub
    from core.runs.watch import Watch
    from core.runs.slots import JobSlots
    from core.settings import RunSettings
    from core.store import RunStore

    url, npz, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = RunStore(url)  # its lease: TRAINING_RUN_LEASE_SECONDS from the test
    data = prepare_data(max_len=40, path=npz, download=False)
    real_train = training.train

    def train(settings, data, hooks):
        report = hooks.on_epoch

        def on_epoch(row):
            report(row)  # the epoch is saved
            print(hooks.record.run_id, flush=True)
            threading.Event().wait()  # and the run holds here, mid-run, until the test kills this server

        return real_train(settings, data, replace(hooks, on_epoch=on_epoch))

    training.train = train  # the job looks it up when it starts
    settings = RunSettings(epochs=epochs, batch_size=16, max_len=40, lr_halving_epoch=None)
    Watch(Hub(store, JobSlots(1)), [settings], data, space="me:ann", owner="ann").start().join()
    """
)


def test_a_server_killed_mid_run_shows_the_run_interrupted_and_the_same_train_trains_again(
    store_url, fixture_npz, tiny_data, tiny_settings, monkeypatch
):
    assert tiny_data.max_len == 40
    settings = replace(tiny_settings, epochs=3)
    RunStore(store_url).close()  # the schema exists, as on a server that ran before
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRAINING_RUN_LEASE_SECONDS="1")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, store_url, str(fixture_npz), str(settings.epochs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        run_id = server.stdout.readline().strip()  # printed once its first epoch is saved
        assert run_id, server.stderr.read()
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(HANG_GUARD)
        server.stdout.close()
        server.stderr.close()
    monkeypatch.setenv("TRAINING_RUN_LEASE_SECONDS", "1")
    store = RunStore(store_url)  # the restarted server
    try:
        wait_for(lambda: store.reap_lapsed_runs() >= 0 and status_of(store, run_id) == "interrupted", "the lease to lapse")
        interrupted = store.get_run(run_id)
        assert len(interrupted.epochs) == 1 and interrupted.message == INTERRUPTED
        assert [run.record.status for run in store.space_runs("me:ann")] == ["interrupted"]
        # The same Train: not a cached result, not a join of the dead run, a new run that finishes.
        again = Watch(Hub(store, JobSlots(1)), [settings], tiny_data, space="me:ann", owner="ann").start()
        assert again.join(HANG_GUARD)
        snap = again.snapshot()
        assert snap.state == "finished" and snap.shared == {}
        (record,) = snap.records
        assert record.run_id != run_id and len(record.epochs) == 3
        assert status_of(store, record.run_id) == "finished" and status_of(store, run_id) == "interrupted"
    finally:
        store.close()


# Schema 1, as the app created it before owners and leases: the tables a database made then holds.
OLD_SCHEMA = [
    "CREATE TABLE schema_info (key VARCHAR(64) PRIMARY KEY, value VARCHAR(256) NOT NULL)",
    """CREATE TABLE runs (
        run_id VARCHAR(128) PRIMARY KEY, fingerprint VARCHAR(64), method VARCHAR(32) NOT NULL,
        label VARCHAR(256) NOT NULL, status VARCHAR(16) NOT NULL, message TEXT NOT NULL, settings TEXT NOT NULL,
        versions TEXT NOT NULL, started_at VARCHAR(40) NOT NULL, ended_at VARCHAR(40), created FLOAT NOT NULL,
        batch_curve TEXT DEFAULT '{"stride": 1, "points": []}' NOT NULL)""",
    "CREATE INDEX ix_runs_fingerprint ON runs (fingerprint)",
    """CREATE TABLE epochs (
        run_id VARCHAR(128) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
        loss FLOAT NOT NULL, accuracy FLOAT NOT NULL, top5_accuracy FLOAT NOT NULL, val_loss FLOAT NOT NULL,
        val_accuracy FLOAT NOT NULL, val_top5_accuracy FLOAT NOT NULL, learning_rate FLOAT NOT NULL,
        seconds FLOAT NOT NULL, finished_at VARCHAR(40) NOT NULL, PRIMARY KEY (run_id, epoch))""",
    """CREATE TABLE space_runs (
        space VARCHAR(80) NOT NULL, run_id VARCHAR(128) NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        display_name VARCHAR(64) NOT NULL, how VARCHAR(16) NOT NULL, added FLOAT NOT NULL, PRIMARY KEY (space, run_id))""",
    "CREATE INDEX space_runs_by_space ON space_runs (space, added)",
    "INSERT INTO schema_info (key, value) VALUES ('version', '1')",
]


def insert_into(table: str, values: dict) -> sa.TextClause:
    return sa.text(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + name for name in values)})")


def schema_1_rows(record: RunRecord) -> tuple[dict, list[dict]]:
    """A run's row and its epochs' rows as schema 1 wrote them: its ending as an English sentence."""
    run = {
        "run_id": record.run_id,
        "fingerprint": record.fingerprint,
        "method": record.method,
        "label": record.label,
        "status": str(record.status),
        "message": str(record.message),
        "settings": json.dumps(record.settings, sort_keys=True),
        "versions": json.dumps(record.versions, sort_keys=True),
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "created": 1.0,
        "batch_curve": json.dumps({"stride": record.batch_stride, "points": record.batches}),
    }
    epochs = [{"run_id": record.run_id, **asdict(row)} for row in record.epochs]
    return run, epochs


def test_a_database_made_by_schema_1_migrates_at_start_up(store_url):
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        for statement in OLD_SCHEMA:
            conn.exec_driver_sql(statement)
    engine.dispose()
    runs = {"ann": make_run(), "class": make_run(), "server": make_run(), "dead": make_run(status="running")}
    # Written before endings were message codes: the English sentence is shown as it is, in every language.
    runs["ann"].message = RunMessage.plain("Early stopping ended the run after epoch 2.")
    places = {"ann": "me:ann", "class": "class:bio", "server": "server", "dead": "me:bob"}
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        for name, record in runs.items():  # rows written as schema 1 wrote them: no owner, no lease
            row, epoch_rows = schema_1_rows(record)
            conn.execute(insert_into("runs", row), row)
            for values in epoch_rows:
                conn.execute(insert_into("epochs", values), values)
            how = "imported" if name == "server" else "trained"
            conn.execute(
                sa.text("INSERT INTO space_runs (space, run_id, display_name, how, added) VALUES (:s, :r, '', :h, 1.0)"),
                {"s": places[name], "r": record.run_id, "h": how},
            )
        conn.execute(
            sa.text(
                "INSERT INTO space_runs (space, run_id, display_name, how, added) VALUES ('me:carol', :r, '', 'cached', 2.0)"
            ),
            {"r": runs["ann"].run_id},
        )
    engine.dispose()

    store = RunStore(store_url)
    try:
        with store.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT value FROM schema_info WHERE key = 'version'")).scalar()
            made = dict(conn.execute(sa.text("SELECT run_id, owner FROM runs")).all())
        assert version == str(SCHEMA_VERSION) == "2"
        assert made == {
            runs["ann"].run_id: "ann",
            runs["class"].run_id: None,  # made in a class before owners were kept: the class's and the server's count only
            runs["server"].run_id: "server",
            runs["dead"].run_id: "bob",
        }
        assert store.count_runs(owner="ann") == 1 and store.count_runs(made_in="class:bio") == 1
        dead = store.get_run(runs["dead"].run_id)
        assert dead.status == "interrupted" and dead.epochs == runs["dead"].epochs  # left running: now what it is
        assert store.get_run(runs["ann"].run_id) == runs["ann"]
        assert [run.record.run_id for run in store.space_runs("me:carol")] == [runs["ann"].run_id]
        store.add_new_run(make_run(), "ann", "me:ann", "", "trained")  # and it works as a new one does
        assert store.count_runs(owner="ann") == 2
        RunStore(store_url).close()  # a second start finds it done
    finally:
        store.close()
