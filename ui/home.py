"""The home page: what the methods are, the data at a glance, the model.

Drawn by app.py's navigation as its default page. The title and intro come
first and need nothing but Streamlit (the heavier imports, pandas and Altair,
follow them; TensorFlow comes later still), so they paint at once on a fresh
server; the methods table and the links to the pages follow; the data (whose preparation imports Keras)
and the model summary follow, each behind a short status while it loads.
The table has a row per method of the registry (core/methods.py); its "lines"
column counts each trainer's real source, read from its module with `ast`
rather than imported: importing it would load TensorFlow before the page is drawn.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING

import streamlit as st

from core import methods
from ui.i18n import tr

if TYPE_CHECKING:
    import pandas as pd
    from streamlit.navigation.page import StreamlitPage

    from core.data import PreparedData


@functools.cache
def trainer_lines(module: str) -> dict[str, int]:
    """Lines of each function's source in `module` as the method pages show it (decorators included), without importing it."""
    path = importlib.util.find_spec(module).origin  # finds the file; imports only the parent package
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    return {
        node.name: node.end_lineno - min([node.lineno, *(d.lineno for d in node.decorator_list)]) + 1
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def method_table() -> pd.DataFrame:
    """Every method at a glance, in the registry's order and the session's language."""
    import pandas as pd

    rows = [
        [tr(f"table.{m.name}.{c}") for c in ("name", "control", "flexibility")]
        + [trainer_lines(m.module)[m.trainer], tr(f"table.{m.name}.when")]
        for m in methods.REGISTRY
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


def home(pages: Mapping[str, StreamlitPage]) -> None:
    """`pages`: the pages it links to, by id (each method's name, "compare"), from ui/navigation.py."""
    st.title(tr("app.title"))
    st.markdown(tr("home.intro"))
    # pandas, NumPy, Altair and the data code load after the title and intro are on the page.
    from ui.data_source import dataset_or_panel, upload_panel

    st.dataframe(method_table(), hide_index=True, width="stretch")
    cols = st.columns(len(pages))
    for column, (page_id, page) in zip(cols, pages.items(), strict=True):
        icon = ":material/compare_arrows:" if page_id == "compare" else methods.method(page_id).icon
        column.page_link(page, label=tr(f"home.link.{page_id}"), icon=icon)

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
