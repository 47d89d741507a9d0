"""Every request goes through app.py's navigation, even a shared link that is a fresh server's first request.

Streamlit keeps one process-wide flag, `PagesManager.uses_pages_directory`: a
server's first session sets it when a `pages/` folder sits next to the entry
script, and only `st.navigation` clears it. While it is set, a link such as
`/fit?lang=zh` runs `pages/1_fit.py` alone, in the legacy pages-folder mode
(file names as page titles, no settings form, no language switch, the narrow
layout), and keeps doing so for every visitor until someone opens the home
page. `through_app_router` clears the flag, as app.py's `st.navigation` would,
and runs app.py in place of the rest of the script: app.py's navigation finds
the requested page (a page's id is its URL path in both modes) and runs it.
Running it within the same run, rather than asking for a rerun, keeps the
run's button clicks and form submits, which a rerun would drop. The flag is
process-wide, so on a server this happens once; Streamlit's AppTest resets it
before every run, so there it happens on every run. app.py and the method
pages call it first thing.
"""

from __future__ import annotations

import types

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def through_app_router() -> None:
    """Call before drawing anything; in legacy pages-folder mode, run app.py instead and stop there."""
    context = get_script_run_ctx()
    if context is None or not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    pages = context.pages_manager
    app = types.ModuleType("__main__")  # as Streamlit runs a page file: its own namespace
    app.__file__ = pages.main_script_path
    # With the entry script's id active, as in a normal run: the sidebar's widgets keep the same ids.
    with context.run_with_active_hash(pages.main_script_hash):
        exec(pages.get_page_script_byte_code(pages.main_script_path), app.__dict__)  # noqa: S102 - our own app.py
    st.stop()  # the page was drawn by app.py's navigation; the legacy run of it ends here
