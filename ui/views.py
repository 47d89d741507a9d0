"""What a page shows of runs: charts, the per-epoch table, per-batch curves, downloads, the source that runs.

Each function draws from a `JobSnapshot` or from records; none trains. Chart
words come from the catalogue (`chart_texts`), so charts follow the session's language.

A live view reruns in every watching page, so its work is shared (issue 20). Measured in
process (AppTest sessions redrawing one run's view, thread CPU of the drawing alone): a tick
cost 390 ms per viewer when every session built its own specs while the per-batch curve grew,
and 33 ms when nothing changed; with the specs and the table built once per run, version and
language for all sessions (`SHARED_SPECS`, Arrow data included) and the per-batch curves paced,
a figures tick costs 12.5 ms per viewer and a progress tick 0.5 ms. What is left per viewer is
Streamlit's own: each element's message is built, serialised and hashed again per session.
Left aside: a spec cached per session (the old way, measured above: every session builds it once
per version, and the per-batch curve's version changed every batch); Vega data sets updated in
place (Streamlit has no such API, and `add_rows` is against the house style); `st.altair_chart` on
a shared chart object (read in Streamlit's source: it converts and validates the spec on every call).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from core import charts, methods
from core.compare import comparison_summary  # noqa: F401 - the page draws it through this module
from core.records import RunRecord, epochs_table, record_to_csv, record_to_json, records_to_frame
from core.runs.handle import JobSnapshot
from core.shared import BuiltOnce, Pacer
from core.states import RunStatus
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

    return {m: tr(f"cmp.method.{m}") for m in methods.names()}, {k: tr(f"cmp.setting.{k}") for k in LABEL_SETTINGS}


# Specs of the charts that many sessions show (a run's curves at some progress, in one language), built once per
# process: thirty viewers of one run cost one build per run and version, not thirty. ~3 charts per view, a few
# views per run, a few runs at once.
SHARED_SPECS = BuiltOnce(capacity=256)


def sendable(spec: dict) -> dict:
    """The spec with its data sets already in Arrow, as st.vega_lite_chart would otherwise convert them on every call.

    Converted once here, each session's call only copies the bytes into its message. Text columns
    go as Arrow dictionaries (each run label or curve name once, not once per row), whole numbers
    that fit as 32-bit integers, and without pandas' description of the frame (a kilobyte per data
    set, which the browser's Vega does not read) or its index: the browser reads the same values,
    and a live per-batch chart weighs 7 kB instead of 25 kB.
    """
    import numpy as np
    import pyarrow as pa
    from streamlit import dataframe_util

    datasets = spec.get("datasets")
    if not datasets:
        return spec
    sendable = {}
    for name, rows in datasets.items():
        frame = pd.DataFrame(rows)
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_string_dtype(values) and values.notna().any() and values.nunique() < len(values):
                frame[column] = frame[column].astype("category")
            elif pd.api.types.is_integer_dtype(values) and values.between(np.iinfo(np.int32).min, np.iinfo(np.int32).max).all():
                frame[column] = values.astype("int32")
        table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        sendable[name] = dataframe_util.convert_arrow_table_to_arrow_bytes(table)
    return {**spec, "datasets": sendable}


def chart_once_per_version(name: str, version: Hashable, build: Callable[[], alt.TopLevelMixin], shared: bool = False) -> None:
    """Draw a chart, rebuilding its Vega-Lite spec only when `version` changes.

    Building and validating an Altair spec costs ~0.1 s of CPU under the GIL;
    the live view reruns every second in every watching session, so rebuilding
    each time would steal that time from the training threads. Between epochs
    nothing on the chart changes, so the spec is reused as it is. With `shared`,
    `name` and `version` must say everything the chart depends on (run ids,
    epoch counts, labels): the spec is then built once per process and language
    for every session that draws it (`SHARED_SPECS`); otherwise once per session.
    """
    specs = st.session_state.setdefault("chart_specs", {})
    version = (version, current_language())  # a language switch redraws every word
    cached = specs.get(name)
    if cached is None or cached[0] != version:

        def made() -> tuple[dict, dict]:
            spec = build().to_dict()
            return spec, sendable(spec)

        cached = (version, *(SHARED_SPECS.get((name, version), made) if shared else made()))
        specs[name] = cached
    # A copy of the top level only: Streamlit takes the data sets out of the dict it is given.
    st.vega_lite_chart(spec=dict(cached[2]), width="stretch")


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
    chart_columns(
        f"{name}-metrics",
        version,
        lambda: charts.as_separate_panels(charts.metric_chart(records_to_frame(records), rule_epoch=rule_epoch, texts=texts)),
        count=len(charts.METRIC_TITLES),
    )
    if show_learning_rate:
        chart_once_per_version(
            f"{name}-lr", version, lambda: charts.learning_rate_chart(records_to_frame(records), rule_epoch, texts), shared=True
        )


def chart_columns(name: str, version: Hashable, build: Callable[[], list[alt.TopLevelMixin]], count: int = 3) -> list[str]:
    """`count` charts side by side, one per column (stacked on a phone); built once per version and process.

    `name` and `version` must say everything the charts depend on (see chart_once_per_version). Returns their names.
    """
    built: list[alt.TopLevelMixin] = []

    def panel(index: int) -> alt.TopLevelMixin:
        if not built:  # all of them at once, and only when the version moved
            built.extend(build())
        return built[index]

    names = [f"{name}-{index}" for index in range(count)]
    for index, column in enumerate(st.columns(count)):
        with column:
            chart_once_per_version(names[index], version, lambda index=index: panel(index), shared=True)
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


# While a run trains, its per-batch curves grow at every batch: redrawn at each tick they would be rebuilt for
# every batch and re-sent whole to every viewer each second (94% of the bytes a viewer received, issue 20).
# Live, they are redrawn at most every LIVE_BATCH_SECONDS, from the points published then (the same for every
# viewer, so built once), with at most LIVE_BATCH_POINTS steps per run; smoothing runs over every point first,
# so the smoothed line passes through the same values as the full one. Once the run ends, every point is drawn.
LIVE_BATCH_SECONDS = 15.0
LIVE_BATCH_POINTS = 100
BATCH_PACE = Pacer(LIVE_BATCH_SECONDS)  # one per process, as SHARED_SPECS; a test gives each case a fresh one


def _paced_batches(record: RunRecord) -> RunRecord:
    """A running record's per-batch points as last published for all viewers (at most LIVE_BATCH_SECONDS old)."""
    if record.status != RunStatus.RUNNING:
        return record
    stride, count = BATCH_PACE.value(
        record.run_id,
        (record.batch_stride, len(record.batches)),
        # Points thinned to a longer stride are a new curve: published at once.
        extends=lambda old, new: old[0] == new[0] and old[1] <= new[1],
    )
    return replace(record, batches=record.batches[:count])


def _thinned(frame: pd.DataFrame, most: int) -> pd.DataFrame:
    """At most about `most` steps per run: every k-th step and the last, so the curve keeps its ends."""
    if frame.empty:
        return frame
    order = frame.groupby("run")["step"].rank(method="dense").astype("int64")
    count = order.groupby(frame["run"]).transform("max")
    every = -(-count // most)  # ceil
    return frame[((order - 1) % every == 0) | (order == count)]


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
    live = any(record.status == RunStatus.RUNNING for record in records)
    if live:
        records = [_paced_batches(record) for record in records]
    version = (tuple((r.run_id, len(r.batches), r.batch_stride, r.status) for r in records), tuple(labels), weight)
    texts = chart_texts()

    def build() -> list[alt.TopLevelMixin]:
        frame = batch_frame(records, labels, weight)
        frame = frame[frame["series"].isin(series)]
        if live:
            frame = _thinned(frame, LIVE_BATCH_POINTS)
        return [charts.fill_width(charts.batch_chart(frame, metric, texts, colour=colour)) for metric in ("loss", "accuracy")]

    chart_columns(f"{name}-batches", version, build, count=2)


def epoch_table_and_downloads(record: RunRecord, finished: bool) -> None:
    from streamlit import dataframe_util

    # Built once per run and epoch count for every viewer, already in Arrow: converting the frame again
    # in each watching session was a third of a live tick's CPU. The headings are the session's own.
    key = ("epochs-table", record.run_id, len(record.epochs), record.status)
    table = SHARED_SPECS.get(key, lambda: dataframe_util.convert_pandas_df_to_arrow_table(epochs_table(record)))
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
    entry = methods.method(record.method)
    halving = record.settings.get("lr_halving_epoch") if entry.halves_learning_rate else None
    planned = record.settings.get("epochs", len(record.epochs))
    st.caption(tr("epochs_finished" if record.epochs else "epochs_finished_first", done=len(record.epochs), planned=planned))
    version = (record.run_id, len(record.epochs), record.status)
    run_charts(record.method, version, [record], rule_epoch=halving, show_learning_rate=show_learning_rate)
    st.markdown(f"**{tr('cmp.batch_title')}**")
    caption = tr("cmp.batch_caption.train_on_batch" if entry.reports_single_batches else "cmp.batch_caption.other")
    batch_curves(record.method, [record], [record.label], "series", caption, ("reported", "mean"))
    epoch_table_and_downloads(record, finished=not snap.active)


def summary_table(summary: pd.DataFrame) -> None:
    """comparison_summary as a static table, headings in the session's language."""
    shown = summary.rename(columns={name: tr(key) for name, key in SUMMARY_COLUMNS.items()})
    accuracy = [tr(SUMMARY_COLUMNS[c]) for c in summary.columns if "accuracy" in c or "top-5" in c]
    seconds = [tr(SUMMARY_COLUMNS[c]) for c in ("seconds per epoch", "total seconds")]
    st.table(shown.style.format(precision=4, subset=accuracy).format(precision=1, subset=seconds).hide(axis="index"))
