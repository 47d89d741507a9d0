"""A method's page, one body for every method: intro, Train/Stop and the live run, what the model learned, the real source.

What differs per method comes from its registry entry (core/methods.py): its
title and intro, the sources it shows, whether it shows the learning rate.
The registry names the sources instead of importing them: the trainers' module
imports TensorFlow, seconds on a fresh server, so it is imported here after
the title and intro are on the page, behind a short "Loading TensorFlow"
status; the modules that bring pandas and Altair are imported after the title too.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core import methods
from ui.i18n import tr
from ui.settings_form import current_settings, pending_notice


def method_page(method: str) -> None:
    """The page of `method`, a name in the registry (its URL path)."""
    entry = methods.method(method)
    settings = current_settings().with_method(method)
    st.title(methods.numbered(methods.number(method), tr(f"{method}.title")))
    st.markdown(tr(f"{method}.intro"))
    # Imported after the title and intro are on the page: pandas and Altair take a moment on a fresh server.
    from core.budget import DataSize
    from ui.budget import cost_line
    from ui.data_source import dataset_or_panel
    from ui.learned import learned_panel
    from ui.live_run import job_active_on, live_view, prepare_ahead, training_controls
    from ui.run_files import callbacks_that_ran, logging_choice
    from ui.take_away import page_records
    from ui.views import draw_method_run, show_source

    with st.spinner(tr("home.loading_tf")):
        module = methods.source_module(entry)  # TensorFlow: seconds on a fresh server, so after the title
    data = dataset_or_panel(settings.max_len)
    if data is not None:
        settings = logging_choice(settings)  # fit: its logging callbacks, chosen on the page (ui.run_files)
        # The action first: what a run will use, Train and Stop, the progress and the live chart.
        st.caption(
            tr(
                "method_page.settings_line",
                epochs=settings.epochs,
                batch=settings.batch_size,
                max_len=settings.max_len,
                lr=f"{settings.learning_rate:g}",
                seed=settings.seed,
            )
        )
        cost_line([settings], DataSize.of(data))  # what Train will cost, before Train
        pending_notice()
        training_controls(method, [settings], data)
        prepare_ahead(settings, data)  # so Train answers at once: the model is built and traced while the visitor reads
        live_view(
            method,
            partial(draw_method_run, show_learning_rate=entry.halves_learning_rate),
            empty_hint=tr("method_page.empty"),
        )
        # Outside the live fragment, and not while this page's run trains: predictions are never redone per refresh.
        if not job_active_on(method):
            callbacks_that_ran(page_records(method))
            learned_panel(method)
    # Then the lesson: the real source of what the Train button runs.
    st.subheader(tr("method_page.code_title"))
    for position, (name, caption) in enumerate(entry.sources):
        show_source(getattr(module, name), tr(f"source.{method}.{caption}"), expanded=position == 0)
