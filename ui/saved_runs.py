"""The visitor's (or their class's) saved runs on Compare: the table that picks the overlay, the charts, downloads, import.

Runs come from the store through the session's space only (ui.classroom):
a private visitor sees their own runs and the cached results they used; a class
link shows the class's runs with each student's name and the settings as
columns. Ticking rows of the table chooses what the charts overlay; each run is
labelled by what differs among the ticked ones (core.compare.run_labels).
Nothing here can reach a run of another space.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core import charts
from core.compare import method_agreement, run_labels
from core.exchange import RunFileError, runs_from_file, runs_table, runs_to_zip
from core.records import RunRecord, records_to_frame
from core.reference import reference_frame
from core.store import QuotaFull, store_from_environment
from ui.classroom import class_code, current_space, display_name, visitor_id
from ui.data_source import safe_name
from ui.i18n import message_text, tr
from ui.views import batch_curves, chart_columns, chart_texts, image_downloads, label_words

RUNS_TABLE_KEY = "runs_table"  # the saved-runs table; its selection is the overlay

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
    # The file's runs count against the importer's quotas, all of them or none (core.store.make_room).
    refusal = store.quota_refusal(visitor_id(), space, len(records)) if records else None
    if refusal is not None:
        st.session_state["runs_import_result"] = ("error", f"`{safe_name(uploaded.name)}`: {message_text(str(refusal))}")
        return
    try:
        for record in records:
            store.add_new_run(record, visitor_id(), space, display_name(), "imported")
    except QuotaFull as refusal:  # another import of the same quota got there first
        st.session_state["runs_import_result"] = ("error", f"`{safe_name(uploaded.name)}`: {message_text(str(refusal))}")
        return
    text = tr("runs.imported", count=len(records))
    if problems:
        text += "\n\n" + "\n".join(f"- {p}" for p in problems[:10])
    st.session_state["runs_import_result"] = ("warning" if problems else "success", text)


def selected_rows(key: str) -> list[int]:
    """The table rows ticked in the dataframe `key` (positions in the table as built, whatever the sort)."""
    state = st.session_state.get(key)
    try:
        return [int(row) for row in state["selection"]["rows"]]
    except (TypeError, KeyError, ValueError):
        return []


def labelled(records: list[RunRecord], people: list[str] | None = None) -> list[RunRecord]:
    """Copies of `records` whose labels name what differs among them (core.compare.run_labels), in the page's words."""
    methods, settings = label_words()
    labels = run_labels(records, methods, settings, people)
    return [replace(record, label=label) for record, label in zip(records, labels, strict=True)]


def agreement_notes(records: list[RunRecord]) -> None:
    """Say when fit and the custom loop start alike, and how far apart their figures are."""
    by_id = {record.run_id: record for record in records}
    for found in method_agreement(records):
        places = 6 if found.same_math else 4
        differences = ", ".join(f"{value:.{places}f} {tr(f'cmp.diff.{metric}')}" for metric, value in found.largest.items())
        values = dict(
            fit=by_id[found.fit_run].label, custom=by_id[found.custom_run].label, epochs=found.epochs, differences=differences
        )
        if found.same_math:
            st.info(tr("cmp.agree", decimals=found.decimals, **values), icon=":material/join:")
        else:
            st.caption(tr("cmp.differ", **values))


def overlay_charts(name: str, records: list[RunRecord], extra: pd.DataFrame | None = None) -> list[str]:
    """The comparison panels of `records` (labelled already), plus the agreement note; returns the charts' names."""
    frames = [records_to_frame(records)] + ([extra] if extra is not None and not extra.empty else [])
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    texts = chart_texts()
    version = (tuple((r.run_id, r.label, len(r.epochs), r.status) for r in records), extra is not None)
    names = chart_columns(name, version, lambda: charts.comparison_panels(frame, texts))
    st.caption(tr("cmp.chart_help"))
    agreement_notes(records)
    return names


def saved_runs_section() -> None:
    st.subheader(tr("compare.overlay_title"))
    try:
        saved = store_from_environment().space_runs(current_space())
    except Exception as error:  # noqa: BLE001 - a database problem must not take the page down
        st.error(tr("runs.store_error", error=f"{type(error).__name__}: {error}"))
        saved = []
    in_class = class_code() is not None
    st.caption(tr("runs.class_caption" if in_class else "runs.private_caption", count=len(saved)))
    chosen: list = []
    if saved:
        table = runs_table((run.record, run.display_name, tr(f"runs.how.{run.how}")) for run in saved)
        shown = table.drop(columns=["run_id"] + ([] if in_class else ["name"]))
        shown = shown.rename(columns={k: tr(v) for k, v in TABLE_HEADINGS.items()})
        st.caption(tr("cmp.table_help"))
        # Ticking rows reruns the page with the selection in session state; the rows are positions in `saved`.
        st.dataframe(shown, hide_index=True, width="stretch", key=RUNS_TABLE_KEY, on_select="rerun", selection_mode="multi-row")
        chosen = [saved[row] for row in selected_rows(RUNS_TABLE_KEY) if 0 <= row < len(saved)]
    drawable = [run for run in chosen if run.record.epochs]
    people = [run.display_name for run in drawable] if in_class else None
    records = labelled([run.record for run in drawable], people)
    with_book = st.toggle(tr("compare.book_toggle"), value=True, key="overlay_book")
    if not records and not with_book:
        st.info(tr("cmp.select_hint"), icon=":material/checklist:")
    else:
        names = overlay_charts("compare-overlay", records, reference_frame() if with_book else None)
        if with_book:
            st.caption(tr("compare.book_caption"))
        if records:
            st.markdown(f"**{tr('cmp.batch_title')}**")
            batch_curves("compare-overlay", records, [r.label for r in records], "run", tr("cmp.batch_overlay"), ("reported",))
            with st.expander(tr("cmp.downloads"), icon=":material/download:"):
                st.download_button(
                    tr("cmp.download_runs"),
                    data=lambda: runs_to_zip(records),
                    file_name="selected-runs.zip",
                    mime="application/zip",
                    key="download_selected_runs",
                    on_click="ignore",
                    icon=":material/folder_zip:",
                )
                titles = [tr(f"chart.cmp.{metric}") for metric in charts.METRIC_TITLES]
                image_downloads(list(zip(names, titles, strict=True)), key="overlay_image")

    left, right = st.columns(2)
    with left:
        if saved:
            st.download_button(
                tr("runs.download_all"),
                runs_to_zip(run.record for run in saved),
                "runs.zip",
                "application/zip",
                key="download_all_runs",
                on_click="ignore",
                icon=":material/download:",
            )
    with right:
        st.file_uploader(tr("runs.import"), type=["json", "zip"], key="runs_import", on_change=_import_runs)
        result = st.session_state.get("runs_import_result")
        if result:
            kind, text = result
            getattr(st, kind)(text)
