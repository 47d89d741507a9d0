"""Every page through Streamlit's AppTest, on tiny fixture data: renders, trains, stops, recovers.

AppTest runs the real scripts in this process. Training happens in a worker
thread, so a test reruns the script (as the page's one-second refresh would)
until the job ends.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from fixture_data import write_fixture_npz
from streamlit.testing.v1 import AppTest
from support import APP, apply_tiny_settings, new_app, open_page, texts, wait_for_job

from core import methods
from core.i18n import t
from core.states import RunMessage

PAGES = [*methods.names(), "compare"]  # by URL path, as ui/navigation.py declares them


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_renders_without_exception(app_env, page):
    at = new_app()
    if page:
        open_page(at, page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "each page has a title"
    if page:
        assert at.title[0].value.endswith(t(f"{page}.title", "en")), "the page asked for, not the home page"


def test_home_shows_dataset_and_model_summary(app_env):
    at = new_app()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Topics"] == "46"
    summary = at.dataframe[-1].value
    assert list(summary["layer"]) == ["embedding", "conv1d", "max_pooling1d", "conv1d_1", "max_pooling1d_1", "flatten", "dense"]
    assert len(at.get("vega_lite_chart")) >= 2


def test_home_table_counts_the_lines_of_the_trainers_real_source(app_env):
    import inspect

    from core import training

    at = new_app()
    table = at.dataframe[0].value
    shown = dict(zip(table["Method"], table["Lines of code"]))
    assert list(shown) == [t(f"table.{name}.name", "en") for name in methods.names()], "a row per method, in order"
    for name in methods.names():
        trainer = methods.trainer_function(name)
        assert shown[t(f"table.{name}.name", "en")] == len(inspect.getsource(trainer).splitlines()), name
    assert training.train_with_custom_loop is methods.trainer_function("custom_loop")


def test_settings_persist_across_pages(app_env):
    at = new_app()
    apply_tiny_settings(at, epochs=3)
    open_page(at, "train_on_batch").run()
    assert at.session_state["settings"].epochs == 3
    assert "3 epochs · batch 16 · max_len 40" in texts(at)
    open_page(at, "compare").run()
    assert at.session_state["settings"].max_len == 40


def test_a_method_page_draws_the_whole_app_and_keeps_its_clicks(app_env):
    """Every page runs inside app.py's navigation: its sidebar once, and a form submit on the page is kept."""
    at = new_app()
    open_page(at, "custom_loop").run()
    assert at.title[0].value == "3 · Custom training loop"
    assert at.sidebar.radio(key="language_choice").value == "en"  # app.py's sidebar, drawn once
    assert len(at.title) == 1
    apply_tiny_settings(at, epochs=4)  # the form submit of a routed run is not lost
    assert at.session_state["settings"].epochs == 4
    assert "4 epochs · batch 16 · max_len 40" in texts(at)


def in_page_order(node):
    """Every element under `node`, in the order the page shows them."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from in_page_order(child)


@pytest.mark.parametrize("method", methods.names())
def test_method_pages_put_train_stop_and_the_live_view_before_the_code(app_env, method):
    at = new_app()
    open_page(at, method).run()
    order = list(in_page_order(at.main))
    position = {id(element): index for index, element in enumerate(order)}
    train, stop = at.button(key=f"train_{method}"), at.button(key=f"stop_{method}")
    empty_hint = next(e for e in at.info if "Press **Train**" in e.value)
    first_code = at.code[0]
    assert "def train_with_" in first_code.value  # still the real source
    assert position[id(train)] < position[id(stop)] < position[id(empty_hint)] < position[id(first_code)]


def test_settings_changed_but_not_applied_are_named_and_not_used(app_env):
    at = new_app()
    apply_tiny_settings(at, epochs=2)
    open_page(at, "fit").run()
    assert not [w for w in at.warning if "not applied" in w.value]
    at.number_input(key="set_epochs").set_value(5).run()
    at.number_input(key="set_plateau").set_value(3).run()
    notices = [w.value for w in at.warning if "Changed, not applied yet" in w.value]
    assert len(notices) == 2, "one under the sidebar's Apply button, one above Train"
    assert all("`epochs`" in n and "`reduce_lr_patience`" in n and "`batch_size`" not in n for n in notices), notices
    assert [w.value for w in at.sidebar.warning] == notices[:1]
    # Train now uses what was applied, as the notice says.
    at.button(key="train_fit").click().run()
    assert at.session_state["job"].settings_list[0].epochs == 2
    at.button(key="stop_fit").click().run()
    wait_for_job(at)
    at.button(key="apply_settings").click().run()
    assert at.session_state["settings"].epochs == 5 and at.session_state["settings"].reduce_lr_patience == 3
    assert not [w for w in at.warning if "not applied" in w.value]


def test_invalid_settings_are_refused_with_a_message(app_env):
    """Invalid values reach the app through a link (the sidebar's boxes are bounded as core bounds them):
    each is named in a message and ignored, the valid ones apply."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"epochs": "0", "max_len": "5", "learning_rate": "nan", "batch_size": "64"})
    at.run()
    assert not at.exception
    notices = [n.value for n in at.sidebar.info if "Ignored in the link" in n.value]
    assert notices and all(name in notices[0] for name in ("epochs", "max_len", "learning_rate")), notices
    assert "batch_size" not in notices[0]
    settings = at.session_state["settings"]
    assert (settings.epochs, settings.max_len, settings.batch_size) == (10, 300, 64)
    assert settings.learning_rate == 0.001
    # The sidebar's boxes cannot go past the same bounds: a value outside them is not taken.
    at.number_input(key="set_max_len").set_value(5)
    at.button(key="apply_settings").click().run()
    assert at.session_state["settings"].max_len == 300


@pytest.mark.parametrize("method", methods.names())
def test_a_short_run_finishes_with_chart_and_table(app_env, method):
    at = new_app()
    apply_tiny_settings(at, epochs=2)
    open_page(at, method).run()
    at.button(key=f"train_{method}").click().run()
    wait_for_job(at)
    assert not at.exception
    snap = at.session_state["job"].snapshot()
    assert snap.state == "finished" and len(snap.records[0].epochs) == 2
    assert "Finished: 2 epochs" in texts(at)
    table = next(d.value for d in at.dataframe if "epoch" in d.value.columns)  # the panel below has its own tables
    assert list(table["epoch"]) == [1, 2]
    assert at.get("vega_lite_chart"), "the metric charts are drawn"
    from core.store import private_space, store_from_environment

    mine = store_from_environment().space_runs(private_space(at.session_state["visitor_id"]))
    assert [(run.record.run_id, run.record.status) for run in mine] == [(snap.records[0].run_id, "finished")], "saved"


def test_stop_ends_the_run_and_keeps_finished_epochs(app_env):
    at = new_app()
    apply_tiny_settings(at, epochs=50)
    open_page(at, "custom_loop").run()
    at.button(key="train_custom_loop").click().run()
    wait_for_job(at, until="epoch")
    at.button(key="stop_custom_loop").click().run()
    job = at.session_state["job"]
    assert job.join(timeout=10), "the worker thread ended soon after Stop"
    at.run()
    snap = job.snapshot()
    assert snap.state == "stopped"
    assert 1 <= len(snap.records[0].epochs) < 50
    assert "Stopped" in texts(at)


def test_run_survives_page_switches_and_second_train_is_explained(app_env):
    at = new_app()
    apply_tiny_settings(at, epochs=30)
    open_page(at, "fit").run()
    at.button(key="train_fit").click().run()
    job = at.session_state["job"]
    open_page(at, "compare").run()
    assert "keeps training" in texts(at)
    at.button(key="train_compare").click().run()
    assert at.session_state["job"] is job, "a second Train does not replace the running job"
    assert "One run at a time" in texts(at)
    open_page(at, "fit").run()
    assert job.snapshot().active
    job.stop()
    job.join(timeout=10)
    at.run()
    assert not at.exception


def test_compare_runs_every_method(app_env):
    at = new_app()
    apply_tiny_settings(at, epochs=1)
    open_page(at, "compare").run()
    at.button(key="train_compare").click().run()
    wait_for_job(at, timeout=180)
    snap = at.session_state["job"].snapshot()
    assert [r.method for r in snap.records] == list(methods.names())
    summary = at.table[0].value
    assert list(summary["method"]) == list(methods.names())
    assert {"best val accuracy", "epoch of best", "final val top-5", "total seconds"} <= set(summary.columns)
    assert not at.exception


def test_no_dataset_shows_the_panel_and_a_bad_upload_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("REUTERS_NPZ_PATH", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()
    at = new_app()
    assert not at.exception
    assert "The Reuters dataset is not available" in texts(at)
    assert "REUTERS_NPZ_PATH" in texts(at)
    st.cache_resource.clear()


def test_upload_check_accepts_a_reuters_archive_and_names_what_is_wrong(tmp_path):
    from ui.data_source import check_upload

    good = write_fixture_npz(tmp_path / "r.npz").read_bytes()
    kept, problem = check_upload("r.npz", good)
    assert kept is not None and kept[0] == "r.npz" and problem == ""
    kept, problem = check_upload("notes.npz", b"this is not a zip file")
    assert kept is None and problem.startswith("`notes.npz`:") and "not a .npz archive" in problem
    kept, problem = check_upload("cut.npz", good[: len(good) // 2])
    assert kept is None and "cut.npz" in problem


def test_a_finished_run_shows_what_the_model_learned(app_env):
    at = new_app()
    apply_tiny_settings(at, epochs=1)
    open_page(at, "custom_loop").run()
    assert "Train a run on this page" in texts(at), "before any run the panel says how to fill it"
    at.button(key="train_custom_loop").click().run()
    wait_for_job(at)
    assert not at.exception, [e.value for e in at.exception]
    subheaders = [header.value for header in at.subheader]
    assert subheaders.index("What the model learned") < subheaders.index("The code that runs"), subheaders
    models = at.session_state["trained_models"]
    assert list(models) == ["custom_loop"]
    run_id = models["custom_loop"].run_id
    predictions = at.session_state["test_predictions"][run_id]
    assert predictions.probabilities.shape == (48, 46)  # the fixture's 240 newswires: 20% are the test set
    assert "True topic:" in texts(at) and "test accuracy" in texts(at)
    assert "Confusion over the 46 topics" in texts(at) and "Why accuracy levels off" in texts(at)
    charts_before = len(at.get("vega_lite_chart"))
    assert charts_before >= 4, "metrics, top-5, confusion, per-topic"
    # Another newswire: the same cached predictions, a new top-5 chart.
    at.number_input(key="newswire_custom_loop").set_value(7).run()
    assert at.session_state["test_predictions"][run_id] is predictions, "predicted once per model, not per rerun"
    at.button(key="random_newswire_custom_loop").click().run()
    assert 0 <= at.session_state["newswire_custom_loop"] < 48
    assert not at.exception
    # The comparison page shows the same newswire through every kept model, and says which are missing.
    open_page(at, "compare").run()
    assert not at.exception
    assert "No trained model.fit model in this session yet." in texts(at)


def test_settings_travel_in_the_link(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(
        {
            "epochs": "4",
            "batch_size": "16",
            "max_len": "40",
            "learning_rate": "0.002",
            "lr_halving_epoch": "0",
            "seed": "-1",
            "steps_per_execution": "lots",
        }
    )
    at.run()
    assert not at.exception
    settings = at.session_state["settings"]
    assert (settings.epochs, settings.batch_size, settings.max_len, settings.learning_rate) == (4, 16, 40, 0.002)
    assert settings.lr_halving_epoch is None and settings.seed == 0 and settings.steps_per_execution == 1
    notice = " ".join(str(i.value) for i in at.sidebar.info)
    assert "seed" in notice and "steps_per_execution" in notice and "epochs" not in notice
    assert at.number_input(key="set_epochs").value == 4, "the form shows the linked settings"
    assert at.query_params["seed"] == "0" and at.query_params["epochs"] == "4", "the link is corrected"
    # Applying settings writes them into the link; Reset takes them out again.
    at.number_input(key="set_epochs").set_value(6)
    at.button(key="apply_settings").click().run()
    assert "Settings applied." in texts(at)
    assert at.query_params["epochs"] == "6" and at.query_params["max_len"] == "40"
    at.run()
    assert not at.sidebar.info, "the notice is shown once, on the first load"
    at.button(key="reset_settings").click().run()
    assert "epochs" not in at.query_params and at.session_state["settings"].epochs == 10


def test_a_plain_address_stays_plain_until_settings_are_applied(app_env):
    at = new_app()
    assert not {"epochs", "max_len"} & set(at.query_params)
    apply_tiny_settings(at, epochs=2)
    assert at.query_params["epochs"] == "2" and at.query_params["batch_size"] == "16"


def test_the_live_view_refreshes_faster_only_until_the_first_batch():
    """Tracing takes about a second: a quicker tick shows the first count sooner, then back to 1 s."""
    from core.runs.handle import JobSnapshot
    from ui.live_run import FIRST_BATCH_FAST_FOR_SECONDS, awaiting_first_batch

    started = 1000.0

    def snapshot(state="running", batches=0, epochs=()):
        record = type("Record", (), {"epochs": list(epochs)})()
        return JobSnapshot(
            state=state,
            methods=("fit",),
            current_method="fit",
            epoch=1,
            epochs=3,
            batches_done=batches,
            batches_per_epoch=10,
            seconds_left_in_epoch=None,
            records=[record],
            message=RunMessage(),
            version=1,
            started_at=started,
            ended_at=None,
        )

    soon = started + 0.5
    assert awaiting_first_batch(snapshot(), now=soon)
    assert awaiting_first_batch(snapshot(state="waiting"), now=soon)
    assert not awaiting_first_batch(snapshot(batches=1), now=soon)
    assert not awaiting_first_batch(snapshot(epochs=[object()]), now=soon)  # a later method of a comparison
    assert not awaiting_first_batch(snapshot(state="finished"), now=soon)
    # A job left waiting for a slot goes back to the normal refresh.
    assert not awaiting_first_batch(snapshot(state="waiting"), now=started + FIRST_BATCH_FAST_FOR_SECONDS + 0.1)


def test_a_run_that_ends_while_the_page_draws_does_not_leave_stop_enabled():
    """The buttons and the live view read the run a moment apart; if it ends in between, the page redraws once.

    Found in a real browser (bench/train_latency.py): Stop clicked, the status said "Stopped", and the
    Stop button stayed enabled for good, because the view saw an idle run and never refreshed.
    """

    def page() -> None:
        import streamlit as st

        from core import states  # the page runs as its own script: module imports do not reach it
        from core.records import RunRecord
        from core.runs.handle import JobSnapshot
        from ui import live_run

        class EndsAfterTheButtons:
            def snapshot(self):
                st.session_state["reads"] = st.session_state.get("reads", 0) + 1
                return JobSnapshot(
                    state=states.JobState.RUNNING if st.session_state["reads"] == 1 else states.JobState.STOPPED,
                    methods=("fit",),
                    current_method="fit",
                    epoch=1,
                    epochs=3,
                    batches_done=5,
                    batches_per_epoch=10,
                    seconds_left_in_epoch=None,
                    records=[RunRecord.start("fit", {})],
                    message=states.RunMessage(states.MessageCode.STOPPED_DURING, {"epoch": 1}),
                    version=1,
                    started_at=0.0,
                    ended_at=1.0,
                )

        st.session_state.setdefault(live_run.JOB_KEY, EndsAfterTheButtons())
        st.session_state[live_run.JOB_PAGE_KEY] = "fit"
        live_run.training_controls("fit", [], None)
        live_run.live_view("fit", lambda snap: None, empty_hint="")

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert at.session_state["reads"] > 3  # the page ran again after the view saw the run ended
    assert at.button(key="stop_fit").disabled


def test_status_line_says_the_step_is_being_traced_before_the_first_batch():
    def page(batches: int, finished_epochs: int) -> None:
        from core import states  # the page runs as its own script: module imports do not reach it
        from core.records import RunRecord
        from core.runs.handle import JobSnapshot
        from ui.live_run import status_line

        record = RunRecord.start("fit", {})
        record.epochs = [object()] * finished_epochs
        status_line(
            JobSnapshot(
                state=states.JobState.RUNNING,
                methods=("fit",),
                current_method="fit",
                epoch=max(1, finished_epochs + 1),
                epochs=3,
                batches_done=batches,
                batches_per_epoch=10,
                seconds_left_in_epoch=4.0 if batches else None,
                records=[record],
                message=states.RunMessage(),
                version=1,
                started_at=0.0,
                ended_at=None,
            )
        )

    def progress_text(batches: int, finished_epochs: int) -> str:
        at = AppTest.from_function(page, kwargs={"batches": batches, "finished_epochs": finished_epochs}).run()
        assert not at.exception
        return at.get("progress")[0].proto.text

    assert "tracing the training step" in progress_text(0, 0)
    assert "tracing" not in progress_text(3, 0) and "about 4 s left" in progress_text(3, 0)
    assert "tracing" not in progress_text(0, 1)  # a later epoch starts without tracing again


def modules_loaded_by_importing(scripts: list[str]) -> list[str]:
    """In a fresh interpreter with Streamlit loaded: what importing everything `scripts` import at their top loads."""
    import ast
    import subprocess
    import sys

    root = Path(APP).parent
    modules = set()
    for script in scripts:
        for node in ast.parse((root / script).read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom):
                modules.add(node.module)
            elif isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
    check = (
        "import importlib, sys, streamlit\n"
        "before = set(sys.modules)\n"
        f"for name in {sorted(modules)!r}: importlib.import_module(name)\n"
        "from core import methods\n"
        "from ui.home import trainer_lines\n"
        "for m in methods.REGISTRY: trainer_lines(m.module)\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_the_router_and_the_pages_import_no_tensorflow():
    """Paint first: nothing app.py or a page imports at its top loads TensorFlow."""
    loaded = modules_loaded_by_importing(["app.py", "ui/navigation.py"])
    assert {"ui.method_page", "ui.home", "ui.compare_page", "core.methods"} <= set(loaded)
    assert not [m for m in loaded if m.split(".")[0] in ("tensorflow", "keras")]


def test_the_router_home_and_method_pages_draw_their_title_before_pandas_and_altair():
    """Those take a moment on a fresh server: app.py, ui/home.py and the pages import them after the title."""
    loaded = modules_loaded_by_importing(["app.py", "ui/navigation.py"])
    assert {"ui.home", "ui.method_page", "ui.settings_form"} <= set(loaded)
    assert not [m for m in loaded if m.split(".")[0] in ("pandas", "altair", "numpy", "tensorflow", "keras")]


def test_without_data_the_page_says_how_to_supply_it_once(tmp_path, monkeypatch):
    """The problem, then the page's own (translated) advice: not the command line's English advice as well."""
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(tmp_path / "missing.npz"))
    st.cache_resource.clear()
    try:
        at = new_app()
        assert not at.exception
        shown = texts(at)
        assert "which is not a file" in shown  # the problem itself
        assert shown.count("to the path of a") == 1, shown  # the advice once
        assert "Set the environment variable" not in shown  # core's English advice stays with the command line
    finally:
        st.cache_resource.clear()
