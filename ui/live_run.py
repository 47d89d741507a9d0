"""Train and Stop buttons, and the live view of a session's training job.

Training never runs in the script thread: any click reruns the script and
would kill it. Train starts a `core.runs.watch.Watch`: it joins an identical run
already training, shows an identical finished one from the store, or starts a
job under the server's cap, each in its own thread; the page reads
`watch.snapshot()`. The live view is two fragments that rerun while the job
is active and not at all when idle: the progress line about once a second, the
figures every FIGURES_REFRESH_SECONDS (what they cost per viewer and tick, and why,
is told where the constant is set); when the job ends the progress line
triggers one full rerun, which turns the refresh off and re-enables Train.
One job per session: it is kept in `st.session_state`, so it survives widget
changes and page switches. Before anything starts, Train asks `core.budget`
whether the press fits the server's budget (its cost, the visitor's presses in
all their tabs, the queue's length) and says why not when it does not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from core import methods
from core.budget import VISITOR_PRESSES, DataSize, check_cost, limits_from_environment
from core.data import PreparedData
from core.runs.handle import JobSnapshot
from core.runs.hub import server_hub
from core.runs.slots import SERVER_SLOTS
from core.runs.watch import Watch
from core.settings import RunSettings
from core.shared import Presence
from core.states import JobState, Source
from ui.budget import admission, refusal_text
from ui.classroom import current_space, display_name, visitor_id
from ui.i18n import message_text, tr

JOB_KEY = "job"  # the session's Watch (at most one at a time)
JOB_PAGE_KEY = "job_page"  # the page that started it
JOB_OWNER_KEY = "job_owner"  # ties the job's life to the session's
RESULTS_KEY = "results"  # page id -> last finished JobSnapshot (records only), so results stay after a page switch
CONTROLS_SHOW_RUNNING_KEY = "controls_show_running"  # the page whose Stop button this script run drew enabled
BUDGET_REFUSED_KEY = "train_over_budget"  # (page id, core.budget.Refusal) of a press the budget refused
REFRESH_SECONDS = 1.0
# Until the first batch is counted (tracing the step takes about a second) the view refreshes
# faster, so the count shows as soon as it exists instead of up to a second later (measured in a
# real browser, bench/memory.py: about 0.5 s sooner, 2.1 s median from Train to a counted batch).
# Capped in time so a job left waiting for a slot does not rerun four times a second.
FIRST_BATCH_REFRESH_SECONDS = 0.25
FIRST_BATCH_FAST_FOR_SECONDS = 5.0
# A prepared run (traced while the visitor read the page) counts its first batch within a few
# milliseconds of Train: the click's own rerun waits that long, so it draws the count at once instead
# of a "tracing" bar, a quarter-second tick and one more full rerun (bench/train_latency.py).
PREPARED_FIRST_BATCH_WAIT_SECONDS = 0.3
# The live view is two fragments (issue 20): the progress line, a few elements, refreshes every second; the
# figures (charts, table) every FIGURES_REFRESH_SECONDS. Their specs are built once per run and version for
# all viewers (ui.views.SHARED_SPECS) and an unchanged chart reaches the browser as a reference to the copy it
# holds (the forward-message cache, `global.minCachedMessageSize` in .streamlit/config.toml), so a figures tick
# between two epochs costs the server little and sends ~1 kB; a new epoch shows at most this late.
FIGURES_REFRESH_SECONDS = 2.0
# ...with one viewer. Each figures tick still costs every viewer's session about 15 ms of server CPU (Streamlit builds,
# serialises and hashes each element again, even those the browser then takes from its cache), so with thirty viewers
# ticks every 2 s took a third of a core from the training they watch, and the GIL made it worse (bench/class_watch.py).
# So the figures' interval grows with the live views on this server, FIGURES_SECONDS_PER_VIEWER each, up to
# FIGURES_MAX_REFRESH_SECONDS: the server draws about the same number of figures per second however many watch,
# and each viewer's charts lag an epoch by at most that long. The progress line stays at one second for everyone.
FIGURES_SECONDS_PER_VIEWER = 0.35
FIGURES_MAX_REFRESH_SECONDS = 10.0
# The interval is set when the page draws the fragment: at Train (the live views counted then, this one included)
# and at the run's end. A page is not redrawn to retune it as more viewers arrive: redrawing thirty whole pages at
# once costs the server more than the figures ticks it saves.
LIVE_VIEWS = Presence()  # the sessions whose live view refreshes, marked at each progress tick
LIVE_VIEW_KEY = "live_view_key"  # this session's key in LIVE_VIEWS
LIVE_VIEW_GONE_SECONDS = 3.0  # a view not marked for this long no longer counts (a closed tab, an ended run)
# The pages that start runs: each method's (core/methods.py), Compare's, and the sweep on Compare.
EXTRA_PAGE_IDS = ("compare", "sweep")


def page_title(page_id: str | None) -> str:
    return tr(f"page.{page_id}") if page_id in (*methods.names(), *EXTRA_PAGE_IDS) else tr("page.another")


def method_names(methods: tuple[str, ...]) -> str:
    return ", ".join(tr(f"method.{m}") for m in methods)


def _session_closed_check() -> Callable[[], bool]:
    """True once this browser session has been gone longer than Streamlit keeps closed sessions.

    Garbage collection of a closed session is not prompt enough on its own
    (Streamlit reaps expired sessions lazily), so the job also asks the runtime.
    Outside a running server (AppTest, scripts) the session counts as alive.
    """
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    session_id = context.session_id if context else None
    grace = float(st.get_option("server.disconnectedSessionTTL") or 0) + 1.0
    gone_since: list[float] = []

    def closed() -> bool:
        if session_id is None or not runtime.exists():
            return False
        if runtime.get_instance().is_active_session(session_id):
            gone_since.clear()
            return False
        if not gone_since:
            gone_since.append(time.monotonic())
        return time.monotonic() - gone_since[0] > grace

    return closed


class _SessionOwner:
    """A token that only this session's state refers to; see Watch.stop_when_collected."""


def session_job() -> Watch | None:
    return st.session_state.get(JOB_KEY)


def _start(page_id: str, settings_list: list[RunSettings], data: PreparedData, fresh: bool = False) -> None:
    """on_click of Train: refuse politely when this session already trains."""
    job = session_job()
    if job is not None and job.snapshot().active:
        st.session_state["train_refused"] = page_id
        return
    hub = server_hub()
    # Before anything starts (and before a prepared run is released): the press's cost, this visitor's
    # presses still waiting or training (in any tab), the queue's length.
    computations = tuple(hub.fingerprint(settings, data) for settings in settings_list)
    refusal = admission(visitor_id(), settings_list, DataSize.of(data), hub.slots, computations)
    if refusal is not None:
        st.session_state[BUDGET_REFUSED_KEY] = (page_id, refusal)
        return
    prepared = not fresh and hub.is_prepared(settings_list[0], data)
    job = Watch(hub, settings_list, data, space=current_space(), display_name=display_name(), fresh=fresh, owner=visitor_id())
    owner = _SessionOwner()
    job.stop_when_collected(owner)
    job.stop_when(_session_closed_check())
    st.session_state[JOB_OWNER_KEY] = owner  # only the session holds it: a closed session stops its job
    st.session_state[JOB_KEY] = job.start()
    VISITOR_PRESSES.add(visitor_id(), job, computations)
    st.session_state[JOB_PAGE_KEY] = page_id
    st.session_state.setdefault(RESULTS_KEY, {}).pop(page_id, None)
    if prepared:
        job.wait_for_first_batch(PREPARED_FIRST_BATCH_WAIT_SECONDS)


def _stop() -> None:
    job = session_job()
    if job is not None:
        job.stop()


def training_controls(page_id: str, settings_list: list[RunSettings], data: PreparedData, label: str | None = None) -> None:
    job = session_job()
    running_here = job is not None and job.snapshot().active and st.session_state.get(JOB_PAGE_KEY) == page_id
    left, right, _ = st.columns([1, 1, 4])
    left.button(
        label or tr("run.train"), type="primary", key=f"train_{page_id}", on_click=_start, args=(page_id, settings_list, data)
    )
    right.button(tr("run.stop"), key=f"stop_{page_id}", on_click=_stop, disabled=not running_here)
    st.session_state[CONTROLS_SHOW_RUNNING_KEY] = page_id if running_here else None
    last = st.session_state.get(RESULTS_KEY, {}).get(page_id)
    if job is not None and st.session_state.get(JOB_PAGE_KEY) == page_id:
        last = job.snapshot()  # this page's latest press, also on the rerun in which it ended
    if not running_here and last is not None and not last.active and Source.CACHED in last.shared.values():
        # The result came from the store: let the visitor see the same numbers come in live.
        st.button(
            tr("run.train_fresh"),
            key=f"fresh_{page_id}",
            on_click=_start,
            args=(page_id, settings_list, data, True),
            icon=":material/replay:",
        )
    refused = st.session_state.get(BUDGET_REFUSED_KEY)
    if refused is not None and refused[0] == page_id:
        del st.session_state[BUDGET_REFUSED_KEY]
        st.error(refusal_text(refused[1]), icon=":material/block:")
    if st.session_state.pop("train_refused", None) == page_id and job is not None:
        snap = job.snapshot()
        st.warning(
            tr(
                "run.refused",
                methods=method_names(snap.methods),
                state=tr(f"state.{snap.state}") if snap.active else snap.state,
                where=page_title(st.session_state.get(JOB_PAGE_KEY)),
            )
        )


def status_line(snap: JobSnapshot) -> None:
    """What the job is doing, in words, with a progress bar while it trains."""
    done = sum(len(r.epochs) for r in snap.records)
    if snap.state == JobState.WAITING:
        if snap.queue_position is not None:
            eta = (
                tr("run.eta", seconds=f"{snap.estimated_start:.0f}")
                if snap.estimated_start is not None
                else tr("run.eta_unknown")
            )
            text = tr("run.queued", position=snap.queue_position, ahead=snap.queue_position - 1, eta=eta)
        else:
            text = tr("run.waiting", in_use=SERVER_SLOTS.in_use, capacity=SERVER_SLOTS.capacity)
        st.info(text, icon=":material/hourglass_top:")
    elif snap.state == JobState.RUNNING:
        method = tr(f"method.{snap.current_method}") if snap.current_method else ""
        position = (
            tr("run.position", number=snap.methods.index(snap.current_method) + 1, count=len(snap.methods))
            if len(snap.methods) > 1 and snap.current_method in snap.methods
            else ""
        )
        fraction = snap.batches_done / snap.batches_per_epoch if snap.batches_per_epoch else 0.0
        if snap.batches_done == 0 and not any(record.epochs for record in snap.records if record.method == snap.current_method):
            left = tr("run.tracing")  # the first batch waits for tf.function's trace: say so, it is part of the lesson
        elif snap.seconds_left_in_epoch is not None:
            left = tr("run.left", seconds=f"{snap.seconds_left_in_epoch:.0f}")
        else:
            left = ""
        text = tr(
            "run.progress",
            method=method,
            position=position,
            epoch=max(snap.epoch, 1),
            epochs=snap.epochs,
            batch=snap.batches_done,
            batches=snap.batches_per_epoch or "…",
            left=left,
        )
        st.progress(min(fraction, 1.0), text=text)
    elif (
        snap.state == JobState.FINISHED and snap.records and all(snap.shared.get(r.run_id) == Source.CACHED for r in snap.records)
    ):
        # Shown from the store, not trained now: when it was trained, and how long its epochs took then.
        trained = max((r.ended_at or r.started_at) for r in snap.records).replace("T", " ")[:16]
        seconds = sum(row.seconds for r in snap.records for row in r.epochs)
        st.success(tr("run.finished_cached", done=done, when=trained, seconds=f"{seconds:.0f}"), icon=":material/check_circle:")
    elif snap.state == JobState.FINISHED:
        seconds = (snap.ended_at or snap.started_at) - snap.started_at
        st.success(
            tr("run.finished", done=done, seconds=f"{seconds:.0f}", message=message_text(snap.message)).strip(),
            icon=":material/check_circle:",
        )
    elif snap.state == JobState.STOPPED:
        st.warning(tr("run.stopped", message=message_text(snap.message), done=done), icon=":material/stop_circle:")
    else:
        st.error(tr("run.failed", message=message_text(snap.message), done=done), icon=":material/error:")
    shared_notes(snap)


def shared_notes(snap: JobSnapshot) -> None:
    """Say honestly which figures came from another visitor's identical run, live or finished earlier."""
    for notice in snap.notices:
        st.warning(notice, icon=":material/cloud_off:")
    for record in snap.records:
        how = snap.shared.get(record.run_id)
        if how == Source.JOINED:
            st.caption(tr("run.joined", method=tr(f"method.{record.method}")))
        elif how == Source.CACHED:
            when = record.started_at.replace("T", " ")[:16]
            st.caption(tr("run.cached", method=tr(f"method.{record.method}"), when=when))


def prepare_ahead(settings: RunSettings, data: PreparedData) -> None:
    """While the visitor reads the page, build and trace a run for these settings, so Train answers at once.

    Only when this session is not training; the hub skips it when the server is busy or the
    result is already known. Never lets a problem here reach the page.
    """
    job = session_job()
    if job is not None and job.snapshot().active:
        return
    if check_cost([settings], limits_from_environment(), DataSize.of(data)) is not None:
        return  # Train would be refused: building it ahead would cost what the budget refuses
    try:
        server_hub().prepare(settings, data)
    except Exception:  # noqa: BLE001 - preparing is only a speed-up
        pass


def live_view(page_id: str, draw: Callable[[JobSnapshot], None], empty_hint: str) -> None:
    """Draw this page's job live (or its last result), refreshing only while it trains."""
    job = session_job()
    job_page = st.session_state.get(JOB_PAGE_KEY)
    if job is None or job_page != page_id:
        if job is not None and job.snapshot().active:
            _elsewhere_notice(job, job_page)
        last = st.session_state.get(RESULTS_KEY, {}).get(page_id)
        if last is not None:
            status_line(last)
            draw(last)
        else:
            st.info(empty_hint, icon=":material/play_circle:")
        return

    first = job.snapshot()
    if not first.active and st.session_state.get(CONTROLS_SHOW_RUNNING_KEY) == page_id:
        # The run ended between the buttons' snapshot and this one (Stop lands within a batch): the
        # buttons above show it running, and an idle view would never redraw them. Once more, whole.
        st.session_state[CONTROLS_SHOW_RUNNING_KEY] = None
        st.rerun()
    was_active, was_starting = first.active, starts_its_computation(first)
    refresh = (FIRST_BATCH_REFRESH_SECONDS if was_starting else REFRESH_SECONDS) if was_active else None
    view = st.session_state.setdefault(LIVE_VIEW_KEY, uuid.uuid4().hex)
    if was_active:
        LIVE_VIEWS.seen(view)
    else:
        LIVE_VIEWS.forget(view)
    figures_every = figures_interval(LIVE_VIEWS.count(LIVE_VIEW_GONE_SECONDS)) if was_active else None

    @st.fragment(run_every=refresh)
    def _progress() -> None:
        snap = job.snapshot()
        status_line(snap)
        if not snap.active:
            LIVE_VIEWS.forget(view)
            # The trained models live in the session's model store (ui/learned.py), not in kept results.
            st.session_state.setdefault(RESULTS_KEY, {})[page_id] = replace(snap, models={})
            if was_active:
                st.rerun()  # once: stop refreshing, re-enable the buttons and draw the final figures
        elif was_starting and not awaiting_first_batch(snap):
            st.rerun()  # once: back to the one-second refresh
        else:
            LIVE_VIEWS.seen(view)

    @st.fragment(run_every=figures_every)
    def _figures() -> None:
        draw(job.snapshot())

    _progress()
    _figures()


def figures_interval(live_views: int) -> float:
    """Seconds between figures ticks when `live_views` views refresh on this server (see FIGURES_SECONDS_PER_VIEWER)."""
    return min(FIGURES_MAX_REFRESH_SECONDS, max(FIGURES_REFRESH_SECONDS, live_views * FIGURES_SECONDS_PER_VIEWER))


def starts_its_computation(snap: JobSnapshot, now: float | None = None) -> bool:
    """True for a press that started a computation that has not counted a batch yet: its view ticks faster for a moment.

    Not for a press that joined one (or got a stored result): a class's joiners pressing while the first
    press's run traces would each tick four times a second and then redraw their whole page at once.
    """
    return awaiting_first_batch(snap, now) and not snap.shared


def awaiting_first_batch(snap: JobSnapshot, now: float | None = None) -> bool:
    """True in the first seconds of a job, before it has counted a batch (its step is being traced)."""
    now = time.monotonic() if now is None else now
    return (
        snap.active
        and snap.batches_done == 0
        and not any(record.epochs for record in snap.records)
        and now - snap.started_at < FIRST_BATCH_FAST_FOR_SECONDS
    )


def _elsewhere_notice(job: Watch, job_page: str | None) -> None:
    @st.fragment(run_every=REFRESH_SECONDS)
    def _notice() -> None:
        snap = job.snapshot()
        if not snap.active:
            st.rerun()
        st.info(
            tr(
                "run.elsewhere",
                methods=method_names(snap.methods),
                where=page_title(job_page),
                epoch=max(snap.epoch, 1),
                epochs=snap.epochs,
            ),
            icon=":material/sync:",
        )

    _notice()


def job_active_on(page_id: str) -> bool:
    """True while this session's job, started on `page_id`, waits or trains."""
    job = session_job()
    return job is not None and st.session_state.get(JOB_PAGE_KEY) == page_id and job.snapshot().active
