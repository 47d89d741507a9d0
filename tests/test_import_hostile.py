"""Importing run files as a hostile visitor would: every file ends in a report, nothing crashes or half-saves.

The files are the issue's (an invalid UTF-8 member name, JSON nested 100k deep,
duplicate epochs, an epoch of 1e30, NaN in a setting, a 41-character start
time, a small zip that would have grown the database by 205 MB) and thousands
of deterministic mutations of an honest zip and record (byte flips,
truncations, member shuffles, hostile values at random places). What reaches
the store goes there in one transaction, and SQLite and PostgreSQL (a real
server from tests/engines.py, marked `postgres`) store the same runs alike.
"""

from __future__ import annotations

import copy
import io
import json
import random
import warnings
import zipfile
from dataclasses import replace

import pytest
import sqlalchemy as sa
from engines import fresh_database, postgres_url  # noqa: F401 - postgres_url is a pytest fixture

from core.exchange import (
    MAX_LABEL,
    MAX_MESSAGE,
    MAX_RUNS,
    ImportReport,
    read_runs_file,
    record_from_values,
)
from core.i18n import EN, LANGUAGES, t
from core.records import EpochRow, RunRecord, record_to_json
from core.settings import MAX_EPOCHS, RunSettings
from core.states import MessageCode, RunMessage
from core.store import RunStore, class_space, private_space

WHEN = (2026, 11, 27, 10, 0, 0)  # every zip member's date: the same bytes on every run


# ---------------------------------------------------------------------------
# Honest material, the same on every run


def honest_run(method: str = "fit", epochs: int = 3, seed: int = 0, points: int = 12) -> RunRecord:
    """A plausible finished run with fixed ids and times (so mutations of it are reproducible)."""
    rows = [
        EpochRow(
            e,
            1.5 / e,
            0.5 + e / 100,
            0.8,
            1.6 / e,
            0.45 + e / 100,
            0.75,
            0.001,
            2.5,
            f"2026-11-27T{10 + e // 60:02d}:{e % 60:02d}:00+00:00",
        )
        for e in range(1, epochs + 1)
    ]
    steps_per_epoch = max(1, points // epochs)
    batches = [
        (s, min(epochs, 1 + (s - 1) // steps_per_epoch), 2.0 / (1 + s / 100), 0.3, 2.1 / (1 + s / 100), 0.28)
        for s in range(1, points + 1)
    ]
    return RunRecord(
        run_id=f"run-{method}-{seed}",
        method=method,
        settings=RunSettings(method=method, epochs=epochs, seed=seed).to_dict(),
        label=f"{method} · 10:00:{seed:02d}",
        epochs=rows,
        status="finished",
        started_at="2026-11-27T10:00:00+00:00",
        ended_at="2026-11-27T10:09:00+00:00",
        versions={"python": "3.11.7", "keras": "3.15.1"},
        batches=batches,
    )


def zipped(members: list[tuple[str | bytes, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name, content) members in this order, byte for byte the same on every run."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a repeated member name is one of the mutations
        for name, content in members:
            info = zipfile.ZipInfo(name if isinstance(name, str) else name.decode("utf-8", "replace"), date_time=WHEN)
            info.compress_type = compression
            archive.writestr(info, content)
    return buffer.getvalue()


def as_json(record: RunRecord) -> bytes:
    return record_to_json(record).encode()


def values_of(record: RunRecord, **changes) -> bytes:
    return json.dumps(dict(record.to_dict(), **changes), allow_nan=True).encode()


def with_epochs(record: RunRecord, **row_changes) -> bytes:
    """The record's JSON with its first epoch row changed."""
    values = record.to_dict()
    values["epochs"][0].update(row_changes)
    return json.dumps(values, allow_nan=True).encode()


def reason_says_something(skip) -> None:
    """Every reason is a catalogue key, in both languages, whose placeholders its values fill."""
    for language in LANGUAGES:
        assert t(f"import.why.{skip.reason}", language, **skip.values).strip()


def report_reasons(report: ImportReport) -> list[str]:
    skips = ([report.refused] if report.refused else []) + report.skipped
    for skip in skips:
        reason_says_something(skip)
    return [skip.reason for skip in skips]


# ---------------------------------------------------------------------------
# The issue's files, each refused with its reason


def invalid_utf8_member_name() -> bytes:
    payload = zipped([("aé.json", as_json(honest_run()))])  # a non-ASCII name: zipfile flags it UTF-8
    return payload.replace("aé".encode(), b"a\xff\xfe")  # same length, in both headers: no longer UTF-8


DEEP = b"[" * 100_000 + b"]" * 100_000
GOOD = honest_run()


HOSTILE_FILES = [
    ("names.zip", invalid_utf8_member_name(), "zip_names"),
    ("deep.json", DEEP, "too_deep"),
    ("deep-field.json", b'{"method": "fit", "settings": ' + DEEP + b"}", "too_deep"),
    ("dup.json", values_of(GOOD, epochs=[GOOD.epochs[0].__dict__, GOOD.epochs[0].__dict__]), "epoch_order"),
    ("down.json", values_of(GOOD, epochs=[GOOD.epochs[1].__dict__, GOOD.epochs[0].__dict__]), "epoch_order"),
    ("float-epoch.json", with_epochs(GOOD, epoch=1e30), "epoch_number"),
    ("big-epoch.json", with_epochs(GOOD, epoch=10**30), "epoch_number"),
    ("zero-epoch.json", with_epochs(GOOD, epoch=0), "epoch_number"),
    ("loss.json", with_epochs(GOOD, loss=1e30), "epoch_figure"),
    ("huge-int-loss.json", with_epochs(GOOD, loss=10**400), "epoch_figure"),
    ("inf.json", with_epochs(GOOD, val_loss=float("inf")), "epoch_figure"),
    ("negative-seconds.json", with_epochs(GOOD, seconds=-1), "epoch_figure"),
    ("bool.json", with_epochs(GOOD, accuracy=True), "epoch_figure"),
    ("nan-setting.json", values_of(GOOD, settings=dict(GOOD.settings, learning_rate=float("nan"))), "settings"),
    ("negative-epochs.json", values_of(GOOD, settings=dict(GOOD.settings, epochs=-5)), "settings"),
    ("list-settings.json", values_of(GOOD, settings=[1, 2]), "field_type"),
    ("list-setting.json", values_of(GOOD, settings=dict(GOOD.settings, batch_size=[32])), "settings"),
    ("other-method.json", values_of(GOOD, settings=dict(GOOD.settings, method="custom_loop")), "settings_method"),
    ("more-epochs.json", values_of(GOOD, settings=dict(GOOD.settings, epochs=1)), "too_many_epochs"),
    ("long-start.json", values_of(GOOD, started_at="2026-11-27T10:00:00+00:00" + " " * 16), "time"),
    ("no-time.json", values_of(GOOD, started_at="yesterday"), "time"),
    ("end-time.json", values_of(GOOD, ended_at=12), "time"),
    ("finished-at.json", with_epochs(GOOD, finished_at='=HYPERLINK("http://x")'), "time"),
    ("label.json", values_of(GOOD, label=["a"]), "field_type"),
    ("versions.json", values_of(GOOD, versions={f"lib{i}": "1" for i in range(100)}), "field_type"),
    ("row.json", values_of(GOOD, epochs=[[1, 2, 3]]), "epoch_row"),
    ("method.json", values_of(GOOD, method={"a": 1}), "method"),
    ("missing.json", json.dumps({k: v for k, v in GOOD.to_dict().items() if k != "started_at"}).encode(), "field_missing"),
    ("steps.json", values_of(GOOD, batches=[[2, 1, 1, 0.5, 1, 0.5], [2, 1, 1, 0.5, 1, 0.5]]), "batches"),
    ("big-int.json", b'{"method": "fit", "x": ' + b"9" * 5000 + b"}", "not_json"),
    ("utf16.json", as_json(GOOD).decode().encode("utf-16"), "not_json"),
]


@pytest.mark.parametrize("name, payload, reason", HOSTILE_FILES, ids=[name for name, _, _ in HOSTILE_FILES])
def test_the_issues_hostile_files_are_refused_with_their_reason(name, payload, reason):
    report = read_runs_file(name, payload)
    assert report.runs == [] and report.refused is not None
    assert report_reasons(report) == [reason]


def test_a_zip_of_good_bad_good_imports_both_good_ones_and_names_the_bad_one():
    first, third = honest_run("fit", seed=1), honest_run("custom_loop", seed=3)
    bad = values_of(honest_run(seed=2), epochs=[GOOD.epochs[0].__dict__] * 2)
    report = read_runs_file(
        "class.zip", zipped([("first.json", as_json(first)), ("bad.json", bad), ("third.json", as_json(third))])
    )
    assert [(r.method, r.settings["seed"]) for r in report.runs] == [("fit", 1), ("custom_loop", 3)]
    assert [(s.part, s.reason) for s in report.skipped] == [("bad.json", "epoch_order")]
    assert report.refused is None and report.skipped_runs == 1


def test_every_text_field_is_bounded_and_plain():
    hostile = "[x](https://evil.example)\u202e\x00\ud800\n\t<b>" * 2000
    values = dict(GOOD.to_dict(), label=hostile, message=hostile, versions={"keras\u202e": "3.15\x00" * 3})
    del values["message_data"]  # a file from before messages were data: its English sentence is read as text
    (run,) = read_runs_file("run.json", json.dumps(values).encode()).runs
    assert len(run.label) <= MAX_LABEL and len(str(run.message)) <= MAX_MESSAGE
    for text in (run.label, str(run.message), *run.versions, *run.versions.values()):
        assert text.isprintable() and "\u202e" not in text and "\n" not in text
    assert run.versions == {"keras": "3.153.153.15"}
    assert run.settings == RunSettings(method="fit", epochs=3).to_dict()


def test_a_zip_brings_at_most_its_cap_of_runs_and_counts_the_rest():
    members = [(f"{i}.json", as_json(honest_run(seed=i, points=0))) for i in range(MAX_RUNS + 5)]
    report = read_runs_file("many.zip", zipped(members))
    assert len(report.runs) == MAX_RUNS and report.skipped_runs == 5
    assert report_reasons(report) == ["too_many_runs"]


def test_a_member_whose_header_understates_its_size_is_read_no_further_than_the_cap(monkeypatch):
    import core.exchange as exchange

    monkeypatch.setattr(exchange, "MAX_MEMBER_BYTES", 1000)
    payload = zipped([("big.json", b"{" + b" " * 5000 + b"}"), ("good.json", as_json(honest_run(points=0, epochs=1)))])
    # Both headers say 10 bytes: the big one is caught by reading, the honest one (a little larger) too.
    patched = payload.replace((5002).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    report = read_runs_file("liar.zip", patched)
    assert [s.reason for s in report.skipped][:1] in (["member_size_lied"], ["member_unreadable"])


# ---------------------------------------------------------------------------
# Thousands of mutated files: no exception, every refusal with a reason, every imported run valid


HOSTILE_VALUES = [
    None, True, False, -1, 0, 1, 2**31, 2**63, -(2**63), 10**30, 1e30, -1e30, 5e-324, float("nan"), float("inf"),
    "", "x" * 5000, "=HYPERLINK(\"http://x\")", "\u202e", "\x00", "\ud800", "2026-13-45T99:00:00", [], {}, [[[[]]]],
    {"method": "fit"}, [1, 2, 3, 4, 5, 6], "fit", "running", 0.5,
]  # fmt: skip


def random_place(values, rng: random.Random) -> tuple[object, object]:
    """A random (container, key) inside a record's nested values."""
    container = values
    while True:
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        if not keys:
            return None, None
        key = rng.choice(keys)
        inner = container[key]
        if isinstance(inner, (dict, list)) and inner and rng.random() < 0.6:
            container = inner
            continue
        return container, key


def mutated_record(base: bytes, rng: random.Random) -> bytes:
    values = json.loads(base)  # a fresh copy to change
    for _ in range(rng.randint(1, 3)):
        container, key = random_place(values, rng)
        if container is None:
            continue
        action = rng.random()
        if action < 0.7:
            container[key] = rng.choice(HOSTILE_VALUES)
        elif action < 0.85 and isinstance(container, dict):
            del container[key]
        elif isinstance(container, list):
            container.insert(rng.randrange(len(container) + 1), copy.deepcopy(container[key]))  # a repeat
    return json.dumps(values, allow_nan=True).encode()


def flipped(payload: bytes, rng: random.Random) -> bytes:
    data = bytearray(payload)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


# Every method zipfile reads; LZMA less often, as each of its (de)compressors costs milliseconds to set up.
COMPRESSIONS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED] * 3 + [zipfile.ZIP_BZIP2] * 2 + [zipfile.ZIP_LZMA]
MEMBER_NAMES = ["", "../../x.json", "a/b/c.json", "\u202enosj.exe", "run.JSON", "notes.txt", "x.csv", "dir/"]


def shuffled_members(members: list[tuple[str, bytes]], base: bytes, rng: random.Random) -> bytes:
    members = list(members)
    rng.shuffle(members)
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        position = rng.randrange(len(members))
        if action < 0.25:
            members.append(members[position])  # a duplicate, same name
        elif action < 0.45 and len(members) > 1:
            members.pop(position)
        elif action < 0.65:
            members[position] = (rng.choice(MEMBER_NAMES), members[position][1])
        else:
            members[position] = (members[position][0], mutated_record(base, rng))
    payload = zipped(members, rng.choice(COMPRESSIONS))
    return flipped(payload, rng) if rng.random() < 0.5 else payload


KINDS = ("zip flips", "zip cut", "zip members", "record values", "record flips")


def fuzz_cases(count_per_kind: int, kinds: tuple[str, ...] = KINDS):
    """(kind, seed, name, payload), the same list on every run."""
    runs = [honest_run("fit", seed=1), honest_run("train_on_batch", epochs=4, seed=2), honest_run("custom_loop", seed=3)]
    members = [(f"{r.run_id}.json", as_json(r)) for r in runs] + [(f"{r.run_id}.csv", b"epoch,loss\n1,0.5\n") for r in runs]
    honest_zip = zipped(members)
    record = as_json(runs[1])
    mutations = {
        "zip flips": lambda rng: ("runs.zip", flipped(honest_zip, rng)),
        "zip cut": lambda rng: ("runs.zip", honest_zip[: rng.randrange(len(honest_zip))]),
        "zip members": lambda rng: ("runs.zip", shuffled_members(members, record, rng)),
        "record values": lambda rng: ("run.json", mutated_record(record, rng)),
        "record flips": lambda rng: ("run.json", flipped(record, rng)),
    }
    for seed in range(count_per_kind):
        for kind in kinds:
            yield kind, seed, *mutations[kind](random.Random(f"{kind} {seed}"))


FUZZ_PER_KIND = 600  # 3,000 files: seconds on a quiet machine


def test_thousands_of_mutated_files_never_raise_and_every_refusal_has_a_reason():
    failures, imported, counted = [], 0, 0
    for kind, seed, name, payload in fuzz_cases(FUZZ_PER_KIND):
        counted += 1
        try:
            report = read_runs_file(name, payload)
            report_reasons(report)
            assert report.refused is None or report.runs == []
            for run in report.runs:
                imported += 1
                if imported % 10 == 0:  # a sample (a record's JSON costs more to write than to check):
                    # what passed is exactly what a second import accepts unchanged, but for the new id.
                    again = record_from_values(json.loads(record_to_json(run)))
                    assert replace(again, run_id=run.run_id) == run
        except Exception as error:  # noqa: BLE001 - collected, so the failure names every seed at once
            failures.append(f"{kind} seed {seed}: {type(error).__name__}: {error}"[:300])
    assert failures == [], f"{len(failures)} of {counted} files raised:\n" + "\n".join(failures[:20])
    assert counted == 5 * FUZZ_PER_KIND and imported > FUZZ_PER_KIND  # the mutations also leave good runs to import


# ---------------------------------------------------------------------------
# Into the store: all or nothing, bounded, and alike on SQLite and PostgreSQL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> RunStore:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/runs.sqlite3"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
    made = RunStore(url)
    yield made
    made.engine.dispose()


def database_bytes(store: RunStore) -> int:
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
        return conn.execute(sa.text("PRAGMA page_count")).scalar() * conn.execute(sa.text("PRAGMA page_size")).scalar()


def test_good_bad_good_saves_both_good_runs_in_file_order(store):
    space = class_space("bio-7")
    payload = zipped(
        [("a.json", as_json(honest_run(seed=1))), ("b.json", b"{"), ("c.json", as_json(honest_run("custom_loop", seed=3)))]
    )
    report = read_runs_file("class.zip", payload)
    store.save_imported("importer", space, report.runs, "student 4")
    shown = store.space_runs(space)
    assert [(r.record, r.display_name, r.how) for r in shown] == [(run, "student 4", "imported") for run in report.runs]


def test_a_files_runs_are_saved_all_together_or_not_at_all(store):
    space = private_space("ann")
    runs = read_runs_file("runs.zip", zipped([(f"{i}.json", as_json(honest_run(seed=i))) for i in range(3)])).runs
    store.save_run(runs[2])  # the third id is taken already: its insert fails after the first two went in
    with pytest.raises(sa.exc.IntegrityError):
        store.save_imported("importer", space, runs, "")
    assert store.space_runs(space) == []
    assert store.get_run(runs[0].run_id) is None and store.get_run(runs[1].run_id) is None
    assert store.count_runs() == 1


def test_a_files_message_as_data_is_read_checked_and_bounded():
    hostile = "[x](https://evil.example)\u202e\x00\ud800\n\t<b>" * 2000
    coded = {"code": "stopped_during", "values": {"epoch": hostile}, "not_saved": hostile}
    (run,) = read_runs_file("run.json", values_of(GOOD, message="ignored", message_data=coded)).runs
    assert run.message.code is MessageCode.STOPPED_DURING
    for text in (run.message.values["epoch"], run.message.not_saved):
        assert len(text) <= MAX_MESSAGE and text.isprintable() and "\u202e" not in text
    # Data that is not a message this app says (an unknown code, values its sentence does not quote): the English.
    for wrong in (
        {"code": "rm -rf", "values": {}, "not_saved": ""},
        {"code": "worker_lost", "values": {"x": 1}, "not_saved": ""},
    ):
        (run,) = read_runs_file("run.json", values_of(GOOD, message="The worker went.", message_data=wrong)).runs
        assert run.message == RunMessage.plain("The worker went.")


def test_a_small_zip_of_huge_fields_cannot_grow_the_database_much(store):
    # The issue's attack: megabytes of text per record that deflate to almost nothing.
    members = [
        (f"{i}.json", values_of(honest_run(seed=i, points=0), message="x" * 1_000_000, message_data=None)) for i in range(30)
    ]
    payload = zipped(members)
    assert len(payload) < 100_000
    before = database_bytes(store)
    report = read_runs_file("small.zip", payload)
    store.save_imported("eve", private_space("eve"), report.runs, "")
    grown = database_bytes(store) - before
    assert report.runs and all(len(str(run.message)) <= MAX_MESSAGE for run in report.runs)
    assert grown < 5_000_000, f"{grown / 1e6:.1f} MB for a {len(payload) / 1e3:.0f} kB zip"


def extreme_run() -> RunRecord:
    """A run at every bound the checks allow: what SQLite and PostgreSQL must both store exactly."""
    epochs = MAX_EPOCHS
    rows = [
        EpochRow(e, 100.0 if e == 1 else 5e-324, 1.0, 0.0, 0.0, 1e-300, 1.0, 1.0 if e == 1 else 2.2e-308, 604800.0,
                 "9999-12-31T23:59:59.999999+14:00")
        for e in range(1, epochs + 1)
    ]  # fmt: skip
    record = honest_run(epochs=epochs, points=0)
    record.settings = RunSettings(epochs=epochs, batch_size=8192, max_len=2000, learning_rate=1.0, seed=2**31 - 1).to_dict()
    record.epochs = rows
    record.label = "名字 " * 40
    record.message = RunMessage.plain("😀" * 1000)
    record.started_at = "0001-01-01T00:00:00"
    record.batches = [(2**31 - 1000 + s, epochs, 100.0, 1.0, 5e-324, 0.0) for s in range(1000)]
    record.batch_stride = 2**22
    return record


def test_sqlite_and_postgresql_store_runs_at_every_bound_alike(store):
    (run,) = read_runs_file("extreme.json", as_json(extreme_run())).runs
    store.save_imported("ann", private_space("ann"), [run], "名字")
    assert store.get_run(run.run_id) == run


def test_runs_the_fuzzer_let_through_are_stored_and_read_back_alike(store):
    passed = []
    for _kind, _seed, name, payload in fuzz_cases(100, ("record values", "zip members")):
        passed.extend(read_runs_file(name, payload).runs)
    assert len(passed) > 50
    store.per_visitor = len(passed)  # all of them in one file: this test is about what is stored, not the quota
    store.save_imported("fuzz", private_space("fuzz"), passed, "")
    assert [store.get_run(run.run_id) for run in passed] == passed


def test_the_catalogue_has_every_reason_the_reader_gives():
    import core.exchange as exchange

    source = open(exchange.__file__, encoding="utf-8").read()
    import re

    given = set(re.findall(r'(?:_Refused|refuse|Skip)\((?:[^"()]*, )?"([a-z_]+)"', source))
    assert given and {f"import.why.{reason}" for reason in given} <= set(EN)


# ---------------------------------------------------------------------------
# On the page: a report per file, in the session's language


PAGE_TIMEOUT = 180  # seconds: a hang guard for a page run on a busy machine, not a speed requirement


def good_bad_good_zip() -> bytes:
    return zipped(
        [
            ("a.json", as_json(honest_run(seed=1))),
            ("[bad](https://evil.example).json", b"{"),
            ("c.json", as_json(honest_run(seed=3))),
        ]
    )


def test_the_compare_page_reports_each_imported_file(app_env):
    from streamlit.testing.v1 import AppTest
    from support import APP, open_page

    from core.store import store_from_environment

    at = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT)
    open_page(at, "compare").run()
    files = [("class.zip", good_bad_good_zip(), "application/zip"), ("notes.json", b"\x00\x01 not a run", "application/json")]
    at.file_uploader(key="runs_import").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    (warning,) = [w.value for w in at.warning]
    (error,) = [e.value for e in at.error]
    assert "imported 2 run(s), skipped 1" in warning and "\\[bad\\]\\(https\\:\\/\\/evil\\.example\\)\\.json" in warning
    assert "nothing imported" in error and "notes\\.json" in error
    space = private_space(at.session_state["visitor_id"])
    assert len(store_from_environment().space_runs(space)) == 2
    at.run()  # a rerun (and any later one) imports nothing again
    assert len(store_from_environment().space_runs(space)) == 2


def _chinese_report_page(payload: bytes) -> None:
    import streamlit as st

    from ui.saved_runs import import_file, report_text

    st.session_state["language"] = "zh"
    st.warning(report_text(import_file("class.zip", payload)))


def test_a_files_report_is_in_the_sessions_language():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_chinese_report_page, args=(good_bad_good_zip(),), default_timeout=PAGE_TIMEOUT).run()
    (warning,) = [w.value for w in at.warning]
    assert "导入 2 个运行，跳过 1 个" in warning and "不是 JSON 文本" in warning


def _english_report_page(payload: bytes) -> None:
    import streamlit as st

    from ui.saved_runs import import_file, report_text

    st.error(report_text(import_file("class.zip", payload)))


def test_a_file_the_store_cannot_save_is_reported_and_nothing_of_it_is_kept(monkeypatch):
    from streamlit.testing.v1 import AppTest

    def refusing(self, owner, space, records, display_name):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(RunStore, "save_imported", refusing)
    at = AppTest.from_function(_english_report_page, args=(good_bad_good_zip(),), default_timeout=PAGE_TIMEOUT).run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "nothing imported" in error and "could not be saved (OperationalError)" in error


def test_download_all_of_full_size_runs_imports_back_whole():
    """Honest runs at full size (10 epochs, 1,000 batch points each) pass every check unchanged."""
    from core.exchange import runs_to_zip

    runs = [honest_run(("fit", "train_on_batch", "custom_loop")[i % 3], epochs=10, seed=i, points=1000) for i in range(12)]
    report = read_runs_file("runs.zip", runs_to_zip(runs))
    assert report.skipped == [] and report.refused is None
    assert [replace(back, run_id=run.run_id) for back, run in zip(report.runs, runs, strict=True)] == runs
