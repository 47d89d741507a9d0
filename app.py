"""Three ways to train a Keras model: the home page, the page list and the shared sidebar.

Run with `streamlit run app.py`. This file declares the pages (st.navigation),
draws the settings form every page shares, and holds the home page.
"""

import numpy as np
import pandas as pd
import streamlit as st

from core import charts
from core.data import PreparedData, decode_newswire
from ui.keras_guard import keep_keras_session
from ui.data_source import dataset_or_panel, upload_panel
from ui.i18n import tr
from ui.classroom import class_sidebar
from ui.settings_form import settings_sidebar
from ui.views import chart_once_per_version

# Before anything trains: Streamlit would otherwise reset Keras after every rerun (see ui/keras_guard.py).
keep_keras_session()

st.set_page_config(page_title=tr("app.title"), page_icon=":material/model_training:", layout="wide")


def method_table() -> pd.DataFrame:
    """The three methods at a glance, in the session's language."""
    rows = [
        [tr(f"table.{m}.{c}") for c in ("name", "control", "flexibility")] + [lines, tr(f"table.{m}.when")]
        for m, lines in (("fit", "~10"), ("batch", "~20"), ("custom", "~35"))
    ]
    columns = [tr(f"table.{c}") for c in ("method", "control", "flexibility", "lines", "when")]
    return pd.DataFrame(rows, columns=columns)


@st.cache_resource(show_spinner=False)
def model_summary(vocab_size: int, num_classes: int, max_len: int) -> pd.DataFrame:
    from core.model import build_model, summary_rows
    from core.settings import RunSettings

    model = build_model(RunSettings(max_len=max_len), vocab_size, num_classes)
    return pd.DataFrame([vars(row) for row in summary_rows(model)])


def dataset_at_a_glance(data: PreparedData) -> None:
    st.subheader(tr("home.data_title"))
    a, b, c, d = st.columns(4)
    a.metric(tr("home.metric.train"), f"{len(data.y_train):,}")
    b.metric(tr("home.metric.test"), f"{len(data.y_test):,}")
    c.metric(tr("home.metric.vocab"), f"{data.vocab_size:,}")
    d.metric(tr("home.metric.topics"), data.num_classes)
    names = data.topic_names
    counts = pd.concat(
        [
            pd.DataFrame({"topic_id": np.arange(data.num_classes), "count": np.bincount(y, minlength=data.num_classes), "split": split})
            for split, y in (("train", data.y_train), ("test", data.y_test))
        ]
    )
    counts["topic"] = [names[i] for i in counts["topic_id"]]
    left, right = st.columns(2)
    with left:
        st.markdown(tr("home.topics_note"))
        chart_once_per_version("home-topics", (data.source, data.max_len), lambda: charts.topic_distribution_chart(counts))
    with right:
        st.markdown(tr("home.length_note", max_len=data.max_len))
        lengths = pd.concat(
            [pd.DataFrame({"length": data.train_lengths, "split": "train"}), pd.DataFrame({"length": data.test_lengths, "split": "test"})]
        )
        chart_once_per_version("home-lengths", (data.source, data.max_len), lambda: charts.sequence_length_chart(lengths, data.max_len))
    text = decode_newswire(data.x_train[0], data.word_index)
    with st.expander(tr("home.sample", topic=names[int(data.y_train[0])])):
        if text is None:
            st.caption(tr("home.no_word_index"))
            st.code(" ".join(str(t) for t in data.x_train[0] if t))
        else:
            st.write(text)


def home() -> None:
    st.title(tr("app.title"))
    st.markdown(tr("home.intro"))
    st.dataframe(method_table(), hide_index=True, width="stretch")
    cols = st.columns(4)
    cols[0].page_link("pages/1_fit.py", label=tr("home.link.fit"), icon=":material/play_arrow:")
    cols[1].page_link("pages/2_train_on_batch.py", label=tr("home.link.train_on_batch"), icon=":material/play_arrow:")
    cols[2].page_link("pages/3_custom_loop.py", label=tr("home.link.custom_loop"), icon=":material/play_arrow:")
    cols[3].page_link("pages/4_compare.py", label=tr("home.link.compare"), icon=":material/compare_arrows:")

    settings = st.session_state["settings"]
    data = dataset_or_panel(settings.max_len)
    if data is None:
        return
    with st.expander(tr("home.upload_expander")):
        upload_panel()
    dataset_at_a_glance(data)
    st.subheader(tr("home.model_title"))
    with st.spinner(tr("home.loading_tf")):
        summary = model_summary(data.vocab_size, data.num_classes, data.max_len)
    st.dataframe(summary, hide_index=True, width="stretch")
    st.caption(tr("home.model_caption", total=f"{summary['parameters'].sum():,}"))


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
