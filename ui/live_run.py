"""Train and Stop buttons, and the live view of a session's training job.

Training never runs in the script thread: any click reruns the script and
would kill it. A `core.jobs.TrainingJob` trains in its own thread and the page
reads `job.snapshot()`. The live view is a fragment that reruns about once a
second while the job is active and not at all when idle; when the job ends it
triggers one full rerun, which turns the refresh off and re-enables Train.
One job per session: it is kept in `st.session_state`, so it survives widget
changes and page switches.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.data import PreparedData
from core.jobs import SERVER_SLOTS, JobSnapshot, TrainingJob
from core.settings import METHOD_TITLES, RunSettings

JOB_KEY = "job"  # the session's TrainingJob (at most one)
JOB_PAGE_KEY = "job_page"  # the page that started it
JOB_OWNER_KEY = "job_owner"  # ties the job's life to the session's
RESULTS_KEY = "results"  # page id -> last finished JobSnapshot, so results stay after a page switch
REFRESH_SECONDS = 1.0

PAGE_TITLES = {
    "fit": "model.fit",
    "train_on_batch": "train_on_batch",
    "custom_loop": "Custom loop",
    "compare": "Compare",
}


class _SessionOwner:
    """A token that only this session's state refers to; see TrainingJob.stop_when_collected."""


def session_job() -> TrainingJob | None:
    return st.session_state.get(JOB_KEY)


def _start(page_id: str, settings_list: list[RunSettings], data: PreparedData) -> None:
    """on_click of Train: refuse politely when this session already trains."""
    job = session_job()
    if job is not None and job.snapshot().active:
        st.session_state["train_refused"] = page_id
        return
    job = TrainingJob(settings_list, data)
    owner = _SessionOwner()
    job.stop_when_collected(owner)
    st.session_state[JOB_OWNER_KEY] = owner  # only the session holds it: a closed session stops its job
    st.session_state[JOB_KEY] = job.start()
    st.session_state[JOB_PAGE_KEY] = page_id
    st.session_state.setdefault(RESULTS_KEY, {}).pop(page_id, None)


def _stop() -> None:
    job = session_job()
    if job is not None:
        job.stop()


def training_controls(page_id: str, settings_list: list[RunSettings], data: PreparedData, label: str = "Train") -> None:
    job = session_job()
    running_here = job is not None and job.snapshot().active and st.session_state.get(JOB_PAGE_KEY) == page_id
    left, right, _ = st.columns([1, 1, 4])
    left.button(label, type="primary", key=f"train_{page_id}", on_click=_start, args=(page_id, settings_list, data))
    right.button("Stop", key=f"stop_{page_id}", on_click=_stop, disabled=not running_here)
    if st.session_state.pop("train_refused", None) == page_id and job is not None:
        snap = job.snapshot()
        where = PAGE_TITLES.get(st.session_state.get(JOB_PAGE_KEY, ""), "another")
        st.warning(
            f"One run at a time per session: {', '.join(METHOD_TITLES[m] for m in snap.methods)} "
            f"is still {snap.state} (started on the {where} page). Stop it there, or wait for it to end."
        )


def status_line(snap: JobSnapshot) -> None:
    """What the job is doing, in words, with a progress bar while it trains."""
    done = sum(len(r.epochs) for r in snap.records)
    if snap.state == "waiting":
        st.info(
            f"Waiting for a free training slot: {SERVER_SLOTS.in_use} of {SERVER_SLOTS.capacity} are busy on "
            "this server. Your run starts by itself as soon as one frees up.",
            icon=":material/hourglass_top:",
        )
    elif snap.state == "running":
        method = METHOD_TITLES.get(snap.current_method or "", snap.current_method)
        position = f" ({snap.methods.index(snap.current_method) + 1} of {len(snap.methods)})" if len(snap.methods) > 1 else ""
        fraction = snap.batches_done / snap.batches_per_epoch if snap.batches_per_epoch else 0.0
        left = f" · about {snap.seconds_left_in_epoch:.0f} s left in this epoch" if snap.seconds_left_in_epoch is not None else ""
        text = (
            f"{method}{position} · epoch {max(snap.epoch, 1)}/{snap.epochs} · "
            f"batch {snap.batches_done}/{snap.batches_per_epoch or '…'}{left}"
        )
        st.progress(min(fraction, 1.0), text=text)
    elif snap.state == "finished":
        seconds = (snap.ended_at or snap.started_at) - snap.started_at
        st.success(f"Finished: {done} epochs in {seconds:.0f} s. {snap.message}".strip(), icon=":material/check_circle:")
    elif snap.state == "stopped":
        st.warning(f"Stopped. {snap.message} The {done} finished epochs are kept below.", icon=":material/stop_circle:")
    else:
        st.error(
            f"The run failed: {snap.message}\n\nThe {done} epochs it finished are kept below.", icon=":material/error:"
        )


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

    was_active = job.snapshot().active

    @st.fragment(run_every=REFRESH_SECONDS if was_active else None)
    def _live() -> None:
        snap = job.snapshot()
        status_line(snap)
        draw(snap)
        if not snap.active:
            st.session_state.setdefault(RESULTS_KEY, {})[page_id] = snap
            if was_active:
                st.rerun()  # once: stop refreshing and re-enable the buttons

    _live()


def _elsewhere_notice(job: TrainingJob, job_page: str | None) -> None:
    @st.fragment(run_every=REFRESH_SECONDS)
    def _notice() -> None:
        snap = job.snapshot()
        if not snap.active:
            st.rerun()
        where = PAGE_TITLES.get(job_page or "", "another")
        st.info(
            f"Your {', '.join(METHOD_TITLES[m] for m in snap.methods)} run keeps training on the {where} page "
            f"(epoch {max(snap.epoch, 1)}/{snap.epochs}). Its charts are there; it goes on while you look around.",
            icon=":material/sync:",
        )

    _notice()
