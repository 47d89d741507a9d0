"""Identity that lasts and classes that are opened, not guessed (issue 21, items 3 and 7).

The store half runs on a SQLite file and on a real PostgreSQL server (tests/engines.py),
as tests/test_store.py does. The sidebar flows run through AppTest on one server
process: opening a class, joining it, the teacher's actions, unknown codes, and the
slow-down of wrong codes, with the clock replaced (core.classes.CLOCK) so no test waits.
The browser half (cookies, reloads, restarts) is tests/test_browser_identity.py.
"""

from __future__ import annotations

import re

import pytest
from engines import fresh_database, postgres_url  # noqa: F401 - postgres_url is a pytest fixture
from streamlit.testing.v1 import AppTest
from support import APP, make_run, open_page, texts

import core.classes
from core.classes import (
    DEFAULT_UNKNOWN_PER_MINUTE,
    FREE_WRONG_CODES,
    ServerAttempts,
    SessionAttempts,
    new_class_code,
    readable_code,
    secret_hash,
)
from core.records import record_to_json
from core.spaces import new_private_key, valid_private_key, visitor_id_from_key
from core.store import RunStore, class_space, private_space, store_from_environment


class FakeClock:
    """core.classes.CLOCK for a test: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(core.classes, "CLOCK", fake)
    return fake


@pytest.fixture(autouse=True)
def fresh_server_attempts():
    """Each test starts a server process of its own: no unknown codes counted yet."""
    core.classes.replace_server_attempts(ServerAttempts(DEFAULT_UNKNOWN_PER_MINUTE))
    yield
    core.classes.replace_server_attempts(None)


# -- codes, keys and attempts (plain Python) -------------------------------------------


def test_a_class_code_is_three_groups_of_a_readable_alphabet_carrying_60_bits():
    codes = {new_class_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}", code), code
        assert readable_code(code) == code
    assert len(core.classes.ALPHABET) ** (core.classes.GROUPS * core.classes.GROUP_LENGTH) >= 2**60
    # Heard or typed: capitals, spaces for dashes, and the letters the alphabet leaves out read as the digits meant.
    assert readable_code(" KX7M 3PQ9 TD2O ") == "kx7m-3pq9-td20"
    assert readable_code("kx7m-3pqi-td2l") == "kx7m-3pq1-td21"
    for wrong in ["cs101", "kx7m-3pq9", "kx7m-3pq9-td2a-more", "kx7m_3pq9_td2a", "kx7m-3pq9-td2!"]:
        assert readable_code(wrong) is None, wrong


def test_a_private_key_has_at_least_128_bits_and_the_space_is_named_by_its_hash():
    key = new_private_key()
    assert valid_private_key(key) == key and len(key) * 6 >= 128
    assert new_private_key() != key
    visitor = visitor_id_from_key(key)
    assert visitor == visitor_id_from_key(key) and key not in visitor and len(visitor) == 33
    assert visitor_id_from_key(new_private_key()) != visitor
    for bad in [None, "", "short", "a" * 21, "has space" * 4, "../" * 10, "a" * 65]:
        assert valid_private_key(bad) is None, bad


def test_a_sessions_wrong_codes_are_free_at_first_then_wait_longer_each_time():
    attempts = SessionAttempts()
    for _ in range(FREE_WRONG_CODES):
        assert attempts.wait_left(100.0) == 0
        attempts.record_wrong(100.0)
    assert attempts.wait_left(100.0) == 2.0
    assert attempts.wait_left(102.0) == 0
    attempts.record_wrong(102.0)
    assert attempts.wait_left(102.0) == 4.0
    for _ in range(20):
        attempts.record_wrong(200.0)
    assert attempts.wait_left(200.0) == core.classes.LONGEST_WAIT_SECONDS


def test_the_server_accepts_a_bounded_number_of_unknown_codes_a_minute_from_all_sessions():
    server = ServerAttempts(per_minute=3)
    for second in (0.0, 10.0, 20.0):
        assert server.wait_left(second) == 0
        server.record_unknown(second)
    assert server.wait_left(30.0) == 30.0  # the oldest of the three leaves the window at 60 s
    assert server.wait_left(60.0) == 0


# -- the store, on SQLite and PostgreSQL ----------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path}/runs.sqlite3"
        if request.param == "sqlite"
        else fresh_database(request.getfixturevalue("postgres_url"))
    )
    made = RunStore(url)
    yield made
    made.engine.dispose()


def test_an_opened_class_keeps_its_name_and_only_a_hash_of_the_teacher_secret(store):
    code, secret = store.open_class("  Biology\n 7  ", owner="kowner")
    info = store.class_info(code)
    assert readable_code(code) == code and (info.name, info.owner, info.is_open) == ("Biology 7", "kowner", True)
    with store.engine.connect() as conn:
        rows = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM classes")]
    assert not any(secret in str(value) for row in rows for value in row), "the secret itself is never stored"
    assert any(secret_hash(secret) in row for row in rows)
    assert store.open_class("", owner=None)[0] != code
    assert store.class_info("abcd-efgh-jkmn") is None


def test_one_visitor_can_open_only_a_bounded_number_of_classes(store):
    from core.store import TooManyClasses

    store.classes_per_visitor = 3
    codes = [store.open_class(f"section {n}", owner="flooder")[0] for n in range(3)]
    with pytest.raises(TooManyClasses):
        store.open_class("one more", owner="flooder")
    assert all(store.class_info(code) is not None for code in codes)
    assert store.open_class("another teacher's", owner="teacher")[0]  # others are not held back


def test_the_sidebar_says_when_a_visitor_has_opened_too_many_classes(app_env, monkeypatch):
    monkeypatch.setenv("TRAINING_CLASSES_PER_VISITOR", "1")
    at = visit()
    open_class(at, "first")
    at.button(key="class_leave").click().run()
    at.text_input(key="class_name_input").input("second").run()
    at.button(key="class_open").click().run()
    assert not at.exception
    assert "You have opened 1 classes already" in sidebar_texts(at)
    assert at.session_state["class_code"] is None


def test_the_teacher_is_the_browser_that_opened_the_class_or_the_holder_of_its_teacher_secret(store):
    code, secret = store.open_class("Bio", owner="kowner")
    other, other_secret = store.open_class("Chem", owner="kother")
    assert store.is_teacher(code, visitor="kowner")
    assert store.is_teacher(code, visitor="kstudent", secret=secret)
    assert not store.is_teacher(code, visitor="kstudent")
    assert not store.is_teacher(code, visitor="kstudent", secret=other_secret)  # another class's secret opens nothing here
    assert not store.is_teacher(code, secret=secret[:-1] + ("x" if secret[-1] != "x" else "y"))
    assert not store.is_teacher("abcd-efgh-jkmn", visitor="kowner", secret=secret)
    assert store.is_teacher(other, visitor="kother")


def test_renaming_closing_and_removing_runs_touch_only_that_class(store):
    code, _ = store.open_class("Bio", owner="kowner")
    other, _ = store.open_class("Chem", owner="kowner")
    kept, removed = make_run(), make_run()
    for record in (kept, removed):
        store.save_run(record)
        store.add_to_space(class_space(code), record.run_id, "Ann", "trained")
    store.add_to_space(class_space(other), removed.run_id, "Bob", "joined")
    store.add_to_space(private_space("kann"), removed.run_id, "", "trained")
    assert store.remove_from_space(class_space(code), [removed.run_id]) == 1
    assert [r.record.run_id for r in store.space_runs(class_space(code))] == [kept.run_id]
    assert [r.record.run_id for r in store.space_runs(class_space(other))] == [removed.run_id]  # still in the other class
    assert [r.record.run_id for r in store.space_runs(private_space("kann"))] == [removed.run_id]  # and its student's own
    assert store.rename_class(code, "Biology 7A") and store.class_info(code).name == "Biology 7A"
    assert not store.rename_class(code, "   ") and store.class_info(code).name == "Biology 7A"
    store.close_class(code)
    assert not store.class_info(code).is_open and store.class_info(other).is_open
    closed_at = store.class_info(code).closed
    store.close_class(code)
    assert store.class_info(code).closed == closed_at  # closed once, for good


def test_a_class_space_with_runs_but_never_opened_is_an_earlier_versions_class(store):
    record = make_run()
    store.save_run(record)
    store.add_to_space(class_space("cs101"), record.run_id, "Ann", "trained")
    assert store.is_legacy_class("cs101")
    assert not store.is_legacy_class("cs102")  # no runs: nothing to keep, nothing to find
    code, _ = store.open_class("Bio", owner=None)
    store.add_to_space(class_space(code), record.run_id, "Ann", "trained")
    assert not store.is_legacy_class(code)


# -- the sidebar, through AppTest -------------------------------------------------------


def visit(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def query(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def sidebar_texts(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "info", "success", "warning", "error", "caption", "code") for e in at.sidebar.get(kind)
    ]
    return "\n".join(str(p) for p in parts)


def import_a_run(at: AppTest) -> str:
    """Import one run's JSON on Compare, as a visitor would; returns the id it was saved under."""
    at.file_uploader(key="runs_import").upload("run.json", record_to_json(make_run()).encode()).run()
    assert not at.exception and "imported 1 run(s), skipped 0." in texts(at), texts(at)
    (saved,) = [
        r for r in store_from_environment().space_runs(private_space(at.session_state["visitor_id"])) if r.how == "imported"
    ]
    return saved.record.run_id


def join(at: AppTest, code: str) -> None:
    at.text_input(key="class_code_input").set_value(code)
    at.button(key="class_join").click().run()
    assert not at.exception, [e.value for e in at.exception]


def open_class(at: AppTest, name: str = "Biology 7") -> tuple[str, str]:
    at.text_input(key="class_name_input").set_value(name)
    at.button(key="class_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["class_code"], at.session_state["class_teacher_secret"]


def test_open_a_class_gives_a_code_to_share_and_a_separate_teacher_link(app_env):
    teacher = visit()
    code, secret = open_class(teacher)
    assert readable_code(code) == code and query(teacher, "class") == code
    shown = sidebar_texts(teacher)
    assert "Biology 7" in shown and f"?class={code}" in shown and secret not in shown  # the teacher link only on request
    teacher.toggle(key="class_show_teacher").set_value(True).run()
    assert f"?class={code}&teacher={secret}" in sidebar_texts(teacher)
    assert "Keep it to yourself" in sidebar_texts(teacher)
    assert query(teacher, "teacher") is None

    student = visit({"class": code.upper().replace("-", " ")})  # read aloud, typed in capitals with spaces
    assert student.session_state["class_code"] == code and query(student, "class") == code
    assert not student.session_state["class_teacher"]
    assert "Teacher: manage this class" not in [e.label for e in student.sidebar.expander]
    assert "Teacher: manage this class" in [e.label for e in teacher.sidebar.expander]

    elsewhere = visit({"class": code, "teacher": secret})  # the teacher on another device
    assert elsewhere.session_state["class_teacher"] and query(elsewhere, "teacher") is None
    assert query(elsewhere, "class") == code  # the address the teacher copies from now on carries the class, not the secret

    wrong = visit({"class": code, "teacher": "x" * 24})
    assert not wrong.session_state["class_teacher"] and wrong.session_state["class_code"] == code
    assert "joined the class as a student" in sidebar_texts(wrong)

    student.button(key="class_leave").click().run()  # back to the private space: the address drops the class
    assert student.session_state["class_code"] is None and query(student, "class") is None
    assert "Your runs are private to this browser" in sidebar_texts(student)


def test_the_teacher_renames_removes_runs_and_closes_the_class_and_a_student_cannot(app_env):
    teacher = visit()
    code, _ = open_class(teacher)
    store = store_from_environment()
    ann, bob = make_run(), make_run("custom_loop")
    for record, name in ((ann, "Ann"), (bob, "Bob")):
        store.save_run(record)
        store.add_to_space(class_space(code), record.run_id, name, "trained")
    student = visit({"class": code})
    assert all(b.key not in ("class_rename", "class_remove", "class_close") for b in student.button)

    teacher.run()
    teacher.text_input(key="class_rename_input").set_value("Biology 7A").run()
    teacher.button(key="class_rename").click().run()
    assert store.class_info(code).name == "Biology 7A" and "Biology 7A" in sidebar_texts(teacher)

    teacher.multiselect(key="class_remove_choice").select(bob.run_id).run()
    teacher.button(key="class_remove").click().run()
    assert [run.record.run_id for run in store.space_runs(class_space(code))] == [ann.run_id]
    assert "1 run(s) taken out of the class" in sidebar_texts(teacher)

    assert teacher.button(key="class_close").disabled  # only after the confirmation is ticked
    teacher.checkbox(key="class_close_confirm").check().run()
    student.run()
    assert student.session_state["class_state"] == "open"
    teacher.button(key="class_close").click().run()
    assert not store.class_info(code).is_open and teacher.session_state["class_state"] == "closed"
    student.run()  # a student who joined before the class closed sees it closed at their next rerun
    assert student.session_state["class_state"] == "closed" and "This class is closed" in sidebar_texts(student)

    late = visit({"class": code})  # closed: the class's runs stay visible, new runs go to the visitor's own space
    assert late.session_state["class_state"] == "closed" and "This class is closed" in sidebar_texts(late)
    assert not [t for t in late.text_input if t.key == "display_name_input"]
    open_page(late, "compare").run()
    assert "The class's runs (1)" in texts(late)
    imported = import_a_run(late)
    assert [r.record.run_id for r in store.space_runs(class_space(code))] == [ann.run_id]
    assert [r.record.run_id for r in store.space_runs(private_space(late.session_state["visitor_id"]))] == [imported]


def test_a_link_to_a_code_never_opened_says_so_and_creates_nothing(app_env):
    at = visit({"class": "abcd-efgh-jkmn"})
    # The typed code is shown as literal Markdown (core.plain_text.markdown_literal escapes its dashes).
    assert 'No class with the code "abcd\\-efgh\\-jkmn" was opened on this server' in sidebar_texts(at)
    assert at.session_state["class_code"] is None and query(at, "class") is None
    store = store_from_environment()
    assert store.class_info("abcd-efgh-jkmn") is None
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM classes").scalar() == 0
    assert "Your runs are private to this browser" in sidebar_texts(at)


@pytest.mark.parametrize("code", ["x", "no spaces", "../etc", "a" * 40])
def test_a_malformed_class_code_is_named_and_runs_stay_private(app_env, code):
    at = visit({"class": code})
    assert "That is not a class code" in sidebar_texts(at)
    assert at.session_state["class_code"] is None and query(at, "class") is None


def test_wrong_codes_from_one_session_are_slowed_down_until_the_wait_has_passed(app_env, clock):
    right, _ = store_from_environment().open_class("Bio", owner=None)
    at = visit()
    for number in range(FREE_WRONG_CODES):
        join(at, f"abcd-efgh-jkm{number}")
        assert "No class with the code" in sidebar_texts(at)
    join(at, right)  # even the right code waits now: the wait is for the session, not the code
    assert "Too many wrong class codes: try again in 2 s" in sidebar_texts(at)
    assert at.session_state["class_code"] is None
    clock.now += 1
    join(at, right)
    assert "try again in 1 s" in sidebar_texts(at) and at.session_state["class_code"] is None
    clock.now += 1
    join(at, right)
    assert at.session_state["class_code"] == right and query(at, "class") == right


def test_unknown_codes_from_many_sessions_are_limited_per_server(app_env, clock, monkeypatch):
    core.classes.replace_server_attempts(ServerAttempts(per_minute=3))
    right, _ = store_from_environment().open_class("Bio", owner=None)
    for number in range(3):  # three fresh sessions, one wrong code each: none is slowed down on its own
        assert visit({"class": f"abcd-efgh-jkm{number}"}).session_state["class_code"] is None
    refused = visit({"class": right})
    assert "many wrong class codes in the last minute: try again in 60 s" in sidebar_texts(refused)
    assert refused.session_state["class_code"] is None
    clock.now += 60
    assert visit({"class": right}).session_state["class_code"] == right


def test_a_short_code_of_an_earlier_version_with_runs_stays_readable_and_takes_no_new_runs(app_env):
    store = store_from_environment()
    old = make_run()
    store.save_run(old)
    store.add_to_space(class_space("cs101"), old.run_id, "Ann", "trained")
    at = visit({"class": "CS101"})
    assert at.session_state["class_code"] == "cs101" and at.session_state["class_state"] == "legacy"
    assert "earlier version of the app" in sidebar_texts(at)
    assert query(at, "class") == "cs101"
    assert not [t for t in at.text_input if t.key == "display_name_input"]
    open_page(at, "compare").run()
    assert "The class's runs (1)" in texts(at)
    # New runs go to the visitor's own space: the class space of old takes nothing new.
    imported = import_a_run(at)
    assert [r.record.run_id for r in store.space_runs(class_space("cs101"))] == [old.run_id]
    assert [r.record.run_id for r in store.space_runs(private_space(at.session_state["visitor_id"]))] == [imported]
    unused = visit({"class": "cs102"})  # a short code nobody used: unknown, like any other
    assert unused.session_state["class_code"] is None and 'No class with the code "cs102"' in sidebar_texts(unused)


def test_a_private_link_moves_this_browser_to_its_key_and_leaves_the_address(app_env):
    key = new_private_key()
    at = visit({"key": key})
    assert at.session_state["visitor_id"] == visitor_id_from_key(key)
    assert query(at, "key") is None
    assert "This browser now uses the private key from your link" in sidebar_texts(at)
    assert key not in sidebar_texts(at)  # shown only on request
    at.toggle(key="identity_show").set_value(True).run()
    assert f"?key={key}" in sidebar_texts(at) and "Do not share it" in sidebar_texts(at)
    bad = visit({"key": "not a key"})
    assert query(bad, "key") is None and "not valid" in sidebar_texts(bad)


def test_a_private_link_asks_before_hiding_this_browsers_own_runs(app_env, monkeypatch):
    from ui import classroom

    own, linked = new_private_key(), new_private_key()
    monkeypatch.setattr(classroom, "cookie_key", lambda: own)  # this browser's cookie
    store = store_from_environment()
    record = make_run()
    store.save_run(record)
    store.add_to_space(private_space(visitor_id_from_key(own)), record.run_id, "", "trained")
    at = visit({"key": linked})
    assert at.session_state["visitor_id"] == visitor_id_from_key(own) and query(at, "key") is None
    assert "already has runs under its own" in sidebar_texts(at)
    at.button(key="identity_use_link").click().run()
    assert at.session_state["visitor_id"] == visitor_id_from_key(linked)
    again = visit({"key": linked})
    again.button(key="identity_keep").click().run()
    assert again.session_state["visitor_id"] == visitor_id_from_key(own)
