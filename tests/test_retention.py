"""Fair retention: each run counts against its owner's, its class's and the server's quota, and nobody's runs make room for somebody else's.

Every test runs on a SQLite file and again on a real PostgreSQL server
(tests/engines.py). Floods go through the same calls the pages make: the import
box reads a file (`read_runs_file`) and saves all its runs in one transaction within the
importer's quotas (`save_imported`); Train goes through the hub (`RunStore.make_room`).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from engines import postgres_url  # noqa: F401 - a pytest fixture (store_url's PostgreSQL)
from support import gate_training, make_run, wait_for

from core.exchange import read_runs_file, runs_to_zip
from core.runs.hub import Hub
from core.runs.slots import JobSlots
from core.runs.watch import Watch
from core.store import QuotaFull, RunStore


@pytest.fixture
def small_store(store_url):
    """Quotas small enough to fill in a test: 50 runs a visitor, 30 a class, 300 on the server."""
    made = RunStore(store_url, per_visitor=50, per_class=30, per_server=300)
    yield made
    made.close()


def add_runs(store: RunStore, owner: str, space: str, count: int, status: str = "finished") -> list[str]:
    ids = []
    for _ in range(count):
        record = make_run(status=status)
        store.add_new_run(record, owner, space, owner, "trained")
        ids.append(record.run_id)
    return ids


def import_file(store: RunStore, owner: str, space: str, payload: bytes) -> QuotaFull | None:
    """What the import box does with a file (ui/saved_runs.py): the whole file fits its importer's quotas, or none of it is saved."""
    report = read_runs_file("runs.zip", payload)
    try:
        store.save_imported(owner, space, report.runs, owner)
    except QuotaFull as refusal:
        return refusal
    return None


def ids_in(store: RunStore, space: str) -> set[str]:
    return {run.record.run_id for run in store.space_runs(space)}


def test_another_visitors_runs_survive_one_visitors_25_big_imports(small_store):
    bob_private = add_runs(small_store, "bob", "me:bob", 5)
    bob_in_class = add_runs(small_store, "bob", "class:cs101", 5)
    big = runs_to_zip([make_run() for _ in range(200)])  # the zip: 200 copies of an honest record
    fits = runs_to_zip([make_run() for _ in range(20)])
    refusals = []
    for attempt in range(25):
        space = "me:ann" if attempt % 2 else "class:cs101"
        refusals.append(import_file(small_store, "ann", space, big))
        import_file(small_store, "ann", space, fits)
    # 200 runs fit no quota: each big file is refused whole, naming the first quota it overflows.
    assert all(refusal is not None for refusal in refusals)
    assert {refusal.quota for refusal in refusals} <= {"visitor", "class"}
    assert ids_in(small_store, "me:bob") == set(bob_private)
    assert set(bob_in_class) <= ids_in(small_store, "class:cs101")
    assert small_store.count_runs(owner="ann") <= 50
    assert small_store.count_runs(made_in="class:cs101") <= 30


def test_a_class_cap_removes_only_the_newcomers_own_oldest_runs_in_that_class(small_store):
    store = small_store
    store.per_class = 6
    bob = add_runs(store, "bob", "class:bio", 3)
    ann_class = add_runs(store, "ann", "class:bio", 3)  # the class is full now
    ann_private = add_runs(store, "ann", "me:ann", 3)
    carol_elsewhere = add_runs(store, "carol", "class:chem", 6)
    newer = add_runs(store, "ann", "class:bio", 2)  # her own two oldest in the class make room
    assert ids_in(store, "class:bio") == set(bob + ann_class[2:] + newer)
    assert ids_in(store, "me:ann") == set(ann_private) and ids_in(store, "class:chem") == set(carol_elsewhere)
    # Someone with no finished run of their own in the full class is refused; nothing is removed.
    with pytest.raises(QuotaFull) as refused:
        add_runs(store, "dave", "class:bio", 1)
    assert refused.value.quota == "class" and "this class's quota of 6 runs" in str(refused.value)
    assert ids_in(store, "class:bio") == set(bob + ann_class[2:] + newer)


def test_a_full_quota_refuses_with_a_message_naming_it(store_url):
    store = RunStore(store_url, per_visitor=3, per_class=100, per_server=8)
    try:
        in_class = add_runs(store, "ann", "class:geo", 3)
        # Her quota is full of runs the class sees: none of them is hers to drop for a private run.
        refusal = store.quota_refusal("ann", "me:ann", 1)
        assert refusal.quota == "visitor" and str(refusal).startswith("Refused: your quota of 3 runs is full")
        assert "你的 3 个运行的配额已满" in refusal.message.text("zh")
        assert store.count_runs() == 3  # asking removes nothing
        with pytest.raises(QuotaFull):
            add_runs(store, "ann", "me:ann", 1)
        assert ids_in(store, "class:geo") == set(in_class)
        add_runs(store, "bob", "me:bob", 3)
        add_runs(store, "carol", "me:carol", 2)  # the server holds 8
        refusal = store.quota_refusal("dave", "me:dave", 1)
        assert refusal.quota == "server" and "this server's quota of 8 runs" in str(refusal)
        assert "这台服务器的 8 个运行的配额已满" in refusal.message.text("zh")
        # Bob may replace his own oldest private run, and nobody else's.
        oldest_of_bob = sorted(store.space_runs("me:bob"), key=lambda run: run.added)[0].record.run_id
        assert store.quota_refusal("bob", "me:bob", 1) is None
        add_runs(store, "bob", "me:bob", 1)
        assert store.get_run(oldest_of_bob) is None and store.count_runs() == 8
        assert store.count_runs(owner="carol") == 2 and store.count_runs(owner="ann") == 3
    finally:
        store.close()


def test_a_run_in_progress_is_never_removed_to_make_room(small_store):
    store = small_store
    store.per_visitor = 2
    running = add_runs(store, "ann", "me:ann", 2, status="running")
    with pytest.raises(QuotaFull) as refused:
        add_runs(store, "ann", "me:ann", 1)
    assert refused.value.quota == "visitor"
    assert {store.get_run(run_id).status for run_id in running} == {"running"}


def test_ten_train_stop_presses_while_the_slots_are_busy_leave_every_finished_run_of_others(
    store_url, tiny_data, tiny_settings, monkeypatch
):
    store = RunStore(store_url, per_server=12)
    gate = gate_training(monkeypatch.setattr)
    hub = Hub(store, JobSlots(1))
    try:
        bob = add_runs(store, "bob", "me:bob", 4) + add_runs(store, "bob", "class:cs101", 1)
        busy = Watch(hub, [tiny_settings], tiny_data, space="me:bob", owner="bob").start()
        wait_for(lambda: busy.snapshot().state == "running", "bob's run to hold the only slot")
        for press in range(10):
            settings = replace(tiny_settings, seed=1000 + press)  # a new computation each time
            ann = Watch(hub, [settings], tiny_data, space="me:ann", owner="ann").start()
            wait_for(lambda ann=ann: ann.snapshot().queue_position is not None, "the press to be queued")
            ann.stop()
            assert ann.join(120)
            (saved,) = [run for run in store.space_runs("me:ann") if run.record.settings["seed"] == 1000 + press]
            wait_for(lambda run_id=saved.record.run_id: store.get_run(run_id).status == "stopped", "the stop to be saved")
        assert set(bob) <= {run.record.run_id for run in store.space_runs("me:bob") + store.space_runs("class:cs101")}
        # Bob's five finished runs and his run in progress; Ann's stopped presses fill the rest, her oldest went.
        assert store.count_runs() == 12 and store.count_runs(owner="ann") == 6
        statuses = [run.record.status for run in store.space_runs("me:ann")]
        assert statuses == ["stopped"] * 6
    finally:
        gate.set()
        busy.stop()
        busy.join(120)
        store.close()
