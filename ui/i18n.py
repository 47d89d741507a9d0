"""The session's language: chosen in the sidebar, seeded from the link (`?lang=zh`) or the browser.

`tr(key, **values)` is what pages call; the strings themselves live in
`core.i18n`. The choice is kept in plain session state (not only in the
widget's), so it survives pages that do not draw the sidebar.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import LANGUAGES, language_from_locale, t
from core.states import RunMessage

LANGUAGE_KEY = "language"  # session_state: "en" or "zh"
LANGUAGE_WIDGET_KEY = "language_choice"
LANGUAGE_IN_URL_KEY = "language_in_url"  # True once the user picked a language or a link named one
URL_LANGUAGE = "lang"


def _browser_language() -> str:
    try:
        return language_from_locale(st.context.locale)
    except Exception:  # noqa: BLE001 - an older Streamlit, or no browser (tests): English
        return language_from_locale(None)


def current_language() -> str:
    """The session's language; on the first call, from the link, else the browser, else English."""
    if LANGUAGE_KEY not in st.session_state:
        from_link = st.query_params.get(URL_LANGUAGE)
        if from_link in LANGUAGES:
            st.session_state[LANGUAGE_KEY] = from_link
            st.session_state[LANGUAGE_IN_URL_KEY] = True
        else:
            st.session_state[LANGUAGE_KEY] = _browser_language()
    return st.session_state[LANGUAGE_KEY]


def tr(key: str, **values: object) -> str:
    """`key`'s text in the session's language."""
    return t(key, current_language(), **values)


def message_text(message: RunMessage) -> str:
    """A run's ending message in the session's language (an error's own words as they are)."""
    return message.text(current_language())


def _language_chosen() -> None:
    st.session_state[LANGUAGE_KEY] = st.session_state[LANGUAGE_WIDGET_KEY]
    st.session_state[LANGUAGE_IN_URL_KEY] = True


def language_picker() -> str:
    """The sidebar's language switch; keeps `?lang=` in the address once a language was chosen."""
    language = current_language()
    st.session_state[LANGUAGE_WIDGET_KEY] = language  # the widget shows the kept choice on every page
    st.sidebar.radio(
        t("language.label", language),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key=LANGUAGE_WIDGET_KEY,
        horizontal=True,
        on_change=_language_chosen,
    )
    if st.session_state.get(LANGUAGE_IN_URL_KEY) and st.query_params.get(URL_LANGUAGE) != language:
        st.query_params[URL_LANGUAGE] = language
    return language
