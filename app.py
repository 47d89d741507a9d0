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
from ui.settings_form import settings_sidebar
from ui.views import chart_once_per_version

# Before anything trains: Streamlit would otherwise reset Keras after every rerun (see ui/keras_guard.py).
keep_keras_session()

st.set_page_config(page_title="Three ways to train a Keras model", page_icon=":material/model_training:", layout="wide")

METHOD_TABLE = pd.DataFrame(
    [
        ["model.fit", "Through callbacks", "Lowest: Keras runs the loop", "~10", "Standard training; most projects"],
        ["train_on_batch loop", "Per batch, in your loop", "Medium: change anything between batches", "~20",
         "Schedules and logic that callbacks make awkward"],
        ["Custom loop (GradientTape)", "Every line of the step", "Highest: no compile, your own step", "~35",
         "New losses, several models, research"],
    ],
    columns=["Method", "Control", "Flexibility", "Lines of code", "When to use"],
)


@st.cache_resource(show_spinner=False)
def model_summary(vocab_size: int, num_classes: int, max_len: int) -> pd.DataFrame:
    from core.model import build_model, summary_rows
    from core.settings import RunSettings

    model = build_model(RunSettings(max_len=max_len), vocab_size, num_classes)
    return pd.DataFrame([vars(row) for row in summary_rows(model)])


def dataset_at_a_glance(data: PreparedData) -> None:
    st.subheader("The data: Reuters newswires")
    a, b, c, d = st.columns(4)
    a.metric("Training newswires", f"{len(data.y_train):,}")
    b.metric("Test newswires", f"{len(data.y_test):,}")
    c.metric("Vocabulary (largest id + 1)", f"{data.vocab_size:,}")
    d.metric("Topics", data.num_classes)
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
        st.markdown("**Topics**: a few topics hold most newswires (`earn`, `acq`).")
        chart_once_per_version("home-topics", (data.source, data.max_len), lambda: charts.topic_distribution_chart(counts))
    with right:
        st.markdown(f"**Length** of each newswire in tokens, and the `max_len = {data.max_len}` cut.")
        lengths = pd.concat(
            [pd.DataFrame({"length": data.train_lengths, "split": "train"}), pd.DataFrame({"length": data.test_lengths, "split": "test"})]
        )
        chart_once_per_version("home-lengths", (data.source, data.max_len), lambda: charts.sequence_length_chart(lengths, data.max_len))
    text = decode_newswire(data.x_train[0], data.word_index)
    with st.expander(f"A sample newswire (topic: {names[int(data.y_train[0])]})"):
        if text is None:
            st.caption("The word index is not available, so here are the token ids (set REUTERS_WORD_INDEX_PATH to see words).")
            st.code(" ".join(str(t) for t in data.x_train[0] if t))
        else:
            st.write(text)


def home() -> None:
    st.title("Three ways to train a Keras model")
    st.markdown(
        """
The same network, trained on the same Reuters newswires, three ways, as in the
chapter *训练模型的3种方法* (TensorFlow 2.1), ported to TensorFlow 2.21 / Keras 3:

1. **`model.fit`**: Keras runs the loop; you steer it through callbacks.
2. **A `train_on_batch` loop**: you run the loop and can act between any two batches
   (here the learning rate halves at epoch 5).
3. **A custom loop**: `tf.GradientTape` inside a `tf.function`, no `compile` at all.

Each page shows the exact code that runs, trains live in your browser, and keeps
going while you click around. Settings in the sidebar apply to every page.
"""
    )
    st.dataframe(METHOD_TABLE, hide_index=True, width="stretch")
    cols = st.columns(4)
    cols[0].page_link("pages/1_fit.py", label="model.fit", icon=":material/play_arrow:")
    cols[1].page_link("pages/2_train_on_batch.py", label="train_on_batch loop", icon=":material/play_arrow:")
    cols[2].page_link("pages/3_custom_loop.py", label="Custom loop", icon=":material/play_arrow:")
    cols[3].page_link("pages/4_compare.py", label="Compare all three", icon=":material/compare_arrows:")

    settings = st.session_state["settings"]
    data = dataset_or_panel(settings.max_len)
    if data is None:
        return
    with st.expander("Use another reuters.npz (for your session only)"):
        upload_panel()
    dataset_at_a_glance(data)
    st.subheader("The model")
    with st.spinner("Loading TensorFlow…"):
        summary = model_summary(data.vocab_size, data.num_classes, data.max_len)
    st.dataframe(summary, hide_index=True, width="stretch")
    st.caption(f"Total parameters: {summary['parameters'].sum():,}. Nadam, sparse categorical cross-entropy, accuracy and top-5 accuracy.")


page = st.navigation(
    [
        st.Page(home, title="Home", icon=":material/home:", default=True),
        st.Page("pages/1_fit.py", title="1 · model.fit", icon=":material/looks_one:"),
        st.Page("pages/2_train_on_batch.py", title="2 · train_on_batch", icon=":material/looks_two:"),
        st.Page("pages/3_custom_loop.py", title="3 · Custom loop", icon=":material/looks_3:"),
        st.Page("pages/4_compare.py", title="4 · Compare", icon=":material/compare_arrows:"),
    ]
)
settings_sidebar()
page.run()
