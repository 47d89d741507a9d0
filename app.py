"""Ways to train a Keras model: the router.

Run with `streamlit run app.py`. This file only routes: the Keras guard, page
settings, the pages (st.navigation, declared in ui/navigation.py from the
methods' registry, core/methods.py) and the settings sidebar they share. The
page bodies are ui/home.py, ui/method_page.py and ui/compare_page.py.
"""

import streamlit as st

from ui.classroom import class_sidebar
from ui.i18n import tr
from ui.keras_guard import keep_keras_session
from ui.navigation import app_pages
from ui.settings_form import settings_sidebar

# Before anything trains: Streamlit would otherwise reset Keras after every rerun (see ui/keras_guard.py).
keep_keras_session()

st.set_page_config(page_title=tr("app.title"), page_icon=":material/model_training:", layout="wide")

page = st.navigation(list(app_pages().values()))
settings_sidebar()
class_sidebar()
page.run()
