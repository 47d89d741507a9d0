"""The Compare page: every method trained with identical settings, a sweep, then your (or your class's) runs.

ui/navigation.py declares `compare_page` as the page at /compare. Modules that bring pandas, Altair and
TensorFlow are imported after the title, so the page paints at once on a fresh server.
"""

from __future__ import annotations

import streamlit as st

from core import methods
from ui.i18n import tr
from ui.settings_form import current_settings, pending_notice


def draw_comparison(snap) -> None:
    """The live comparison: the methods' curves overlaid (one panel per metric), then their summary table."""
    from ui.saved_runs import labelled, overlay_charts
    from ui.views import comparison_summary, summary_table

    if not any(r.epochs for r in snap.records):
        st.caption(tr("compare.first_points"))
    overlay_charts("compare-live", labelled(snap.records))
    summary = comparison_summary(snap.records)
    if not summary.empty:
        summary_table(summary)


def compare_page() -> None:
    st.title(methods.numbered(methods.compare_number(), tr("compare.title")))
    st.markdown(tr("compare.intro"))
    from core.budget import DataSize
    from ui.budget import cost_line
    from ui.data_source import dataset_or_panel
    from ui.learned import compare_learned_panel
    from ui.live_run import job_active_on, live_view, training_controls
    from ui.saved_runs import saved_runs_section
    from ui.sweep import sweep_section

    settings = current_settings()
    data = dataset_or_panel(settings.max_len)
    if data is not None:
        comparison = [settings.with_method(m) for m in methods.names()]
        cost_line(comparison, DataSize.of(data))  # the runs' total
        pending_notice()
        training_controls("compare", comparison, data, label=tr("run.train_all"))
        live_view("compare", draw_comparison, empty_hint=tr("compare.empty"))
        # Outside the live fragment, and not while the comparison trains.
        if not job_active_on("compare"):
            compare_learned_panel()
        sweep_section(settings, data)
    saved_runs_section()
