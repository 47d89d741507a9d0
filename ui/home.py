"""The home page: what the three methods are, the data at a glance, the model.

Drawn by app.py's navigation as its default page. The title and intro come
first and need nothing but Streamlit (the heavier imports, pandas and Altair,
follow them; TensorFlow comes later still), so they paint at once on a fresh
server; the methods table and the links to the pages follow; the data (whose preparation imports Keras)
and the model summary follow, each behind a short status while it loads.
The table's "lines" column counts the trainers' real source, read from
core/training.py with `ast` rather than imported: importing it would load
TensorFlow before the page is drawn.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from typing import TYPE_CHECKING

import streamlit as st

from ui.i18n import tr

if TYPE_CHECKING:
    import pandas as pd

    from core.data import PreparedData

# Row of the methods table -> the trainer whose source it counts (core/training.py).
TRAINERS = {"fit": "train_with_fit", "train_on_batch": "train_with_batches", "custom_loop": "train_with_custom_loop"}


@functools.cache
def trainer_lines() -> dict[str, int]:
    """Lines of each trainer's source as the method pages show it (decorators included), without importing it."""
    path = importlib.util.find_spec("core.training").origin  # finds the file; imports only the `core` package
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    spans = {
        node.name: node.end_lineno - min([node.lineno, *(d.lineno for d in node.decorator_list)]) + 1
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    return {row: spans[name] for row, name in TRAINERS.items()}


def method_table() -> pd.DataFrame:
    """The three methods at a glance, in the session's language."""
    import pandas as pd

    lines = trainer_lines()
    rows = [
        [tr(f"table.{m}.{c}") for c in ("name", "control", "flexibility")] + [lines[m], tr(f"table.{m}.when")] for m in TRAINERS
    ]
    columns = [tr(f"table.{c}") for c in ("method", "control", "flexibility", "lines", "when")]
    return pd.DataFrame(rows, columns=columns)


@st.cache_resource(show_spinner=False)
def model_summary(vocab_size: int, num_classes: int, max_len: int) -> pd.DataFrame:
    import pandas as pd

    from core.model import build_model, summary_rows  # imports Keras: only once the page is drawn
    from core.settings import RunSettings

    model = build_model(RunSettings(max_len=max_len), vocab_size, num_classes)
    return pd.DataFrame([vars(row) for row in summary_rows(model)])


def dataset_at_a_glance(data: PreparedData) -> None:
    import numpy as np
    import pandas as pd

    from core import charts
    from core.data import decode_newswire
    from ui.views import chart_once_per_version

    st.subheader(tr("home.data_title"))
    a, b, c, d = st.columns(4)
    a.metric(tr("home.metric.train"), f"{len(data.y_train):,}")
    b.metric(tr("home.metric.test"), f"{len(data.y_test):,}")
    c.metric(tr("home.metric.vocab"), f"{data.vocab_size:,}")
    d.metric(tr("home.metric.topics"), data.num_classes)
    names = data.topic_names
    counts = pd.concat(
        [
            pd.DataFrame(
                {"topic_id": np.arange(data.num_classes), "count": np.bincount(y, minlength=data.num_classes), "split": split}
            )
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
            [
                pd.DataFrame({"length": data.train_lengths, "split": "train"}),
                pd.DataFrame({"length": data.test_lengths, "split": "test"}),
            ]
        )
        chart_once_per_version(
            "home-lengths", (data.source, data.max_len), lambda: charts.sequence_length_chart(lengths, data.max_len)
        )
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
    # pandas, NumPy, Altair and the data code load after the title and intro are on the page.
    from ui.data_source import dataset_or_panel, upload_panel

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
