"""The body every method page shares: intro, the real source, Train/Stop, the live run."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from ui.data_source import dataset_or_panel
from ui.live_run import live_view, training_controls
from ui.settings_form import current_settings
from ui.views import draw_method_run, show_source


def method_page(
    method: str,
    title: str,
    intro: str,
    sources: list[tuple[Callable, str]],
    show_learning_rate: bool = False,
) -> None:
    settings = current_settings().with_method(method)
    st.title(title)
    st.markdown(intro)
    for position, (function, caption) in enumerate(sources):
        show_source(function, caption, expanded=position == 0)
    data = dataset_or_panel(settings.max_len)
    if data is None:
        return
    st.caption(
        f"{settings.epochs} epochs · batch {settings.batch_size} · max_len {settings.max_len} · "
        f"learning rate {settings.learning_rate:g} · seed {settings.seed} — change them in the sidebar."
    )
    training_controls(method, [settings], data)
    live_view(
        method,
        partial(draw_method_run, show_learning_rate=show_learning_rate),
        empty_hint="Press **Train**: a point appears on the charts at the end of every epoch.",
    )
