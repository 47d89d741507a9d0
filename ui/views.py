"""What a page shows of runs: charts, the per-epoch table, per-batch curves, downloads, the source that runs.

Each function draws from a `JobSnapshot` or from records; none trains. Chart
words come from the catalogue (`chart_texts`), so charts follow the session's language.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable

import altair as alt
import pandas as pd
import streamlit as st

from core import charts
from core.compare import comparison_summary  # noqa: F401 - the page draws it through this module
from core.jobs import JobSnapshot
from core.records import RunRecord, epochs_table, record_to_csv, record_to_json, records_to_frame
from ui.i18n import current_language, tr

# Column of the per-epoch table -> (catalogue key of its heading, number format or None for text).
TABLE_COLUMNS = {
    "epoch": ("col.epoch", None),
    "loss": ("col.loss", "%.4f"),
    "accuracy": ("col.accuracy", "%.4f"),
    "top5_accuracy": ("col.top5", "%.4f"),
    "val_loss": ("col.val_loss", "%.4f"),
    "val_accuracy": ("col.val_accuracy", "%.4f"),
    "val_top5_accuracy": ("col.val_top5", "%.4f"),
    "learning_rate": ("col.lr", "%.6f"),
    "seconds": ("col.seconds", "%.1f"),
    "finished_at": ("col.finished_at", "text"),
}
# comparison_summary's columns -> catalogue keys of their headings.
SUMMARY_COLUMNS = {
    "run": "summary.run",
    "method": "summary.method",
    "status": "summary.status",
    "best val accuracy": "summary.best",
    "epoch of best": "summary.best_epoch",
    "final val accuracy": "summary.final",
    "final val top-5": "summary.final_top5",
    "seconds per epoch": "summary.per_epoch",
    "total seconds": "summary.total",
}


def table_columns() -> dict[str, st.column_config.Column]:
    """The per-epoch table's column headings in the session's language."""
    config = {}
    for name, (key, number_format) in TABLE_COLUMNS.items():
        if number_format == "text":
            config[name] = st.column_config.TextColumn(tr(key))
        else:
            config[name] = st.column_config.NumberColumn(tr(key), format=number_format)
    return config


def show_source(function: Callable, title: str, expanded: bool = False) -> None:
    """The code shown is the code that runs: the real function's source, read at run time."""
    with st.expander(title, expanded=expanded):
        st.code(inspect.getsource(function), language="python")


def chart_texts() -> dict[str, str]:
    """Every word core.charts draws, in the session's language."""
    return {key: tr(f"chart.cmp.{key}") for key in charts.CHART_TEXTS}


def label_words() -> tuple[dict[str, str], dict[str, str]]:
    """Method and setting names for core.compare.run_labels, in the session's language."""
    from core.compare import LABEL_SETTINGS
    from core.settings import METHODS

    return {m: tr(f"cmp.method.{m}") for m in METHODS}, {k: tr(f"cmp.setting.{k}") for k in LABEL_SETTINGS}


def chart_once_per_version(name: str, version: Hashable, build: Callable[[], alt.TopLevelMixin]) -> None:
    """Draw a chart, rebuilding its Vega-Lite spec only when `version` changes.

    Building and validating an Altair spec costs ~0.1 s of CPU under the GIL;
    the live view reruns every second in every watching session, so rebuilding
    each time would steal that time from the training threads. Between epochs
    nothing on the chart changes, so the spec is reused as it is.
    """
    specs = st.session_state.setdefault("chart_specs", {})
    version = (version, current_language())  # a language switch redraws every word
    cached = specs.get(name)
    if cached is None or cached[0] != version:
        cached = (version, build().to_dict())
        specs[name] = cached
    st.vega_lite_chart(spec=cached[1], width="stretch")


def run_charts(
    name: str,
    version: Hashable,
    records: list[RunRecord],
    rule_epoch: int | None = None,
    show_learning_rate: bool = False,
) -> None:
    # One column per metric panel: side by side on a wide page, stacked on a phone (Streamlit stacks
    # columns below 640 px), each panel as wide as its column; a concatenated chart would be cut off.
    texts = chart_texts()
    panels = lambda: charts.as_separate_panels(  # noqa: E731
        charts.metric_chart(records_to_frame(records), rule_epoch=rule_epoch, texts=texts)
    )
    for index, column in enumerate(st.columns(len(charts.METRIC_TITLES))):
        with column:
            chart_once_per_version(f"{name}-metrics-{index}", version, lambda index=index: panels()[index])
    if show_learning_rate:
        chart_once_per_version(
            f"{name}-lr", version, lambda: charts.learning_rate_chart(records_to_frame(records), rule_epoch, texts)
        )


def chart_columns(name: str, version: Hashable, build: Callable[[], list[alt.TopLevelMixin]], count: int = 3) -> list[str]:
    """`count` charts side by side, one per column (stacked on a phone); built once per version. Returns their names."""
    built: list[alt.TopLevelMixin] = []

    def panel(index: int) -> alt.TopLevelMixin:
        if not built:  # all of them at once, and only when the version moved
            built.extend(build())
        return built[index]

    names = [f"{name}-{index}" for index in range(count)]
    for index, column in enumerate(st.columns(count)):
        with column:
            chart_once_per_version(names[index], version, lambda index=index: panel(index))
    return names


def image_downloads(names: list[tuple[str, str]], key: str) -> None:
    """PNG and SVG buttons for charts already drawn ((chart name, title) pairs); rendered only when clicked."""
    specs = st.session_state.get("chart_specs", {})
    drawn = [(name, title) for name, title in names if name in specs]
    columns = st.columns(max(len(drawn), 1))
    for column, (name, title) in zip(columns, drawn, strict=False):
        spec = specs[name][1]
        for image_format, mime in (("png", "image/png"), ("svg", "image/svg+xml")):
            column.download_button(
                tr("cmp.download_chart", chart=title, format=image_format.upper()),
                # A callable: vl-convert runs on the click, not on every rerun of the page.
                data=lambda spec=spec, image_format=image_format: charts.chart_image(spec, image_format),
                file_name=f"{name}.{image_format}",
                mime=mime,
                key=f"{key}_{name}_{image_format}",
                on_click="ignore",
                icon=":material/image:",
            )


def batch_curves(
    name: str, records: list[RunRecord], labels: list[str], colour: str, caption: str, series: tuple[str, ...]
) -> None:
    """Per-batch curves with a smoothing slider; `colour` "series" (one run, both curves) or "run" (several runs)."""
    from core.compare import batch_frame

    if not any(record.batches for record in records):
        st.caption(tr("cmp.no_batches"))
        return
    st.caption(caption)
    weight = st.slider(
        tr("cmp.smoothing"),
        0.0,
        0.99,
        0.6,
        0.01,
        key=f"smoothing_{name}",
        help=tr("cmp.smoothing_help"),
    )
    version = (tuple((r.run_id, len(r.batches), r.batch_stride) for r in records), tuple(labels), weight)
    texts = chart_texts()

    def build() -> list[alt.TopLevelMixin]:
        frame = batch_frame(records, labels, weight)
        frame = frame[frame["series"].isin(series)]
        return [charts.fill_width(charts.batch_chart(frame, metric, texts, colour=colour)) for metric in ("loss", "accuracy")]

    chart_columns(f"{name}-batches", version, build, count=2)


def epoch_table_and_downloads(record: RunRecord, finished: bool) -> None:
    table = epochs_table(record)
    st.dataframe(table, hide_index=True, column_config=table_columns(), width="stretch")
    if finished and record.epochs:
        left, right, _ = st.columns([1, 1, 3])
        left.download_button(
            tr("download.csv"),
            record_to_csv(record),
            f"{record.run_id}.csv",
            "text/csv",
            key=f"csv_{record.run_id}",
            on_click="ignore",
        )
        right.download_button(
            tr("download.json"),
            record_to_json(record),
            f"{record.run_id}.json",
            "application/json",
            key=f"json_{record.run_id}",
            on_click="ignore",
        )


def draw_method_run(snap: JobSnapshot, show_learning_rate: bool = False) -> None:
    """One method's run: live charts, then the table like the chapter's printout."""
    if not snap.records:
        return
    record = snap.records[-1]
    halving = record.settings.get("lr_halving_epoch") if record.method == "train_on_batch" else None
    planned = record.settings.get("epochs", len(record.epochs))
    st.caption(tr("epochs_finished" if record.epochs else "epochs_finished_first", done=len(record.epochs), planned=planned))
    version = (record.run_id, len(record.epochs), record.status)
    run_charts(record.method, version, [record], rule_epoch=halving, show_learning_rate=show_learning_rate)
    st.markdown(f"**{tr('cmp.batch_title')}**")
    caption = tr("cmp.batch_caption.train_on_batch" if record.method == "train_on_batch" else "cmp.batch_caption.other")
    batch_curves(record.method, [record], [record.label], "series", caption, ("reported", "mean"))
    epoch_table_and_downloads(record, finished=not snap.active)


def summary_table(summary: pd.DataFrame) -> None:
    """comparison_summary as a static table, headings in the session's language."""
    shown = summary.rename(columns={name: tr(key) for name, key in SUMMARY_COLUMNS.items()})
    accuracy = [tr(SUMMARY_COLUMNS[c]) for c in summary.columns if "accuracy" in c or "top-5" in c]
    seconds = [tr(SUMMARY_COLUMNS[c]) for c in ("seconds per epoch", "total seconds")]
    st.table(shown.style.format(precision=4, subset=accuracy).format(precision=1, subset=seconds).hide(axis="index"))
