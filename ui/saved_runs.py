"""The visitor's (or their class's) saved runs on Compare: the table, the overlay, download all, import.

Runs come from the store through the session's space only (ui.classroom):
a private visitor sees their own runs and the cached results they used; a class
link shows the class's runs with each student's name and the settings as
columns. Nothing here can reach a run of another space.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import charts
from core.exchange import RunFileError, runs_from_file, runs_table, runs_to_zip
from core.records import records_to_frame
from core.reference import reference_frame
from core.store import store_from_environment
from ui.classroom import class_code, current_space, display_name
from ui.data_source import safe_name
from ui.i18n import tr
from ui.views import chart_once_per_version

TABLE_HEADINGS = {
    "name": "runs.col.name",
    "method": "runs.col.method",
    "how": "runs.col.how",
    "status": "runs.col.status",
    "epochs done": "runs.col.epochs_done",
    "best val accuracy": "runs.col.best",
    "final val accuracy": "runs.col.final",
    "started": "runs.col.started",
}


def _import_runs() -> None:
    """on_change of the import box: read the file as hostile, keep what is valid, say what was not."""
    uploaded = st.session_state.get("runs_import")
    st.session_state.pop("runs_import_result", None)
    if uploaded is None:
        return
    try:
        records, problems = runs_from_file(uploaded.name, uploaded.getvalue())
    except RunFileError as error:
        st.session_state["runs_import_result"] = ("error", f"`{safe_name(uploaded.name)}`: {error}")
        return
    store = store_from_environment()
    space = current_space()
    for record in records:
        store.save_run(record)
        store.add_to_space(space, record.run_id, display_name(), "imported")
    text = tr("runs.imported", count=len(records))
    if problems:
        text += "\n\n" + "\n".join(f"- {p}" for p in problems[:10])
    st.session_state["runs_import_result"] = ("warning" if problems else "success", text)


def saved_runs_section() -> None:
    st.subheader(tr("compare.overlay_title"))
    try:
        saved = store_from_environment().space_runs(current_space())
    except Exception as error:  # noqa: BLE001 - a database problem must not take the page down
        st.error(tr("runs.store_error", error=f"{type(error).__name__}: {error}"))
        saved = []
    in_class = class_code() is not None
    st.caption(tr("runs.class_caption" if in_class else "runs.private_caption", count=len(saved)))
    if saved:
        table = runs_table((run.record, run.display_name, tr(f"runs.how.{run.how}")) for run in saved)
        shown = table.drop(columns=["run_id"] + ([] if in_class else ["name"]))
        shown = shown.rename(columns={k: tr(v) for k, v in TABLE_HEADINGS.items()})
        st.dataframe(shown, hide_index=True, width="stretch")

    by_id = {run.record.run_id: run for run in saved if run.record.epochs}
    chosen = st.multiselect(
        tr("compare.saved_runs"), list(by_id), key="overlay_runs",
        format_func=lambda run_id: _option_label(by_id[run_id], in_class),
    )
    chosen = [run_id for run_id in chosen if run_id in by_id]
    with_book = st.toggle(tr("compare.book_toggle"), value=True, key="overlay_book")
    frames = [records_to_frame([by_id[run_id].record for run_id in chosen])]
    if with_book:
        frames.append(reference_frame())
    present = [f for f in frames if not f.empty]
    overlay = pd.concat(present, ignore_index=True) if present else frames[0]
    chart_once_per_version("compare-overlay", (tuple(chosen), with_book), lambda: charts.comparison_chart(overlay))
    if with_book:
        st.caption(tr("compare.book_caption"))

    left, right = st.columns(2)
    with left:
        if saved:
            st.download_button(
                tr("runs.download_all"), runs_to_zip(run.record for run in saved), "runs.zip", "application/zip",
                key="download_all_runs", on_click="ignore", icon=":material/download:",
            )
    with right:
        st.file_uploader(tr("runs.import"), type=["json", "zip"], key="runs_import", on_change=_import_runs)
        result = st.session_state.get("runs_import_result")
        if result:
            kind, text = result
            getattr(st, kind)(text)


def _option_label(run, in_class: bool) -> str:
    record = run.record
    who = f"{run.display_name} · " if in_class and run.display_name else ""
    return f"{who}{record.label} · {record.status} · {len(record.epochs)} {tr('compare.epochs_word')}"
