"""The visitor's (or their class's) saved runs on Compare: the table that picks the overlay, the charts, downloads, import.

Runs come from the store through the session's space only (ui.classroom):
a private visitor sees their own runs and the cached results they used; a class
link shows the class's runs with each student's name and the settings as
columns. Ticking rows of the table chooses what the charts overlay; each run is
labelled by what differs among the ticked ones (core.compare.run_labels).
Nothing here can reach a run of another space.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pandas as pd
import streamlit as st

from core import charts
from core.compare import method_agreement, run_labels
from core.exchange import ImportReport, Skip, read_runs_file, runs_table, runs_to_zip
from core.hosting import runs_may_vanish
from core.plain_text import display_name_text, markdown_literal, plain_text
from core.records import RunRecord, records_to_frame
from core.reference import reference_frame
from core.store import QuotaFull, store_from_environment
from ui.classroom import class_code, current_space, display_name, viewed_space, visitor_id
from ui.i18n import message_text, tr
from ui.learned import session_models
from ui.take_away import saved_model_downloads
from ui.views import batch_curves, chart_columns, chart_texts, image_downloads, label_words

RUNS_TABLE_KEY = "runs_table"  # the saved-runs table; its selection is the overlay
IMPORT_KEY = "runs_import"  # the import box (several files at once)
IMPORT_REPORTS_KEY = "runs_import_reports"  # file_id -> ImportReport: each file is imported once
MAX_REASONS_SHOWN = 20  # per file; the rest are counted

logger = logging.getLogger(__name__)

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


def import_file(name: str, payload: bytes) -> ImportReport:
    """Read one uploaded file as hostile and save its valid runs together (or none): its report, whatever happens."""
    try:
        report = read_runs_file(name, payload)
    except Exception:  # noqa: BLE001 - read_runs_file raises nothing (a fuzz test holds it to that); the page never breaks
        logger.exception("reading the runs file %r failed", name)
        return ImportReport(plain_text(name, 80) or "?").refuse("unexpected")
    if report.runs:
        try:
            store_from_environment().save_imported(visitor_id(), current_space(), report.runs, display_name())
        except QuotaFull as refusal:  # the file's runs count against the importer's quotas, all of them or none
            return report.refuse("quota", message=message_text(refusal.message))
        except Exception as error:  # noqa: BLE001 - the database refused or is down: nothing of the file was saved
            logger.warning("saving the runs of %r failed: %s", name, error)
            return report.refuse("not_saved", error=type(error).__name__)
    return report.saved()


def _import_runs() -> None:
    """on_change of the import box: each newly added file is imported once and keeps its report."""
    reports = st.session_state.setdefault(IMPORT_REPORTS_KEY, {})
    for uploaded in st.session_state.get(IMPORT_KEY) or []:
        if uploaded.file_id not in reports:
            reports[uploaded.file_id] = import_file(uploaded.name, uploaded.getvalue())


def _reason(skip: Skip) -> str:
    """Why a part was skipped, in the session's language; text quoted from the file (a method, a setting's value) as literal text."""
    values = {key: markdown_literal(value) if isinstance(value, str) else value for key, value in skip.values.items()}
    return tr(f"import.why.{skip.reason}", **values)


def report_text(report: ImportReport) -> str:
    """One file's report in the session's language; the file's and members' names as literal text."""
    name = markdown_literal(report.name)
    if report.refused is not None:
        return tr("import.refused", name=name, reason=_reason(report.refused))
    lines = [tr("import.summary", name=name, imported=report.imported, skipped=report.skipped_runs)]
    for skip in report.skipped[:MAX_REASONS_SHOWN]:
        reason = _reason(skip)
        lines.append(f"- {markdown_literal(skip.part)}: {reason}" if skip.part else f"- {reason}")
    if len(report.skipped) > MAX_REASONS_SHOWN:
        lines.append(f"- {tr('import.more', count=len(report.skipped) - MAX_REASONS_SHOWN)}")
    return "\n".join(lines)


def import_reports() -> None:
    """A report under the import box for each file in it: green when all went in, amber with skips, red when refused."""
    reports = st.session_state.get(IMPORT_REPORTS_KEY, {})
    for uploaded in st.session_state.get(IMPORT_KEY) or []:
        report = reports.get(uploaded.file_id)
        if report is None:
            continue
        if report.refused is not None or not report.imported:
            st.error(report_text(report), icon=":material/block:")
        elif report.skipped:
            st.warning(report_text(report), icon=":material/rule:")
        else:
            st.success(report_text(report), icon=":material/check_circle:")


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
            fit=markdown_literal(by_id[found.fit_run].label),
            custom=markdown_literal(by_id[found.custom_run].label),
            epochs=found.epochs,
            differences=differences,
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
        saved = store_from_environment().space_runs(viewed_space())
    except Exception as error:  # noqa: BLE001 - a database problem must not take the page down
        st.error(tr("runs.store_error", error=f"{type(error).__name__}: {error}"))
        saved = []
    in_class = class_code() is not None
    st.caption(tr("runs.class_caption" if in_class else "runs.private_caption", count=len(saved)))
    if runs_may_vanish():
        st.warning(tr("runs.may_vanish"), icon=":material/cloud_off:")
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
    people = [display_name_text(run.display_name) for run in drawable] if in_class else None
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
                    tr("take.download_runs"),
                    # Built on click: writing the TensorBoard logs takes about a second per run of 1,000 batch points.
                    data=lambda: runs_to_zip(
                        records, tensorboard=True, files=store_from_environment().files_of(r.run_id for r in records)
                    ),
                    file_name="selected-runs.zip",
                    mime="application/zip",
                    key="download_selected_runs",
                    on_click="ignore",
                    icon=":material/folder_zip:",
                )
                st.caption(tr("take.tensorboard_help"))
                titles = [tr(f"chart.cmp.{metric}") for metric in charts.METRIC_TITLES]
                image_downloads(list(zip(names, titles, strict=True)), key="overlay_image")
                saved_model_downloads(records, session_models())

    left, right = st.columns(2)
    with left:
        if saved:
            everything = [run.record for run in saved]
            st.download_button(
                tr("runs.download_all"),
                # A callable: the zip is built when the button is clicked, not on every rerun of the page.
                data=lambda: runs_to_zip(everything),
                file_name="runs.zip",
                mime="application/zip",
                key="download_all_runs",
                on_click="ignore",
                icon=":material/download:",
            )
    with right:
        st.file_uploader(
            tr("runs.import"), type=["json", "zip"], key=IMPORT_KEY, on_change=_import_runs, accept_multiple_files=True
        )
        import_reports()
