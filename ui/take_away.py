"""Taking a run's model away: a `.keras` download where a finished run is shown, and a notice when its weights are gone.

The weights come from this session's kept models (ui.learned) or, for a result
shown from the store, from the server's hub, which keeps the weights of its
last results by fingerprint (core.runs.hub.MODELS_BY_FINGERPRINT) in this process
only. The file is built when the button is clicked (a callable for
`st.download_button`: about a third of a second and 4 MB, too much for every
rerun). A result whose weights are no longer kept says so, and the page's
"Train again" button (ui.live_run) trains it again with the same numbers.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.keras_file import keras_file_bytes, keras_file_name
from core.plain_text import markdown_literal
from core.predictions import TrainedModel
from core.records import RunRecord
from core.runs.handle import JobSnapshot
from core.runs.hub import server_hub
from core.states import RunStatus, Source
from ui.i18n import tr
from ui.live_run import JOB_PAGE_KEY, RESULTS_KEY, session_job


def kept_model(record: RunRecord, kept: dict[str, TrainedModel]) -> TrainedModel | None:
    """The trained weights of `record`'s run: this session's (`kept`), else the server's for its fingerprint."""
    for trained in kept.values():
        if trained.run_id == record.run_id:
            return trained
    return server_hub().kept_model(record.fingerprint)


def _page_result(page_id: str) -> JobSnapshot | None:
    """The page's result once it has ended: its latest press, or the result it keeps after a page switch."""
    job = session_job()
    if job is not None and st.session_state.get(JOB_PAGE_KEY) == page_id:
        snap = job.snapshot()
    else:
        snap = st.session_state.get(RESULTS_KEY, {}).get(page_id)
    return None if snap is None or snap.active else snap


def page_records(page_id: str) -> list[RunRecord]:
    """The runs the page shows as its result (none while it trains)."""
    snap = _page_result(page_id)
    return [] if snap is None else list(snap.records)


def has_weights(record: RunRecord) -> bool:
    """True for a run that learned something a model can hold: finished or stopped after at least an epoch."""
    return record.status in (RunStatus.FINISHED, RunStatus.STOPPED) and bool(record.epochs)


def model_download(trained: TrainedModel, key: str) -> None:
    """The download button of one run's model."""
    name = keras_file_name(trained)
    st.download_button(
        tr("take.download_model", label=markdown_literal(trained.label)),
        # A callable: the file is built when the button is clicked, not on every rerun of the page.
        data=lambda: keras_file_bytes(trained),
        file_name=name,
        mime="application/octet-stream",
        key=f"download_model_{key}",
        on_click="ignore",
        icon=":material/deployed_code_history:",
    )


def how_to_load(trained: TrainedModel) -> None:
    """How to open the file in Keras, with the run's file name and padding (markdown: fits inside an expander too)."""
    st.markdown(tr("take.how_to_load", file=keras_file_name(trained), max_len=trained.max_len))


def weights_gone(record: RunRecord, page_id: str) -> None:
    """Say that this result's weights are not kept, and what brings them back.

    A result from the store: the page's Train again button (ui.live_run shows it for those). Otherwise (a run
    this visitor stopped watching before it ended, a worker whose weights did not come back): Train.
    """
    snap = _page_result(page_id)
    cached = snap is not None and snap.shared.get(record.run_id) == Source.CACHED
    key = "take.weights_gone" if cached else "take.weights_not_here"
    st.info(tr(key, label=markdown_literal(record.label or record.run_id)), icon=":material/cloud_off:")


def saved_model_downloads(records: list[RunRecord], kept: dict[str, TrainedModel]) -> None:
    """Compare's saved runs: a model download per ticked run whose weights are kept, a line for each whose are not."""
    shown = None
    for record in records:
        if not has_weights(record):
            continue
        trained = kept_model(record, kept)
        if trained is None:
            st.caption(tr("take.saved_weights_gone", label=markdown_literal(record.label or record.run_id)))
            continue
        shown = replace(trained, label=record.label or trained.label)  # the label the charts give it
        model_download(shown, f"saved_{record.run_id}")
    if shown is not None:
        how_to_load(shown)
