"""What a page shows of runs: charts, the per-epoch table, downloads, the source that runs.

Each function draws from a `JobSnapshot` or from records; none trains.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import charts
from core.jobs import JobSnapshot
from core.records import RunRecord, epochs_table, record_to_csv, record_to_json, records_to_frame

TABLE_COLUMNS = {
    "epoch": st.column_config.NumberColumn("Epoch"),
    "loss": st.column_config.NumberColumn("Loss", format="%.4f"),
    "accuracy": st.column_config.NumberColumn("Accuracy", format="%.4f"),
    "top5_accuracy": st.column_config.NumberColumn("Top-5", format="%.4f"),
    "val_loss": st.column_config.NumberColumn("Val loss", format="%.4f"),
    "val_accuracy": st.column_config.NumberColumn("Val accuracy", format="%.4f"),
    "val_top5_accuracy": st.column_config.NumberColumn("Val top-5", format="%.4f"),
    "learning_rate": st.column_config.NumberColumn("Learning rate", format="%.6f"),
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
    "finished_at": st.column_config.TextColumn("Finished at"),
}


def show_source(function: Callable, title: str, expanded: bool = False) -> None:
    """The code shown is the code that runs: the real function's source, read at run time."""
    with st.expander(title, expanded=expanded):
        st.code(inspect.getsource(function), language="python")


def run_charts(records: list[RunRecord], rule_epoch: int | None = None, show_learning_rate: bool = False) -> None:
    frame = records_to_frame(records)
    st.altair_chart(charts.metric_chart(frame, rule_epoch=rule_epoch), width="stretch")
    if show_learning_rate:
        st.altair_chart(charts.learning_rate_chart(frame, rule_epoch), width="stretch")


def epoch_table_and_downloads(record: RunRecord, finished: bool) -> None:
    table = epochs_table(record)
    st.dataframe(table, hide_index=True, column_config=TABLE_COLUMNS, width="stretch")
    if finished and record.epochs:
        left, right, _ = st.columns([1, 1, 3])
        left.download_button(
            "Download CSV", record_to_csv(record), f"{record.run_id}.csv", "text/csv",
            key=f"csv_{record.run_id}", on_click="ignore",
        )
        right.download_button(
            "Download JSON", record_to_json(record), f"{record.run_id}.json", "application/json",
            key=f"json_{record.run_id}", on_click="ignore",
        )


def draw_method_run(snap: JobSnapshot, show_learning_rate: bool = False) -> None:
    """One method's run: live charts, then the table like the chapter's printout."""
    if not snap.records:
        return
    record = snap.records[-1]
    halving = record.settings.get("lr_halving_epoch") if record.method == "train_on_batch" else None
    planned = record.settings.get("epochs", len(record.epochs))
    st.caption(
        f"{len(record.epochs)} of {planned} epochs finished"
        + ("; the first point appears when the first epoch ends." if not record.epochs else ".")
    )
    run_charts([record], rule_epoch=halving, show_learning_rate=show_learning_rate)
    epoch_table_and_downloads(record, finished=not snap.active)


def comparison_summary(records: list[RunRecord]) -> pd.DataFrame:
    rows = []
    for record in records:
        if not record.epochs:
            continue
        best = max(record.epochs, key=lambda row: row.val_accuracy)
        seconds = [row.seconds for row in record.epochs]
        rows.append(
            {
                "run": record.label,
                "method": record.method,
                "status": record.status,
                "best val accuracy": best.val_accuracy,
                "epoch of best": best.epoch,
                "final val accuracy": record.epochs[-1].val_accuracy,
                "final val top-5": record.epochs[-1].val_top5_accuracy,
                "seconds per epoch": sum(seconds) / len(seconds),
                "total seconds": sum(seconds),
            }
        )
    return pd.DataFrame(rows)
