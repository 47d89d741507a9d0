"""The sidebar form that builds the one RunSettings every page trains with, and the link that shares it.

The settings live in `st.session_state["settings"]`, so they follow the user
from page to page; `core.settings.RunSettings.validate` judges them, and its
messages are shown as they are. On a session's first run, settings named in
the address (`?epochs=5&max_len=200…`, see `core.links`) seed them, invalid
ones are named in a notice and dropped; once settings are applied (or came
from a link), the address carries them, so copying it shares them.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import LANGUAGES
from core.links import LINK_FIELDS, settings_from_query, settings_to_query
from core.settings import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_MAX_LEN, MIN_MAX_LEN, RunSettings, SettingsError
from ui.i18n import URL_LANGUAGE, language_picker, tr

SETTINGS_KEY = "settings"
LINK_READ_KEY = "link_read"  # the address was read once, on the session's first run
LINK_IGNORED_KEY = "link_ignored"  # names of the link's invalid settings, until the sidebar has shown them
SETTINGS_IN_URL_KEY = "settings_in_url"  # the address carries the settings from now on


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


def settings_sidebar() -> RunSettings:
    """Draw the language switch and the form; on submit, validate and keep the new settings."""
    settings_from_link()
    ignored = st.session_state.pop(LINK_IGNORED_KEY, None)
    language_picker()
    if ignored:
        notice = tr("settings.link_ignored", keys=", ".join(ignored))
        st.toast(notice, icon=":material/link_off:")
        st.sidebar.info(notice, icon=":material/link_off:")
    settings = current_settings()
    with st.sidebar.form("settings_form"):
        st.markdown(tr("settings.heading"))
        epochs = st.number_input(tr("settings.epochs"), 1, MAX_EPOCHS, settings.epochs, key="set_epochs")
        batch_size = st.number_input(tr("settings.batch"), 1, MAX_BATCH_SIZE, settings.batch_size, key="set_batch")
        max_len = st.number_input(
            tr("settings.max_len"), MIN_MAX_LEN, MAX_MAX_LEN, settings.max_len, step=10, key="set_max_len",
            help=tr("settings.max_len_help"),
        )
        learning_rate = st.number_input(
            tr("settings.lr"), 1e-6, 1.0, settings.learning_rate, step=1e-4, format="%.5f", key="set_lr"
        )
        seed = st.number_input(tr("settings.seed"), 0, 2**31 - 1, settings.seed, key="set_seed", help=tr("settings.seed_help"))
        with st.expander(tr("settings.options")):
            halving = st.number_input(
                tr("settings.halving"), 0, MAX_EPOCHS, settings.lr_halving_epoch or 0, key="set_halving",
            )
            patience = st.number_input(
                tr("settings.early"), 0, MAX_EPOCHS, settings.early_stopping_patience or 0,
                key="set_early", help=tr("settings.early_help"),
            )
            plateau = st.number_input(
                tr("settings.plateau"), 0, MAX_EPOCHS, settings.reduce_lr_patience or 0,
                key="set_plateau", help=tr("settings.plateau_help"),
            )
            steps = st.number_input(
                tr("settings.steps"), 1, 256, settings.steps_per_execution, key="set_steps", help=tr("settings.steps_help"),
            )
        submitted = st.form_submit_button(tr("settings.apply"), type="primary", key="apply_settings")
    if submitted:
        candidate = RunSettings(
            method=settings.method,
            epochs=int(epochs),
            batch_size=int(batch_size),
            max_len=int(max_len),
            learning_rate=float(learning_rate),
            seed=int(seed),
            lr_halving_epoch=_optional(int(halving)),
            early_stopping_patience=_optional(int(patience)),
            reduce_lr_patience=_optional(int(plateau)),
            steps_per_execution=int(steps),
        )
        try:
            st.session_state[SETTINGS_KEY] = candidate.validate()
            st.session_state[SETTINGS_IN_URL_KEY] = True
            st.sidebar.success(tr("settings.applied"))
            st.sidebar.caption(tr("settings.link_caption"))
        except SettingsError as error:
            for problem in error.problems:
                st.sidebar.error(problem)
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
