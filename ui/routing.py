"""Every request goes through app.py's navigation, even a shared link that is a fresh server's first request.

Streamlit keeps one process-wide flag, `PagesManager.uses_pages_directory`: the
first session of a server sets it when a `pages/` folder sits next to the
entry script, and only a run of `st.navigation` clears it. While it is set, a
link such as `/fit?lang=zh` runs `pages/1_fit.py` alone, in the legacy
pages-folder mode (file names as page titles, no settings form, no language
switch, the narrow layout), and keeps doing so for every visitor until
someone opens the home page. `through_app_router` clears the flag, as
app.py's `st.navigation` would, and reruns: Streamlit keeps the address and
the page (a page's id is its URL path in both modes), so the rerun is app.py
drawing the requested page. The flag is process-wide, so this happens once
per server.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def through_app_router() -> None:
    """Call before drawing anything; in legacy pages-folder mode, rerun through app.py."""
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()


# A fresh server's first request for a page imports this module while running that page alone:
# reroute at once, so a page needs no call of its own (pages/4_compare.py only imports it).
through_app_router()
