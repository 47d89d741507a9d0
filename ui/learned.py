"""'What the model learned': the session's trained models, their test-set answers, and the panels that show them.

After a run ends, the job's `TrainedModel`s (weights only) move into this
session's model store: the latest per method
(`core.predictions.keep_latest`). Each model's predictions on the test set are
computed once per server process (every session that shows the run shares
them), the first time a panel needs them, and kept next to it under its run
id; both are dropped together when the model is evicted. The panels are
drawn outside the live view's one-second fragment and only when no run is
training on the page, so a refresh never predicts or rebuilds a chart.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import charts, methods
from core.data import DataError, PreparedData
from core.plain_text import markdown_literal
from core.predictions import (
    Predictions,
    TrainedModel,
    confusion_counts,
    confusion_frame,
    keep_latest,
    most_confused_pairs,
    newswire_words,
    per_topic_accuracy,
    plateau_summary,
    shared_test_predictions,
    top_k_frame,
)
from ui.data_source import current_dataset
from ui.i18n import current_language, tr
from ui.live_run import session_job
from ui.take_away import has_weights, how_to_load, kept_model, model_download, page_records, weights_gone
from ui.views import chart_once_per_version

MODELS_KEY = "trained_models"  # method -> TrainedModel, one per method, oldest first
PREDICTIONS_KEY = "test_predictions"  # run id -> Predictions of a kept model


def session_models() -> dict[str, TrainedModel]:
    """The session's kept models, after taking in those of its latest job."""
    kept = st.session_state.get(MODELS_KEY, {})
    job = session_job()
    if job is not None:
        kept = keep_latest(kept, job.snapshot().models.values())
    st.session_state[MODELS_KEY] = kept
    alive = {model.run_id for model in kept.values()}
    cache = st.session_state.setdefault(PREDICTIONS_KEY, {})
    for run_id in [r for r in cache if r not in alive]:
        del cache[run_id]  # an evicted model's predictions go with it
    return kept


def _answers(trained: TrainedModel) -> tuple[PreparedData, Predictions] | None:
    """The data the model reads and its test-set predictions (computed once per run id); None if unavailable."""
    try:
        data = current_dataset(trained.max_len)
    except DataError:
        return None
    if not trained.fits(data):
        st.caption(tr("learned.other_data", label=markdown_literal(trained.label), max_len=trained.max_len))
        return None
    cache = st.session_state.setdefault(PREDICTIONS_KEY, {})
    predictions = cache.get(trained.run_id)
    if predictions is None:
        with st.spinner(tr("learned.predicting", count=f"{len(data.y_test):,}")):
            predictions = shared_test_predictions(trained, data)
        cache[trained.run_id] = predictions
    return data, predictions


def _random_newswire(key: str, count: int) -> None:
    st.session_state[key] = int(np.random.default_rng().integers(count))


def newswire_picker(page_id: str, count: int) -> int:
    """A number box for the test newswire and a 'random' button; returns the chosen index."""
    key = f"newswire_{page_id}"
    if not 0 <= st.session_state.get(key, 0) < count:
        st.session_state[key] = 0
    st.session_state.setdefault(key, 0)
    left, right, _ = st.columns([2, 2, 3], vertical_alignment="bottom")
    left.number_input(tr("learned.pick", last=count - 1), min_value=0, max_value=count - 1, step=1, key=key)
    right.button(
        tr("learned.random"),
        key=f"random_newswire_{page_id}",
        on_click=_random_newswire,
        args=(key, count),
        icon=":material/casino:",
    )
    return int(st.session_state[key])


def _verdict(data: PreparedData, probabilities: np.ndarray, index: int) -> str:
    names = data.topic_names
    true, predicted = int(data.y_test[index]), int(np.argmax(probabilities))
    mark = f":green[{tr('learned.right')}]" if true == predicted else f":red[{tr('learned.wrong')}]"
    text = tr("learned.true_topic", topic=names[true], predicted=names[predicted], probability=f"{probabilities[predicted]:.1%}")
    return f"{text} · {mark}"


def _newswire_text(data: PreparedData, index: int) -> None:
    text, as_words = newswire_words(data, index)
    st.caption(tr("learned.words") if as_words else tr("learned.token_ids"))
    with st.container(height=240):
        st.text(text)


def _top5(name: str, trained: TrainedModel, data: PreparedData, predictions: Predictions, index: int) -> None:
    frame = top_k_frame(predictions.probabilities[index], int(data.y_test[index]), data.topic_names)
    chart_once_per_version(name, (trained.run_id, index), lambda: charts.top_k_chart(frame))


def _model_caption(trained: TrainedModel, predictions: Predictions) -> str:
    return tr(
        "learned.model_caption",
        label=markdown_literal(trained.label),
        epochs=trained.epochs,
        accuracy=f"{predictions.accuracy:.1%}",
    )


def _chart_titles() -> dict[str, str]:
    return {key: tr(f"chart.{key}") for key in charts.PREDICTION_TITLES}


def _errors(page_id: str, trained: TrainedModel, data: PreparedData, predictions: Predictions) -> None:
    names = data.topic_names
    counts = confusion_counts(predictions.y_true, predictions.predicted, data.num_classes)
    per_topic = per_topic_accuracy(predictions.y_true, predictions.predicted, names, data.y_train)
    order = list(per_topic.sort_values("test_newswires", ascending=False)["topic"])
    order += [n for n in names if n not in order]  # topics absent from the test set go last
    version = (trained.run_id, current_language())
    # Full width: 46 columns of topic names need it (stretched, each cell is about 18 px wide).
    st.markdown(f"**{tr('learned.confusion_title', topics=data.num_classes)}**")
    chart_once_per_version(
        f"learned-confusion-{page_id}",
        version,
        lambda: charts.confusion_chart(confusion_frame(counts, names), order, _chart_titles()),
    )
    st.caption(tr("learned.confusion_caption"))
    pairs_column, _ = st.columns([3, 2])
    with pairs_column:
        st.markdown(f"**{tr('learned.pairs_title')}**")
        pairs = most_confused_pairs(counts, names)
        if pairs.empty:
            st.caption(tr("learned.pairs_none"))
        else:
            st.dataframe(
                pairs,
                hide_index=True,
                width="stretch",
                column_config={
                    "true": st.column_config.TextColumn(tr("learned.pairs_true")),
                    "predicted": st.column_config.TextColumn(tr("learned.pairs_predicted")),
                    "count": st.column_config.NumberColumn(tr("learned.pairs_count")),
                    "share": st.column_config.ProgressColumn(
                        tr("learned.pairs_share"), format="percent", min_value=0.0, max_value=1.0
                    ),
                },
            )
    st.markdown(f"**{tr('learned.per_topic_title')}**")
    chart_once_per_version(
        f"learned-per-topic-{page_id}",
        version,
        lambda: charts.per_topic_accuracy_chart(per_topic, predictions.accuracy, _chart_titles()),
    )
    summary = plateau_summary(per_topic)
    st.caption(
        tr(
            "learned.plateau",
            share_head=f"{summary['share_head']:.0%}",
            accuracy_head=f"{summary['accuracy_head']:.0%}",
            accuracy_rest=f"{summary['accuracy_rest']:.0%}",
            never_right=summary["never_right"],
            topics=summary["topics"],
        )
    )


def learned_panel(method: str) -> None:
    """A method page's panel: the latest trained model of `method` on one newswire and on the whole test set."""
    st.divider()
    st.subheader(tr("learned.title"), anchor="what-the-model-learned")
    kept = session_models()
    trained = kept.get(method)
    # A result shown from the store whose weights this server no longer keeps: say so rather than show an older model.
    gone = [record for record in page_records(method) if has_weights(record) and kept_model(record, kept) is None]
    if gone:
        weights_gone(gone[-1], method)
        return
    if trained is None:
        st.info(tr("learned.none"), icon=":material/psychology:")
        return
    answers = _answers(trained)
    if answers is None:
        return
    data, predictions = answers
    st.caption(_model_caption(trained, predictions))
    model_download(trained, method)
    with st.expander(tr("take.how_to_load_title"), icon=":material/help:"):
        how_to_load(trained)
    one, errors = st.tabs([tr("learned.tab_one"), tr("learned.tab_errors")])
    with one:
        index = newswire_picker(method, len(data.y_test))
        st.markdown(_verdict(data, predictions.probabilities[index], index))
        left, right = st.columns(2)
        with left:
            _newswire_text(data, index)
        with right:
            st.caption(tr("learned.top5"))
            _top5(f"learned-top5-{method}", trained, data, predictions, index)
    with errors:
        _errors(method, trained, data, predictions)


def compare_learned_panel() -> None:
    """The comparison page's panel: one newswire through each method's latest model, side by side."""
    st.divider()
    st.subheader(tr("learned.title"), anchor="what-the-model-learned")
    models = dict(session_models())  # a copy: the methods whose shown result lacks weights are left out below
    # Results of Train all shown from the store whose weights this server no longer keeps: said per method below.
    gone = {r.method: r for r in page_records("compare") if has_weights(r) and kept_model(r, models) is None}
    for record in gone.values():
        models.pop(record.method, None)  # an older model of the method is not the run shown above
    if not models:
        if gone:
            for record in gone.values():
                weights_gone(record, "compare")
        else:
            st.info(tr("learned.none_compare"), icon=":material/psychology:")
        return
    answers = {method: _answers(trained) for method, trained in models.items()}
    available = [a for a in answers.values() if a is not None]
    if not available:
        return
    shown_data = available[-1][0]
    st.caption(tr("learned.compare_caption"))
    index = newswire_picker("compare", len(shown_data.y_test))
    names = shown_data.topic_names
    st.markdown(f"{tr('chart.true_topic')}: **{names[int(shown_data.y_test[index])]}**")
    with st.expander(tr("learned.words") if shown_data.word_index else tr("learned.token_ids")):
        st.text(newswire_words(shown_data, index)[0])
    for column, method in zip(st.columns(len(methods.names())), methods.names(), strict=True):
        with column:
            st.markdown(f"**{tr(f'method.{method}')}**")
            trained, found = models.get(method), answers.get(method)
            if method in gone:
                weights_gone(gone[method], "compare")
                continue
            if trained is None or found is None:
                st.caption(tr("learned.compare_missing", method=tr(f"method.{method}")))
                continue
            data, predictions = found
            st.caption(_model_caption(trained, predictions))
            st.markdown(_verdict(data, predictions.probabilities[index], index))
            _top5(f"learned-compare-{method}", trained, data, predictions, index)
            model_download(trained, f"compare_{method}")
    with st.expander(tr("take.how_to_load_title"), icon=":material/help:"):
        how_to_load(next(iter(models.values())))
