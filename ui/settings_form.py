"""The sidebar settings that build the one RunSettings every page trains with, and the link that shares it.

The settings live in `st.session_state["settings"]`, so they follow the user
from page to page; `core.settings.RunSettings.validate` judges them, and its
messages are shown as they are. On a session's first run, settings named in
the address (`?epochs=5&max_len=200…`, see `core.links`) seed them, invalid
ones are named in a notice and dropped; once settings are applied (or came
from a link), the address carries them, so copying it shares them. Settings
that are each valid but together cost more than the server allows
(`core.budget`) are not applied, from a link or from Apply, and the message
names the setting to lower.
"""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from core.budget import check_settings, limits_from_environment
from core.i18n import LANGUAGES
from core.links import LINK_FIELDS, settings_from_query, settings_to_query
from core.settings import (
    CHOSEN_FIELDS,
    MAX_LEARNING_RATE,
    OPTIONAL_FIELDS,
    SMALLEST_LEARNING_RATE_OFFERED,
    WHOLE_BOUNDS,
    RunSettings,
    SettingsError,
)
from ui.budget import refusal_text
from ui.i18n import URL_LANGUAGE, language_picker, tr

SETTINGS_KEY = "settings"
LINK_READ_KEY = "link_read"  # the address was read once, on the session's first run
LINK_IGNORED_KEY = "link_ignored"  # names of the link's invalid settings, until the sidebar has shown them
SETTINGS_IN_URL_KEY = "settings_in_url"  # the address carries the settings from now on
LINK_REFUSED_KEY = "link_over_budget"  # core.budget.Refusal of a link whose settings cost too much, until shown
# RunSettings field -> the key of its sidebar widget.
WIDGET_KEYS = {
    "epochs": "set_epochs",
    "batch_size": "set_batch",
    "max_len": "set_max_len",
    "learning_rate": "set_lr",
    "seed": "set_seed",
    "lr_halving_epoch": "set_halving",
    "early_stopping_patience": "set_early",
    "reduce_lr_patience": "set_plateau",
    "steps_per_execution": "set_steps",
}


# RunSettings field -> the catalogue keys of its box's label and help (None: no help).
WIDGET_TEXTS = {
    "epochs": ("settings.epochs", None),
    "batch_size": ("settings.batch", None),
    "max_len": ("settings.max_len", "settings.max_len_help"),
    "learning_rate": ("settings.lr", None),
    "seed": ("settings.seed", "settings.seed_help"),
    "lr_halving_epoch": ("settings.halving", None),
    "early_stopping_patience": ("settings.early", "settings.early_help"),
    "reduce_lr_patience": ("settings.plateau", "settings.plateau_help"),
    "steps_per_execution": ("settings.steps", "settings.steps_help"),
}
assert set(WIDGET_KEYS) == set(WIDGET_TEXTS) == set(CHOSEN_FIELDS), "every chosen setting has one box"


def current_settings() -> RunSettings:
    if SETTINGS_KEY not in st.session_state:
        st.session_state[SETTINGS_KEY] = RunSettings()
    # Read here too, not only in the sidebar: a page can run before (or without) the sidebar.
    settings_from_link()
    return st.session_state[SETTINGS_KEY]


def _optional(value: int) -> int | None:
    return value or None  # 0 in a number box means "off"


def settings_from_link() -> None:
    """Once per session: apply the address's settings; keep the names of those ignored for the notice."""
    if st.session_state.get(LINK_READ_KEY):
        return
    st.session_state[LINK_READ_KEY] = True
    query = st.query_params.to_dict()
    ignored: list[str] = []
    if any(name in query for name in LINK_FIELDS):
        settings, ignored = settings_from_query(query, st.session_state.get(SETTINGS_KEY) or RunSettings())
        refusal = check_settings(settings, limits_from_environment())
        if refusal is None:
            st.session_state[SETTINGS_KEY] = settings
            st.session_state[SETTINGS_IN_URL_KEY] = True
        else:
            # Each value is valid, together they cost more than this server allows: none is applied, and
            # the address loses them, so it never shows settings the page does not use.
            st.session_state[LINK_REFUSED_KEY] = refusal
            for name in LINK_FIELDS:
                st.query_params.pop(name, None)
    if URL_LANGUAGE in query and query[URL_LANGUAGE] not in LANGUAGES:
        ignored.append(URL_LANGUAGE)
        del st.query_params[URL_LANGUAGE]
    if ignored:
        st.session_state[LINK_IGNORED_KEY] = ignored


def settings_to_link(settings: RunSettings) -> None:
    """Write the settings into the address (only the parameters that changed)."""
    if not st.session_state.get(SETTINGS_IN_URL_KEY):
        return
    for name, value in settings_to_query(settings).items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def number_box(name: str, settings: RunSettings, **options) -> None:
    """The sidebar's number box for one RunSettings field, bounded as core.settings bounds it."""
    label_key, help_key = WIDGET_TEXTS[name]
    if name == "learning_rate":
        low, high = SMALLEST_LEARNING_RATE_OFFERED, MAX_LEARNING_RATE
    else:
        low, high = WHOLE_BOUNDS[name]
        low = 0 if name in OPTIONAL_FIELDS else low  # 0 in the box means "off"
    st.number_input(
        tr(label_key),
        low,
        high,
        _widget_value(settings, name),
        key=WIDGET_KEYS[name],
        help=tr(help_key) if help_key else None,
        **options,
    )


def _widget_settings(applied: RunSettings) -> RunSettings:
    """The settings the sidebar's widgets show now (applied or not); a widget not drawn yet shows the applied value."""
    shown = {field: st.session_state.get(key, _widget_value(applied, field)) for field, key in WIDGET_KEYS.items()}
    values = {}
    for field, value in shown.items():
        if field == "learning_rate":
            values[field] = float(value)
        elif field in OPTIONAL_FIELDS:
            values[field] = _optional(int(value))
        else:
            values[field] = int(value)
    return replace(applied, **values)


def _widget_value(settings: RunSettings, field: str) -> int | float:
    value = getattr(settings, field)
    return 0 if value is None else value  # the number boxes show "off" as 0


def pending_changes() -> list[str]:
    """Names of the settings changed in the sidebar but not applied: a run would not use them."""
    applied = current_settings()
    shown = _widget_settings(applied)
    return [
        field
        for field in WIDGET_KEYS
        if not math.isclose(_widget_value(shown, field), _widget_value(applied, field), rel_tol=1e-9, abs_tol=0.0)
    ]


def pending_notice(container=st) -> None:
    """Say so when the sidebar shows settings that a run would not use."""
    changed = pending_changes()
    if changed:
        container.warning(tr("settings.pending", fields=", ".join(f"`{name}`" for name in changed)), icon=":material/pending:")


def settings_sidebar() -> RunSettings:
    """Draw the language switch and the settings; on Apply, validate and keep them; say when some are not applied.

    No st.form: a form's widgets reach the server only on submit, so the
    page could not tell that the values shown are not the ones it trains with.
    Each change reruns the script (cheap: the live views are fragments), and
    the notice under the Apply button names what is changed but not applied.
    """
    settings_from_link()
    ignored = st.session_state.pop(LINK_IGNORED_KEY, None)
    language_picker()
    if ignored:
        notice = tr("settings.link_ignored", keys=", ".join(ignored))
        st.toast(notice, icon=":material/link_off:")
        st.sidebar.info(notice, icon=":material/link_off:")
    over_budget = st.session_state.pop(LINK_REFUSED_KEY, None)
    if over_budget is not None:
        notice = tr("budget.link_refused", reason=refusal_text(over_budget))
        st.toast(notice, icon=":material/block:")
        st.sidebar.error(notice, icon=":material/block:")
    settings = current_settings()
    with st.sidebar.container(border=True, key="settings_panel"):
        st.markdown(tr("settings.heading"))
        number_box("epochs", settings)
        number_box("batch_size", settings)
        number_box("max_len", settings, step=10)
        number_box("learning_rate", settings, step=1e-4, format="%.5f")
        number_box("seed", settings)
        with st.expander(tr("settings.options")):
            for name in ("lr_halving_epoch", "early_stopping_patience", "reduce_lr_patience", "steps_per_execution"):
                number_box(name, settings)
        submitted = st.button(tr("settings.apply"), type="primary", key="apply_settings")
        if submitted:
            try:
                chosen = _widget_settings(settings).validate()
                refusal = check_settings(chosen, limits_from_environment())
                if refusal is not None:
                    st.error(refusal_text(refusal), icon=":material/block:")
                else:
                    st.session_state[SETTINGS_KEY] = chosen
                    st.session_state[SETTINGS_IN_URL_KEY] = True
                    st.success(tr("settings.applied"))
                    st.caption(tr("settings.link_caption"))
            except SettingsError as error:
                for problem in error.problems:
                    st.error(problem)
        pending_notice()
    if st.sidebar.button(tr("settings.reset"), key="reset_settings"):
        st.session_state[SETTINGS_KEY] = RunSettings()
        st.session_state[SETTINGS_IN_URL_KEY] = False
        for name in LINK_FIELDS:
            st.query_params.pop(name, None)
        for key in [k for k in st.session_state if str(k).startswith("set_")]:
            del st.session_state[key]
        st.rerun()
    settings_to_link(current_settings())
    return current_settings()
