"""Every chart the app draws, as plain functions: a long-form DataFrame in, an Altair chart out.

Training curves read the metrics frame of `core.records.records_to_frame` (one row
per run, epoch, split and metric; possibly empty before the first epoch ends) and
draw one panel per metric: `metric_chart` for one method's runs coloured by
split, `comparison_chart` for several runs coloured by run, and
`learning_rate_chart` for the schedule. The data charts (`topic_distribution_chart`,
`sequence_length_chart`, `top_k_chart`) describe the Reuters newswires and one
prediction; `confusion_chart` and `per_topic_accuracy_chart` show where a
trained model goes wrong on the test set. Every function returns a chart whose `to_dict()` works on an empty
frame, and nothing here imports Streamlit: pages pass the result to `st.altair_chart`.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

# Panel order and titles; the keys are the `metric` values of the long-form frame.
METRIC_TITLES = {"loss": "Loss", "accuracy": "Accuracy", "top5_accuracy": "Top-5 accuracy"}

# Concatenated panels cannot stretch to the container, so each gets a fixed size
# that fits three across a wide Streamlit page.
PANEL_WIDTH = 220
PANEL_HEIGHT = 200

# The test set is the validation set of every trainer, so both share a colour;
# fixed domains keep colours and dashes stable while a live chart fills in.
SPLIT_COLOURS = {"train": "#4c78a8", "validation": "#f58518", "test": "#f58518"}
SPLIT_DASHES = {"train": [1, 0], "validation": [6, 4]}
HIGHLIGHT_COLOURS = {"true topic": "#f58518", "other topic": "#bab0ac"}
# Text and rules drawn on the chart itself: Vega's default black vanishes on Streamlit's dark theme;
# this grey reads on both backgrounds (4.5:1 on white, about 4.3:1 on the dark theme's #0e1117).
RULE_COLOUR = "#767676"
# The confusion heatmap's colours: the middle of Vega's "blues", whose ends are near white (lost on the
# light theme) and near black (lost on the dark one).
CONFUSION_COLOURS = {"name": "blues", "extent": [0.3, 0.85]}

# Histogram bins are kept to round widths (1, 2, 5 × 10^k tokens) so that a
# max_len like 300 falls on a bin edge and the tooltip ranges read naturally.
TARGET_BINS = 60


def _epoch_x() -> alt.X:
    # Epochs are whole numbers starting at 1: no zero, no 2.5 tick.
    return alt.X("epoch:Q").title("Epoch").scale(zero=False).axis(format="d", tickMinStep=1)


def _value_y(metric: str) -> alt.Y:
    # Loss starts near 2 and only its shape matters; accuracies live in [0, 1],
    # and a fixed domain stops the axis jumping while a live run fills in.
    scale = alt.Scale(zero=False) if metric == "loss" else alt.Scale(domain=[0, 1])
    return alt.Y("value:Q").title(METRIC_TITLES[metric]).scale(scale)


def _split_colour(domain: list[str]) -> alt.Color:
    return alt.Color("split:N").title("Split").scale(domain=domain, range=[SPLIT_COLOURS[s] for s in domain])


def _epoch_rule(epoch: int, label: str) -> alt.Chart:
    # Its own one-row data set, so the rule is drawn once per panel (not once per
    # data row) and is visible before any epoch has finished.
    return (
        alt.Chart(pd.DataFrame({"epoch": [epoch], "label": [label]}))
        .mark_rule(color=RULE_COLOUR, strokeDash=[3, 3])
        .encode(x=_epoch_x(), tooltip=[alt.Tooltip("label:N", title="note"), alt.Tooltip("epoch:Q", title="epoch")])
    )


def _metric_panel(
    frame: pd.DataFrame,
    metric: str,
    encoding: dict[str, Any],
    line_encoding: dict[str, Any],
    tooltip: list[alt.Tooltip],
    rule: alt.Chart | None,
) -> alt.LayerChart:
    """One metric's lines, with a point per epoch that carries the tooltip."""
    base = alt.Chart(frame).transform_filter(alt.datum.metric == metric).encode(x=_epoch_x(), y=_value_y(metric), **encoding)
    layers = [base.mark_line().encode(**line_encoding), base.mark_point(filled=True, size=40).encode(tooltip=tooltip)]
    if rule is not None:
        layers.append(rule)
    return alt.layer(*layers).properties(title=METRIC_TITLES[metric], width=PANEL_WIDTH, height=PANEL_HEIGHT)


def _metric_panels(
    frame: pd.DataFrame,
    encoding: dict[str, Any],
    tooltip: list[alt.Tooltip],
    rule: alt.Chart | None = None,
    line_encoding: dict[str, Any] | None = None,
) -> alt.HConcatChart:
    """The three metric panels side by side; `line_encoding` applies to the lines only."""
    panels = (_metric_panel(frame, metric, encoding, line_encoding or {}, tooltip, rule) for metric in METRIC_TITLES)
    # The three metrics have unrelated ranges; colour and dash legends stay shared.
    return alt.hconcat(*panels).resolve_scale(y="independent")


def as_separate_panels(chart: alt.HConcatChart) -> list[alt.LayerChart]:
    """metric_chart's or comparison_chart's panels as charts of their own, each as wide as its container.

    Vega-Lite cannot fit a concatenation to its container, so on a phone the
    three fixed-width panels side by side are cut off. Drawn one per
    `st.columns` column, the panels sit side by side on a wide page and stack
    on a narrow one (Streamlit stacks columns below 640 px), each filling the
    width it gets; the legend goes under each panel so it never takes width.
    """
    panels = []
    for panel in chart.hconcat:
        panel = panel.copy(deep=True)
        panel.width = "container"
        # Fit the width only: Streamlit's default "fit" would squeeze the plot into PANEL_HEIGHT with the legend.
        panel.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
        panels.append(panel.configure_legend(orient="bottom"))
    return panels


def metric_chart(frame: pd.DataFrame, rule_epoch: int | None = None, rule_label: str = "learning rate halves") -> alt.HConcatChart:
    """Loss, accuracy and top-5 accuracy per epoch, train and validation in two colours.

    `rule_epoch` draws a dashed vertical rule on every panel (method 2 halves its
    learning rate there). Several runs in the frame get one line each per split.
    """
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("epoch:Q", title="epoch"),
        alt.Tooltip("split:N", title="split"),
        alt.Tooltip("metric:N", title="metric"),
        alt.Tooltip("value:Q", title="value", format=".4f"),
        alt.Tooltip("learning_rate:Q", title="learning rate", format="~g"),
        alt.Tooltip("seconds:Q", title="seconds", format=".1f"),
    ]
    # `detail` keeps two runs of the same split from being joined into one line.
    encoding = {"color": _split_colour(["train", "validation"]), "detail": alt.Detail("run:N")}
    columns = ["run", "epoch", "split", "metric", "value", "learning_rate", "seconds"]
    rule = _epoch_rule(rule_epoch, rule_label) if rule_epoch is not None else None
    return _metric_panels(frame.loc[:, columns], encoding, tooltip, rule)


def comparison_chart(frame: pd.DataFrame) -> alt.HConcatChart:
    """Several runs overlaid: colour is the run, solid is train, dashed is validation."""
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("method:N", title="method"),
        alt.Tooltip("epoch:Q", title="epoch"),
        alt.Tooltip("split:N", title="split"),
        alt.Tooltip("metric:N", title="metric"),
        alt.Tooltip("value:Q", title="value", format=".4f"),
        alt.Tooltip("learning_rate:Q", title="learning rate", format="~g"),
        alt.Tooltip("seconds:Q", title="seconds", format=".1f"),
    ]
    encoding = {"color": alt.Color("run:N").title("Run").legend(orient="bottom", columns=2, labelLimit=320)}
    # On the lines only: merged with the points' legend, the dash would show as a circle.
    dash = alt.StrokeDash("split:N").title("Split").scale(domain=list(SPLIT_DASHES), range=list(SPLIT_DASHES.values()))
    columns = ["run", "method", "epoch", "split", "metric", "value", "learning_rate", "seconds"]
    return _metric_panels(frame.loc[:, columns], encoding, tooltip, line_encoding={"strokeDash": dash})


def learning_rate_chart(frame: pd.DataFrame, halving_epoch: int | None) -> alt.Chart | alt.LayerChart:
    """The learning rate each epoch trained with, one step line per run.

    With `halving_epoch`, a rule and the words "learning rate halves" mark it.
    """
    # The frame repeats the rate on all six (split, metric) rows of an epoch:
    # send one row per run and epoch to the browser.
    rates = frame.drop_duplicates(["run", "epoch"]).loc[:, ["run", "method", "epoch", "learning_rate"]]
    line = (
        alt.Chart(rates)
        # The rate holds for a whole epoch and changes between epochs: a step.
        .mark_line(interpolate="step-after", point=alt.OverlayMarkDef(filled=True, size=40))
        .encode(
            x=_epoch_x(),
            y=alt.Y("learning_rate:Q").title("Learning rate").axis(format="~g"),
            color=alt.Color("run:N").title("Run"),
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("method:N", title="method"),
                alt.Tooltip("epoch:Q", title="epoch"),
                alt.Tooltip("learning_rate:Q", title="learning rate", format="~g"),
            ],
        )
        .properties(height=PANEL_HEIGHT)
    )
    if halving_epoch is None:
        return line
    label = pd.DataFrame({"epoch": [halving_epoch], "label": ["learning rate halves"]})
    return alt.layer(
        line,
        _epoch_rule(halving_epoch, "learning rate halves"),
        alt.Chart(label)
        # Left of the rule (early in a run it sits at the plot's right edge) and at
        # mid-height, clear of the full rate at the top and the halved one after the rule.
        .mark_text(align="right", baseline="bottom", dx=-4, dy=-4, color=RULE_COLOUR)
        .encode(x=_epoch_x(), y=alt.value(PANEL_HEIGHT // 2), text="label:N"),
    )


def topic_distribution_chart(counts: pd.DataFrame) -> alt.Chart:
    """Newswires per topic, most frequent first, train and test stacked."""
    by_total = alt.EncodingSortField(field="count", op="sum", order="descending")
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("count:Q").title("Newswires").stack("zero"),
            # Streamlit's theme otherwise hides labels it judges to overlap.
            y=alt.Y("topic:N").title(None).sort(by_total).axis(labelOverlap=False),
            color=_split_colour(["train", "test"]),
            tooltip=[
                alt.Tooltip("topic:N", title="topic"),
                alt.Tooltip("topic_id:Q", title="topic id"),
                alt.Tooltip("split:N", title="split"),
                alt.Tooltip("count:Q", title="newswires", format=","),
            ],
        )
        # 46 topics: a step per bar keeps every name readable.
        .properties(height=alt.Step(18))
    )


def _nice_bin_width(longest: int) -> int:
    """The smallest 1, 2 or 5 × 10^k that covers 0..longest in about TARGET_BINS bins."""
    wanted = max(1.0, longest / TARGET_BINS)
    power = 10 ** math.floor(math.log10(wanted))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= wanted))


def _length_bins(lengths: pd.DataFrame) -> pd.DataFrame:
    """Counts per (split, bin) with shared round edges, zero bins dropped.

    About a hundred rows instead of one per newswire keep the chart's payload small.
    """
    columns = ["split", "bin_start", "bin_end", "tokens", "count"]
    if lengths.empty:
        return pd.DataFrame(columns=columns)
    longest = int(lengths["length"].max())
    width = _nice_bin_width(longest)
    # The last edge lies above the longest newswire, so every bin is [start, end).
    edges = np.arange(0, (longest // width + 2) * width, width)
    rows = [
        {"split": split, "bin_start": int(start), "bin_end": int(end), "tokens": f"{start}–{end - 1}", "count": int(count)}
        for split, group in lengths.groupby("split", sort=False)
        for start, end, count in zip(edges[:-1], edges[1:], np.histogram(group["length"], bins=edges)[0], strict=True)
        if count
    ]
    return pd.DataFrame(rows, columns=columns)


def sequence_length_chart(lengths: pd.DataFrame, max_len: int) -> alt.LayerChart:
    """Tokens per newswire as a histogram, with the `max_len` cut marked."""
    note = f"max_len = {max_len} (longer newswires are truncated, shorter are padded)"
    cut = alt.Chart(pd.DataFrame({"length": [max_len], "label": [note]}))
    return alt.layer(
        alt.Chart(_length_bins(lengths))
        .mark_bar()
        .encode(
            # Binned in Python: Vega-Lite is told so and draws each bar from start to end.
            x=alt.X("bin_start:Q").bin("binned").title("Tokens per newswire"),
            x2="bin_end:Q",
            y=alt.Y("count:Q").title("Newswires").stack("zero"),
            color=_split_colour(["train", "test"]),
            tooltip=[
                alt.Tooltip("tokens:N", title="tokens"),
                alt.Tooltip("split:N", title="split"),
                alt.Tooltip("count:Q", title="newswires", format=","),
            ],
        ),
        cut.mark_rule(color=RULE_COLOUR, strokeDash=[3, 3]).encode(x=alt.X("length:Q").title("Tokens per newswire")),
        cut.mark_text(align="left", baseline="top", dx=4, color=RULE_COLOUR).encode(
            x=alt.X("length:Q").title("Tokens per newswire"), y=alt.value(4), text="label:N"
        ),
    ).properties(height=260)


def top_k_chart(probabilities: pd.DataFrame) -> alt.Chart:
    """A model's top predicted topics for one newswire, most probable first, true topic highlighted."""
    return (
        alt.Chart(probabilities)
        # A readable legend entry instead of true/false.
        .transform_calculate(answer="datum.is_true ? 'true topic' : 'other topic'")
        .mark_bar()
        .encode(
            x=alt.X("probability:Q").title("Predicted probability").scale(domain=[0, 1]).axis(format="%"),
            y=alt.Y("topic:N").title(None).sort(alt.EncodingSortField(field="probability", op="max", order="descending")),
            color=alt.Color("answer:N")
            .title(None)
            .scale(domain=list(HIGHLIGHT_COLOURS), range=list(HIGHLIGHT_COLOURS.values())),
            tooltip=[
                alt.Tooltip("topic:N", title="topic"),
                alt.Tooltip("probability:Q", title="probability", format=".2%"),
                alt.Tooltip("is_true:N", title="true topic"),
            ],
        )
        .properties(height=alt.Step(24))
    )


# ---------------------------------------------------------------------------
# What a trained model learned (frames from core.predictions)

# Axis and legend titles of the prediction charts; pages pass their own language's.
PREDICTION_TITLES = {
    "true_topic": "True topic",
    "predicted_topic": "Predicted topic",
    "newswires": "Newswires",
    "share": "Share of the true topic",
    "test_newswires": "Test newswires of the topic (log scale)",
    "accuracy": "Accuracy on the topic",
    "overall": "overall accuracy",
    "topic": "Topic",
    "train_newswires": "Training newswires",
    "times_predicted": "Times predicted",
}
CONFUSION_CELL = 13  # pixels per topic: 46 topics make a ~600 px square


def confusion_chart(cells: pd.DataFrame, order: list[str], titles: dict[str, str] | None = None) -> alt.Chart:
    """A heatmap of (true, predicted) counts over every topic, in `order` on both axes.

    `cells` is `core.predictions.confusion_frame` (non-zero cells only). The
    colour is on a log scale: the diagonal holds hundreds of newswires for the
    big topics, and a single misfiled newswire must still show.
    """
    names = {**PREDICTION_TITLES, **(titles or {})}
    axis = alt.Axis(labelOverlap=False, labelFontSize=9)
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("predicted:N").title(names["predicted_topic"]).sort(order).scale(domain=order).axis(axis),
            y=alt.Y("true:N").title(names["true_topic"]).sort(order).scale(domain=order).axis(axis),
            color=alt.Color("count:Q").title(names["newswires"]).scale(type="log", scheme=CONFUSION_COLOURS),
            stroke=alt.condition(alt.datum.correct, alt.value("#f58518"), alt.value(None)),
            tooltip=[
                alt.Tooltip("true:N", title=names["true_topic"]),
                alt.Tooltip("predicted:N", title=names["predicted_topic"]),
                alt.Tooltip("count:Q", title=names["newswires"]),
                alt.Tooltip("share:Q", title=names["share"], format=".1%"),
            ],
        )
        .properties(width=alt.Step(CONFUSION_CELL), height=alt.Step(CONFUSION_CELL))
    )


def per_topic_accuracy_chart(
    per_topic: pd.DataFrame, overall: float, titles: dict[str, str] | None = None, labelled: int = 8
) -> alt.LayerChart:
    """Accuracy per topic against how many test newswires it has (log x), overall accuracy as a rule.

    `per_topic` is `core.predictions.per_topic_accuracy`; the `labelled` most
    frequent topics carry their names.
    """
    names = {**PREDICTION_TITLES, **(titles or {})}
    x = alt.X("test_newswires:Q").title(names["test_newswires"]).scale(type="log")
    y = alt.Y("accuracy:Q").title(names["accuracy"]).scale(domain=[0, 1]).axis(format="%")
    points = (
        alt.Chart(per_topic)
        .mark_circle(size=70, opacity=0.8)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("topic:N", title=names["topic"]),
                alt.Tooltip("test_newswires:Q", title=names["newswires"]),
                alt.Tooltip("train_newswires:Q", title=names["train_newswires"]),
                alt.Tooltip("accuracy:Q", title=names["accuracy"], format=".1%"),
                alt.Tooltip("times_predicted:Q", title=names["times_predicted"]),
            ],
        )
    )
    biggest = per_topic.nlargest(labelled, "test_newswires") if len(per_topic) else per_topic
    labels = (
        alt.Chart(biggest)
        .mark_text(align="left", dx=6, dy=-6, fontSize=11, color=RULE_COLOUR)
        .encode(x=x, y=y, text="topic:N")
    )
    rule_data = pd.DataFrame({"accuracy": [overall], "label": [f"{names['overall']} {overall:.1%}"]})
    rule = alt.Chart(rule_data).mark_rule(color=RULE_COLOUR, strokeDash=[3, 3]).encode(y="accuracy:Q")
    rule_text = (
        alt.Chart(rule_data)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=RULE_COLOUR)
        .encode(x=alt.value(0), y="accuracy:Q", text="label:N")
    )
    return alt.layer(points, labels, rule, rule_text).properties(height=320)
