"""Compare: the three methods with identical settings, their models on one newswire, your (or your class's) saved runs, the book's curves."""

import streamlit as st

import ui.routed  # noqa: F401 - importing it routes a fresh server's first request through app.py
from core import charts
from core.jobs import JobSnapshot
from core.records import records_to_frame
from core.settings import METHODS
from ui.data_source import dataset_or_panel
from ui.i18n import tr
from ui.learned import compare_learned_panel
from ui.saved_runs import saved_runs_section
from ui.live_run import job_active_on, live_view, training_controls
from ui.settings_form import current_settings
from ui.views import chart_once_per_version, comparison_summary, summary_table

st.title(tr("compare.title"))
st.markdown(tr("compare.intro"))

settings = current_settings()
data = dataset_or_panel(settings.max_len)
if data is not None:
    training_controls("compare", [settings.with_method(m) for m in METHODS], data, label=tr("run.train_all"))

    def draw(snap: JobSnapshot) -> None:
        records = [r for r in snap.records if r.epochs]
        if not records:
            st.caption(tr("compare.first_points"))
        version = tuple((r.run_id, len(r.epochs), r.status) for r in snap.records)
        chart_once_per_version("compare-live", version, lambda: charts.comparison_chart(records_to_frame(snap.records)))
        summary = comparison_summary(snap.records)
        if not summary.empty:
            summary_table(summary)

    live_view("compare", draw, empty_hint=tr("compare.empty"))
    # Outside the live fragment, and not while the comparison trains.
    if not job_active_on("compare"):
        compare_learned_panel()

saved_runs_section()
