"""Three ways to train a Keras model: the router.

Run with `streamlit run app.py`. This file only routes: every link through
this navigation (ui/routing.py), the Keras guard, page settings, the pages
(st.navigation) and the settings sidebar they share. The home page is
ui/home.py; the method and compare pages are in pages/.
"""

import streamlit as st

from ui.classroom import class_sidebar
from ui.home import home
from ui.i18n import tr
from ui.keras_guard import keep_keras_session
from ui.routing import through_app_router
from ui.settings_form import settings_sidebar

# A shared link that is a fresh server's first request ran in legacy pages-folder mode: rerun as routed here.
through_app_router()

# Before anything trains: Streamlit would otherwise reset Keras after every rerun (see ui/keras_guard.py).
keep_keras_session()

st.set_page_config(page_title=tr("app.title"), page_icon=":material/model_training:", layout="wide")

page = st.navigation(
    [
        st.Page(home, title=tr("nav.home"), icon=":material/home:", default=True),
        st.Page("pages/1_fit.py", title=tr("nav.fit"), icon=":material/looks_one:"),
        st.Page("pages/2_train_on_batch.py", title=tr("nav.train_on_batch"), icon=":material/looks_two:"),
        st.Page("pages/3_custom_loop.py", title=tr("nav.custom_loop"), icon=":material/looks_3:"),
        st.Page("pages/4_compare.py", title=tr("nav.compare"), icon=":material/compare_arrows:"),
    ]
)
settings_sidebar()
class_sidebar()
page.run()
