"""The app's pages for `st.navigation`, declared from the methods' registry (core/methods.py).

Each page is a function with the URL path it has always had: `/` the home page,
`/<method>` per method (its registry name), `/compare`. There is no page
folder: Streamlit runs a folder named `pages/` next to app.py in its legacy
multipage mode, so the page bodies live in ui/ (ui/home.py, ui/method_page.py,
ui/compare_page.py) and are declared here only. Titles are numbered by the
registry's order; app.py and the home page's links both use `app_pages()`.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core import methods
from core.methods import numbered
from ui.compare_page import compare_page
from ui.home import home
from ui.i18n import tr
from ui.method_page import method_page

HOME, COMPARE = "home", "compare"
# Streamlit's Material icons for the first places; later methods share the last one.
PLACE_ICONS = {1: "looks_one", 2: "looks_two", 3: "looks_3", 4: "looks_4", 5: "looks_5", 6: "looks_6"}


def app_pages() -> dict[str, st.Page]:
    """Every page by id (HOME, each method's name, COMPARE), in the navigation's order."""
    pages: dict[str, st.Page] = {}
    for entry in methods.REGISTRY:
        place = methods.number(entry.name)
        pages[entry.name] = st.Page(
            partial(method_page, entry.name),
            title=numbered(place, tr(f"nav.{entry.name}")),
            icon=f":material/{PLACE_ICONS.get(place, 'looks_6')}:",
            url_path=entry.name,
        )
    pages[COMPARE] = st.Page(
        compare_page,
        title=numbered(methods.compare_number(), tr("nav.compare")),
        icon=":material/compare_arrows:",
        url_path=COMPARE,
    )
    # The home page links to the others: it is handed them, so nothing imports this module back.
    first = st.Page(partial(home, pages), title=tr("nav.home"), icon=":material/home:", url_path=HOME, default=True)
    return {HOME: first, **pages}
