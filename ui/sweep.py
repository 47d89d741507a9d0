"""Compare's sweep: one setting varied over 2 to 5 values for one method, trained by one press, stoppable as a whole.

A sweep is a `core.runs.watch.Watch` over the swept settings, started through
`ui.live_run.training_controls` with its own page id ("sweep"): the same jobs,
server cap, queue and identical-run cache as any run, Train and Stop, and the
live view. It draws the runs' curves overlaid and final validation accuracy
against the swept value.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core import charts, methods
from core.budget import DataSize
from core.compare import MAX_SWEEP_VALUES, SWEEP_CHOICES, parse_sweep_value, sweep_results, sweep_settings, swept_setting
from core.data import PreparedData
from core.plain_text import markdown_literal
from core.runs.handle import JobSnapshot
from core.settings import RunSettings, SettingsError
from ui.budget import cost_line
from ui.i18n import tr
from ui.live_run import JOB_PAGE_KEY, RESULTS_KEY, live_view, training_controls
from ui.saved_runs import labelled, overlay_charts
from ui.views import chart_once_per_version, chart_texts, image_downloads

PAGE_ID = "sweep"
SWEPT_FIRST = "custom_loop"  # the method offered first: the one whose every line is on its page
# The values ticked first for each setting: the examples, three runs each.
DEFAULT_VALUES = {setting: list(values[:3]) for setting, values in SWEEP_CHOICES.items()}
DEFAULT_VALUES["learning_rate"] = [0.0005, 0.001, 0.003]


def _value_text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def sweep_values(setting: str) -> tuple[list[float | int], list[str]]:
    """The values ticked or typed for `setting`, as numbers, and a message per entry refused."""
    chosen = st.multiselect(
        tr("sweep.values"),
        list(SWEEP_CHOICES[setting]),
        default=DEFAULT_VALUES[setting],
        key=f"sweep_values_{setting}",
        max_selections=MAX_SWEEP_VALUES,
        accept_new_options=True,
        format_func=_value_text,
    )
    values, problems = [], []
    for entry in chosen:
        try:
            values.append(parse_sweep_value(setting, entry))
        except ValueError as error:
            # What the visitor typed is quoted as literal text: the message is Markdown.
            problems.append(tr("sweep.bad_value", value=markdown_literal(str(entry)[:40]), reason=markdown_literal(str(error))))
    return values, problems


def draw_sweep(snap: JobSnapshot, fallback_setting: str) -> None:
    """The sweep's runs overlaid, and final validation accuracy against the swept value."""
    records = [record for record in snap.records if record.epochs]
    if not records:
        return
    records = labelled(records)
    overlay_charts("sweep", records)
    setting = swept_setting(records) or fallback_setting
    title = tr(f"sweep.setting.{setting}")
    version = (tuple((r.run_id, r.label, len(r.epochs)) for r in records), setting)
    chart_once_per_version(
        "sweep-result",
        version,
        lambda: charts.fill_width(
            charts.sweep_chart(sweep_results(records, setting), title, setting == "learning_rate", chart_texts())
        ),
        shared=True,
    )
    if not snap.active:
        image_downloads([("sweep-result", tr("chart.cmp.final_val_accuracy"))], key="sweep_image")


def sweep_section(settings: RunSettings, data: PreparedData) -> None:
    st.subheader(tr("sweep.title"))
    st.markdown(tr("sweep.intro"))
    left, right = st.columns(2)
    choices = methods.names()
    method = left.selectbox(
        tr("sweep.method"), choices, index=choices.index(SWEPT_FIRST), format_func=lambda m: tr(f"method.{m}"), key="sweep_method"
    )
    setting = right.selectbox(
        tr("sweep.setting"), list(SWEEP_CHOICES), format_func=lambda s: tr(f"sweep.setting.{s}"), key="sweep_setting"
    )
    values, problems = sweep_values(setting)
    try:
        settings_list = sweep_settings(settings, method, setting, values)
    except SettingsError as error:
        problems.append(markdown_literal(str(error)))
        settings_list = []
    others = ", ".join(
        f"{tr(f'sweep.setting.{key}')} {_value_text(getattr(settings, key))}" for key in SWEEP_CHOICES if key != setting
    )
    st.caption(tr("sweep.base", settings=others))
    if problems:
        st.error(tr("sweep.invalid", problems="; ".join(problems)), icon=":material/block:")
        return
    cost_line(settings_list, DataSize.of(data))  # the sweep's total: Train refuses it when over
    training_controls(PAGE_ID, settings_list, data, label=tr("sweep.train"))
    if st.session_state.get(JOB_PAGE_KEY) != PAGE_ID and PAGE_ID not in st.session_state.get(RESULTS_KEY, {}):
        # No sweep yet: the comparison's live view above already says when a job trains on another page.
        st.info(tr("sweep.empty"), icon=":material/play_circle:")
        return
    live_view(PAGE_ID, partial(draw_sweep, fallback_setting=setting), empty_hint=tr("sweep.empty"))
