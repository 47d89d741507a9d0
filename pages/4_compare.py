"""Compare: the three methods with identical settings, saved runs, and the book's curves."""

import pandas as pd
import streamlit as st

from core import charts
from core.jobs import JobSnapshot
from core.records import list_records, records_to_frame
from core.reference import reference_frame
from core.settings import METHODS
from ui.data_source import dataset_or_panel
from ui.live_run import live_view, training_controls
from ui.settings_form import current_settings
from ui.views import chart_once_per_version, comparison_summary

st.title("4 · Compare the three methods")
st.markdown(
    """
One job trains `fit`, the `train_on_batch` loop and the custom loop one after the
other, **with identical settings**: the same initial weights and the same batches in
the same order. With the learning-rate halving off (*Method options* → 0), `fit` and
the custom loop trace the same curve, because they do the same math; the batch loop
differs only by its learning-rate schedule. Below, overlay runs saved earlier and the
curves printed in the book the app is built from.
"""
)

settings = current_settings()
data = dataset_or_panel(settings.max_len)
if data is not None:
    training_controls("compare", [settings.with_method(m) for m in METHODS], data, label="Train all three")

    def draw(snap: JobSnapshot) -> None:
        records = [r for r in snap.records if r.epochs]
        if not records:
            st.caption("The first points appear when the first epoch ends.")
        version = tuple((r.run_id, len(r.epochs), r.status) for r in snap.records)
        chart_once_per_version("compare-live", version, lambda: charts.comparison_chart(records_to_frame(snap.records)))
        summary = comparison_summary(snap.records)
        if not summary.empty:
            st.table(summary.style.format(precision=4, subset=[c for c in summary.columns if "accuracy" in c]).format(precision=1, subset=["seconds per epoch", "total seconds"]).hide(axis="index"))

    live_view("compare", draw, empty_hint="Press **Train all three** to run the methods one after the other.")

st.subheader("Overlay saved runs and the book")
saved, problems = list_records()
for problem in problems:
    st.warning(problem)
labels = {f"{r.label} · {r.status} · {len(r.epochs)} epochs · {r.run_id}": r for r in saved if r.epochs}
chosen = st.multiselect("Saved runs (this session's and earlier ones)", list(labels), key="overlay_runs")
with_book = st.toggle("The book's printed curves (TF 2.1)", value=True, key="overlay_book")
frames = [records_to_frame([labels[name] for name in chosen])]
if with_book:
    frames.append(reference_frame())
overlay = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else frames[0]
chart_once_per_version("compare-overlay", (tuple(chosen), with_book), lambda: charts.comparison_chart(overlay))
if with_book:
    st.caption(
        "The book's train_on_batch train figures are plotted as printed: its last batch only (22 newswires), "
        "not the epoch. Its custom loop printed no top-5, so those points are missing rather than invented."
    )
