"""A class on one server, as people use it through the pages (AppTest): joining, cached results, class spaces.

Each visitor is its own AppTest session on one server process, sharing the
hub and the store as thirty students on one Streamlit server would.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from support import APP, apply_tiny_settings, open_page, pause_after_first_epoch, texts, wait_for_job

from core.store import class_space, private_space, store_from_environment


def visitor(query: dict[str, str] | None = None, epochs: int = 2) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    apply_tiny_settings(at, epochs=epochs)
    return at


def press_train(at: AppTest, page: str = "fit", key: str = "train_fit") -> None:
    open_page(at, page).run()
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_second_visitor_with_identical_settings_joins_the_running_computation(app_env, monkeypatch):
    from core.runs.hub import server_hub

    # Ann's run pauses after its first epoch until Bob has joined and left: it cannot end before he arrives.
    go_on = pause_after_first_epoch(monkeypatch.setattr)
    ann, bob = visitor(epochs=30), visitor(epochs=30)
    started = server_hub().jobs_started
    press_train(ann)
    wait_for_job(ann, until="epoch")
    press_train(bob)
    snap = bob.session_state["job"].snapshot()
    assert snap.shared_by_method() == {"fit": "joined"}
    assert bob.session_state["job"].snapshot().records[0].run_id == ann.session_state["job"].snapshot().records[0].run_id
    bob.run()
    assert "you joined a run with identical settings" in texts(bob)
    assert server_hub().jobs_started == started + 1  # one computation for two visitors
    # Bob stops watching: Ann's run goes on.
    bob.button(key="stop_fit").click().run()
    wait_for_job(bob)
    assert ann.session_state["job"].snapshot().state == "running"
    go_on.set()
    ann.button(key="stop_fit").click().run()
    wait_for_job(ann)


def test_a_finished_identical_run_shows_at_once_and_can_be_trained_again_live(app_env):
    from core.runs.hub import server_hub

    ann = visitor()
    press_train(ann)
    wait_for_job(ann)
    first = ann.session_state["job"].snapshot().records[0]
    bob = visitor()
    started = server_hub().jobs_started
    press_train(bob)
    wait_for_job(bob)
    snap = bob.session_state["job"].snapshot()
    assert snap.shared_by_method() == {"fit": "cached"} and server_hub().jobs_started == started
    assert [row.val_accuracy for row in snap.records[0].epochs] == [row.val_accuracy for row in first.epochs]
    assert "shown from an identical run trained at" in texts(bob)
    # When it was trained and how long its epochs took then, not the instant it took to show it.
    took = round(sum(row.seconds for row in first.epochs))
    when = (first.ended_at or first.started_at).replace("T", " ")[:16]
    assert f"Finished: {len(first.epochs)} epochs, trained at {when}; training took {took} s." in texts(bob)
    bob.button(key="fresh_fit").click().run()  # "Train again and watch it live"
    wait_for_job(bob)
    again = bob.session_state["job"].snapshot()
    assert again.shared == {} and server_hub().jobs_started == started + 1
    assert again.records[0].run_id != first.run_id
    assert [round(r.val_accuracy, 6) for r in again.records[0].epochs] == [round(r.val_accuracy, 6) for r in first.epochs]


def test_runs_are_private_unless_shared_in_a_class_space(app_env):
    code, _secret = store_from_environment().open_class("Bio 7", owner=None)
    ann = visitor({"class": code.upper()})
    ann.text_input(key="display_name_input").set_value("Ann").run()
    press_train(ann)
    wait_for_job(ann)
    run_id = ann.session_state["job"].snapshot().records[0].run_id
    assert ann.query_params["class"] == [code] or ann.query_params["class"] == code

    classmate = visitor({"class": code})
    open_page(classmate, "compare").run()
    assert not classmate.exception
    tables = [d.value for d in classmate.dataframe if "learning_rate" in d.value.columns]
    assert tables, "the class table, with the settings as columns"
    assert list(tables[0].iloc[:, 0]) == ["Ann"]  # each run under the name its student typed

    outsider = visitor()
    open_page(outsider, "compare").run()
    assert not outsider.exception
    assert not [d for d in outsider.dataframe if "learning_rate" in d.value.columns]  # no table of anyone's runs
    assert "Your runs (0)" in texts(outsider)
    store = store_from_environment()
    assert [r.record.run_id for r in store.space_runs(class_space(code))] == [run_id]
    assert store.space_runs(private_space(outsider.session_state["visitor_id"])) == []
