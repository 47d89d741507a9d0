"""The live view shared by its viewers (issue 20): the same figures as drawing per viewer, built once per run and version.

Sessions are AppTest runs of a small script that draws a method page's live view
(`ui.live_run.status_line` and `ui.views.draw_method_run`) from a snapshot, or the
real app training on fixture data. A chart's figure is its Vega-Lite spec with
its data sets read back from Arrow: what the browser draws.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest
from support import apply_tiny_settings, made_up_snapshot, new_app, open_page, state, wait_for

import ui.views
from core.records import epochs_table
from core.shared import BuiltOnce, Pacer


def _draw_live_view() -> None:
    """The script each viewer runs: the live view of the snapshot in `support.SHOWN`."""
    import streamlit as st
    import support

    from ui.live_run import status_line
    from ui.views import draw_method_run

    st.session_state["language"] = support.SHOWN["language"]
    status_line(support.SHOWN["snapshot"])
    draw_method_run(support.SHOWN["snapshot"])


def figure(chart) -> dict:
    """What the browser draws from a vega_lite_chart element: its spec and its data sets as rows of plain values."""
    proto = chart.proto
    data = {}
    for dataset in proto.datasets:
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        frame = frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        data[dataset.name] = frame.to_dict("records")
    return {"spec": json.loads(proto.spec), "data": data}


def page_figures(at: AppTest) -> dict:
    """Every chart's figure and every text of the live view, in page order."""
    texts = [e.value for kind in ("markdown", "caption", "info", "success", "warning") for e in at.get(kind)]
    progress = [(e.proto.value, e.proto.text) for e in at.get("progress")]
    tables = [e.value.to_dict("list") for e in at.dataframe]
    return {"charts": [figure(c) for c in at.get("vega_lite_chart")], "texts": texts, "progress": progress, "tables": tables}


def viewer(shown: dict, snapshot, language: str) -> AppTest:
    shown.update(snapshot=snapshot, language=language)
    at = AppTest.from_function(_draw_live_view, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def shown(monkeypatch):
    """What the viewers' script draws; a fresh shared cache, so builds are counted from zero."""
    import support

    monkeypatch.setattr(support, "SHOWN", {}, raising=False)
    monkeypatch.setattr(ui.views, "SHARED_SPECS", BuiltOnce(capacity=256))
    monkeypatch.setattr(ui.views, "BATCH_PACE", Pacer(ui.views.LIVE_BATCH_SECONDS))
    return support.SHOWN


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("status", ["running", "finished"])
def test_every_viewer_gets_the_figures_that_drawing_per_viewer_gives(shown, monkeypatch, language, status):
    snapshot = made_up_snapshot(batches=500, epochs=1, status=status)
    shared = [page_figures(viewer(shown, snapshot, language)) for _ in range(3)]
    assert shared[0]["charts"] and shared[0]["progress" if status == "running" else "texts"]
    assert shared[1] == shared[0] and shared[2] == shared[0], "every viewer sees the same figures"

    # Drawing per viewer, as before issue 20: each session builds its own specs and Streamlit converts their data.
    monkeypatch.setattr(ui.views, "SHARED_SPECS", BuiltOnce(capacity=0))
    monkeypatch.setattr(ui.views, "sendable", lambda spec: spec)
    alone = page_figures(viewer(shown, snapshot, language))
    assert alone == shared[0]
    assert alone["tables"] == [epochs_table(snapshot.records[0]).to_dict("list")], "the table as drawn per viewer before"
    words = json.dumps(alone, ensure_ascii=False)
    assert ("批次" in words or "已完成" in words) if language == "zh" else ("batch" in words or "finished" in words)


def test_a_chart_for_a_run_and_version_is_built_once_however_many_sessions_draw_it(shown):
    built: list = []
    ui.views.SHARED_SPECS.on_build.append(built.append)
    snapshot = made_up_snapshot(batches=300, epochs=1)
    first = viewer(shown, snapshot, "en")
    charts_per_page = len(first.get("vega_lite_chart"))
    assert charts_per_page == 5, "three metric panels and two per-batch curves"
    assert len(built) == charts_per_page + 1, "and the epochs table"
    for _ in range(9):
        viewer(shown, snapshot, "en")
    assert len(built) == charts_per_page + 1, "nine more sessions built nothing"
    viewer(shown, snapshot, "zh")
    assert len(built) == 2 * charts_per_page + 1, "another language has its own words (the table's headings are set apart)"
    assert len(set(built)) == len(built), "nothing built twice"

    # A new epoch: its metric panels and the table are built once more; the per-batch curves keep their published points.
    viewer(shown, made_up_snapshot(batches=300, epochs=2), "en")
    assert len(built) == 2 * charts_per_page + 1 + 4


def test_live_per_batch_curves_are_bounded_in_points_and_published_at_a_pace(shown):
    now = [0.0]
    pace = Pacer(every=10.0, clock=lambda: now[0])
    ui.views.BATCH_PACE = pace  # undone by the fixture's monkeypatch
    snapshot = made_up_snapshot(batches=900, epochs=3)
    at = viewer(shown, snapshot, "en")
    steps = {row["step"] for name, rows in figure(at.get("vega_lite_chart")[3])["data"].items() for row in rows}
    assert len(steps) <= ui.views.LIVE_BATCH_POINTS + 1 and max(steps) == 900, "thinned, the last step kept"

    more = made_up_snapshot(batches=950, epochs=3)
    now[0] = 5.0
    at = viewer(shown, more, "en")
    steps = {row["step"] for rows in figure(at.get("vega_lite_chart")[3])["data"].values() for row in rows}
    assert max(steps) == 900, "within the pace, every viewer gets the points published before"
    now[0] = 10.5
    at = viewer(shown, more, "en")
    steps = {row["step"] for rows in figure(at.get("vega_lite_chart")[3])["data"].values() for row in rows}
    assert max(steps) == 950

    # Finished: every point, as the run is kept.
    at = viewer(shown, made_up_snapshot(batches=950, epochs=3, status="finished"), "en")
    steps = {row["step"] for rows in figure(at.get("vega_lite_chart")[3])["data"].values() for row in rows}
    assert len(steps) == 950


def test_viewers_of_a_job_share_one_copy_of_its_state_until_it_changes(tiny_data, tiny_settings, gate, monkeypatch):
    import core.runs.jobs
    from core.runs.jobs import TrainingJob
    from core.runs.slots import JobSlots

    monkeypatch.setattr(core.runs.jobs, "SNAPSHOT_SHARE_SECONDS", 3600.0)  # "a moment": any time this test takes
    job = TrainingJob([tiny_settings], tiny_data, slots=JobSlots(1)).start()
    try:
        wait_for(lambda: job.snapshot().state == "running", "the job to hold its slot")
        built = job.snapshots_built
        mine = [job.snapshot() for _ in range(30)]
        assert job.snapshots_built == built, "thirty viewers, no new copy of the records"
        mine[0].records[0].status = "stopped"
        mine[0].records[0].batches.clear()
        assert job.snapshot().records[0].status == "running", "what one viewer changes, the others do not see"
        gate.set()
        wait_for(lambda: job.join(0), "the job to end")
        assert not job.snapshot().active, "a change of state is seen at once"
    finally:
        gate.set()
        job.stop()
        job.join(60)


def test_a_viewer_who_joins_late_gets_the_whole_history(app_env):
    starter = new_app()
    apply_tiny_settings(starter, epochs=40)
    open_page(starter, "fit").run()
    starter.button(key="train_fit").click().run()
    job = state(starter, "job")
    wait_for(lambda: any(len(r.epochs) >= 2 for r in job.snapshot().records), "two epochs of the starter's run")

    late = new_app()
    apply_tiny_settings(late, epochs=40)
    open_page(late, "fit").run()
    late.button(key="train_fit").click().run()
    assert not late.exception, [e.value for e in late.exception]
    snap = state(late, "job").snapshot()
    assert snap.shared_by_method() == {"fit": "joined"}
    record = snap.records[0]
    assert len(record.epochs) >= 2 and record.batches[0][0] <= record.batch_stride, "from its first epoch and batch"
    late.run()
    charts = [figure(c) for c in late.get("vega_lite_chart")]
    metric_epochs = {row["epoch"] for rows in charts[0]["data"].values() for row in rows}
    assert {1, 2} <= metric_epochs, "the epochs before joining are drawn"
    batch_steps = {row["step"] for rows in charts[3]["data"].values() for row in rows}
    assert min(batch_steps) <= record.batch_stride, "the per-batch curve starts at the run's start"
    state(late, "job").stop()
    job.stop()
    assert job.join(60) and state(late, "job").join(60)


def test_live_views_are_counted_while_they_refresh_and_forgotten_when_they_stop():
    from core.shared import Presence

    now = [0.0]
    views = Presence(clock=lambda: now[0])
    for name in ("ann", "bob", "cy"):
        views.seen(name)
    assert views.count(within=3.0) == 3
    now[0] = 2.0
    views.seen("ann")
    views.forget("bob")  # bob's run ended
    assert views.count(within=3.0) == 2
    now[0] = 4.0
    assert views.count(within=3.0) == 1, "cy's tab closed: no tick for longer than the window"


def test_the_figures_refresh_is_spaced_by_the_viewers_and_the_progress_line_is_not():
    from ui.live_run import (
        FIGURES_MAX_REFRESH_SECONDS,
        FIGURES_REFRESH_SECONDS,
        REFRESH_SECONDS,
        figures_interval,
    )

    assert figures_interval(1) == FIGURES_REFRESH_SECONDS
    assert figures_interval(30) == FIGURES_MAX_REFRESH_SECONDS and figures_interval(100) == FIGURES_MAX_REFRESH_SECONDS
    # Figures drawn per second on the server: about three at most for a class of up to thirty, however many watch.
    assert all(n / figures_interval(n) <= 3.0 for n in range(1, 31))
    assert REFRESH_SECONDS == 1.0, "the progress line keeps its one-second refresh"


def test_only_the_press_that_starts_a_computation_ticks_faster_before_its_first_batch():
    from dataclasses import replace

    from support import made_up_snapshot

    from ui.live_run import starts_its_computation

    tracing = replace(made_up_snapshot(batches=0, epochs=0), batches_done=0)
    now = tracing.started_at + 1.0
    assert starts_its_computation(tracing, now), "the visitor who pressed first sees the count as soon as it exists"
    joined = replace(tracing, shared={tracing.records[0].run_id: "joined"})
    assert not starts_its_computation(joined, now), "a joiner ticks once a second from the start"
    assert not starts_its_computation(tracing, tracing.started_at + 60.0), "not for a run left waiting"
