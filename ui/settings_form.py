"""The sidebar settings that build the one RunSettings every page trains with, and the link that shares it.

The settings live in `st.session_state["settings"]`, so they follow the user
from page to page; `core.settings.RunSettings.validate` judges them, and its
messages are shown as they are. On a session's first run, settings named in
the address (`?epochs=5&max_len=200…`, see `core.links`) seed them, invalid
ones are named in a notice and dropped; once settings are applied (or came
from a link), the address carries them, so copying it shares them.
"""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from core.i18n import LANGUAGES
from core.links import LINK_FIELDS, settings_from_query, settings_to_query
from core.settings import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_MAX_LEN, MIN_MAX_LEN, RunSettings, SettingsError
from ui.i18n import URL_LANGUAGE, language_picker, tr

SETTINGS_KEY = "settings"
LINK_READ_KEY = "link_read"  # the address was read once, on the session's first run
LINK_IGNORED_KEY = "link_ignored"  # names of the link's invalid settings, until the sidebar has shown them
SETTINGS_IN_URL_KEY = "settings_in_url"  # the address carries the settings from now on
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
        st.session_state[SETTINGS_KEY] = settings
        st.session_state[SETTINGS_IN_URL_KEY] = True
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


def _widget_settings(applied: RunSettings) -> RunSettings:
    """The settings the sidebar's widgets show now (applied or not); a widget not drawn yet shows the applied value."""
    shown = {field: st.session_state.get(key, _widget_value(applied, field)) for field, key in WIDGET_KEYS.items()}
    return replace(
        applied,
        epochs=int(shown["epochs"]),
        batch_size=int(shown["batch_size"]),
        max_len=int(shown["max_len"]),
        learning_rate=float(shown["learning_rate"]),
        seed=int(shown["seed"]),
        lr_halving_epoch=_optional(int(shown["lr_halving_epoch"])),
        early_stopping_patience=_optional(int(shown["early_stopping_patience"])),
        reduce_lr_patience=_optional(int(shown["reduce_lr_patience"])),
        steps_per_execution=int(shown["steps_per_execution"]),
    )


def _widget_value(settings: RunSettings, field: str) -> int | float:
    value = getattr(settings, field)
    return 0 if value is None else value  # the number boxes show "off" as 0


def pending_changes() -> list[str]:
    """Names of the settings changed in the sidebar but not applied: a run would not use them."""
    applied = current_settings()
    shown = _widget_settings(applied)
    return [
        field for field in WIDGET_KEYS
        if not math.isclose(_widget_value(shown, field), _widget_value(applied, field), rel_tol=1e-9, abs_tol=0.0)
    ]


def pending_notice(container=st) -> None:
    """Say so when the sidebar shows settings that a run would not use."""
    changed = pending_changes()
    if changed:
        container.warning(
            tr("settings.pending", fields=", ".join(f"`{name}`" for name in changed)), icon=":material/pending:"
        )


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
    settings = current_settings()
    with st.sidebar.container(border=True, key="settings_panel"):
        st.markdown(tr("settings.heading"))
        st.number_input(tr("settings.epochs"), 1, MAX_EPOCHS, settings.epochs, key="set_epochs")
        st.number_input(tr("settings.batch"), 1, MAX_BATCH_SIZE, settings.batch_size, key="set_batch")
        st.number_input(
            tr("settings.max_len"), MIN_MAX_LEN, MAX_MAX_LEN, settings.max_len, step=10, key="set_max_len",
            help=tr("settings.max_len_help"),
        )
        st.number_input(tr("settings.lr"), 1e-6, 1.0, settings.learning_rate, step=1e-4, format="%.5f", key="set_lr")
        st.number_input(tr("settings.seed"), 0, 2**31 - 1, settings.seed, key="set_seed", help=tr("settings.seed_help"))
        with st.expander(tr("settings.options")):
            st.number_input(tr("settings.halving"), 0, MAX_EPOCHS, settings.lr_halving_epoch or 0, key="set_halving")
            st.number_input(
                tr("settings.early"), 0, MAX_EPOCHS, settings.early_stopping_patience or 0,
                key="set_early", help=tr("settings.early_help"),
            )
            st.number_input(
                tr("settings.plateau"), 0, MAX_EPOCHS, settings.reduce_lr_patience or 0,
                key="set_plateau", help=tr("settings.plateau_help"),
            )
            st.number_input(
                tr("settings.steps"), 1, 256, settings.steps_per_execution, key="set_steps", help=tr("settings.steps_help"),
            )
        submitted = st.button(tr("settings.apply"), type="primary", key="apply_settings")
        if submitted:
            try:
                st.session_state[SETTINGS_KEY] = _widget_settings(settings).validate()
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
