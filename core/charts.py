"""Every chart the app draws, as plain functions: a long-form DataFrame in, an Altair chart out.

Training curves read the metrics frame of `core.records.records_to_frame` (one row
per run, epoch, split and metric; possibly empty before the first epoch ends) and
draw one panel per metric: `metric_chart` for one method's runs coloured by
split, `comparison_panel(s)` for several runs coloured by run (legend highlight,
zoom along epochs, a hover rule with every run's value), and
`learning_rate_chart` for the schedule; `batch_chart` draws per-batch curves and
`sweep_chart` accuracy against a swept setting. Their words come from `texts`
(CHART_TEXTS keys) so pages draw them in the session's language, and
`chart_image` renders any spec as PNG or SVG for downloads. The data charts (`topic_distribution_chart`,
`sequence_length_chart`, `top_k_chart`) describe the Reuters newswires and one
prediction; `confusion_chart` and `per_topic_accuracy_chart` show where a
trained model goes wrong on the test set. Every function returns a chart whose `to_dict()` works on an empty
frame, and nothing here imports Streamlit: pages pass the result to `st.altair_chart`.

Why in core/ although only pages draw charts: a chart here is a pure function of
data and words, so it is tested with pytest alone (tests/test_charts.py), built
once per run and version for every viewer (ui/views.py), and rendered to PNG or
SVG outside any page (`chart_image`); the Streamlit side of drawing them, the
session's language and placeholders, is ui/views.py's.
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


def _epoch_x(title: str = "Epoch") -> alt.X:
    # Epochs are whole numbers starting at 1: no zero, no 2.5 tick.
    return alt.X("epoch:Q").title(title).scale(zero=False).axis(format="d", tickMinStep=1)


def _value_y(metric: str, title: str | None = None) -> alt.Y:
    # Loss starts near 2 and only its shape matters; accuracies live in [0, 1],
    # and a fixed domain stops the axis jumping while a live run fills in.
    scale = alt.Scale(zero=False) if metric == "loss" else alt.Scale(domain=[0, 1])
    return alt.Y("value:Q").title(title or METRIC_TITLES[metric]).scale(scale)


def _split_colour(domain: list[str], names: dict[str, str] | None = None) -> alt.Color:
    """Colour by split; with `names`, the frame's split values are already translated (see metric_chart)."""
    names = names or {}
    return (
        alt.Color("split:N")
        .title(names.get("split", "Split"))
        .scale(domain=[names.get(s, s) for s in domain], range=[SPLIT_COLOURS[s] for s in domain])
    )


def _epoch_rule(epoch: int, label: str, texts: dict[str, str] | None = None) -> alt.Chart:
    # Its own one-row data set, so the rule is drawn once per panel (not once per
    # data row) and is visible before any epoch has finished.
    return (
        alt.Chart(pd.DataFrame({"epoch": [epoch], "label": [label]}))
        .mark_rule(color=RULE_COLOUR, strokeDash=[3, 3])
        .encode(
            x=_epoch_x((texts or {}).get("epoch", "Epoch")),
            tooltip=[
                alt.Tooltip("label:N", title=(texts or {}).get("note", "note")),
                alt.Tooltip("epoch:Q", title=(texts or {}).get("epoch", "epoch")),
            ],
        )
    )


def _metric_panel(
    frame: pd.DataFrame,
    metric: str,
    encoding: dict[str, Any],
    line_encoding: dict[str, Any],
    tooltip: list[alt.Tooltip],
    rule: alt.Chart | None,
    texts: dict[str, str] | None = None,
) -> alt.LayerChart:
    """One metric's lines, with a point per epoch that carries the tooltip."""
    t = chart_texts(texts)
    base = (
        alt.Chart(frame)
        .transform_filter(alt.datum.metric == metric)
        .encode(x=_epoch_x(t["epoch"]), y=_value_y(metric, t[metric]), **encoding)
    )
    layers = [base.mark_line().encode(**line_encoding), base.mark_point(filled=True, size=40).encode(tooltip=tooltip)]
    if rule is not None:
        layers.append(rule)
    return alt.layer(*layers).properties(title=t[metric], width=PANEL_WIDTH, height=PANEL_HEIGHT)


def _metric_panels(
    frame: pd.DataFrame,
    encoding: dict[str, Any],
    tooltip: list[alt.Tooltip],
    rule: alt.Chart | None = None,
    line_encoding: dict[str, Any] | None = None,
    texts: dict[str, str] | None = None,
) -> alt.HConcatChart:
    """The three metric panels side by side; `line_encoding` applies to the lines only."""
    panels = (_metric_panel(frame, metric, encoding, line_encoding or {}, tooltip, rule, texts) for metric in METRIC_TITLES)
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
        if panel.data is alt.Undefined:
            # alt.hconcat lifts data the panels share to the concatenation: a panel drawn alone needs it back.
            panel.data = chart.data
        panel.width = "container"
        # Fit the width only: Streamlit's default "fit" would squeeze the plot into PANEL_HEIGHT with the legend.
        panel.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
        panels.append(panel.configure_legend(orient="bottom"))
    return panels


def metric_chart(
    frame: pd.DataFrame, rule_epoch: int | None = None, rule_label: str | None = None, texts: dict[str, str] | None = None
) -> alt.HConcatChart:
    """Loss, accuracy and top-5 accuracy per epoch, train and validation in two colours.

    `rule_epoch` draws a dashed vertical rule on every panel (method 2 halves its
    learning rate there). Several runs in the frame get one line each per split.
    `texts` puts every word in the page's language (CHART_TEXTS keys).
    """
    t = chart_texts(texts)
    tooltip = [
        alt.Tooltip("run:N", title=t["run"]),
        alt.Tooltip("epoch:Q", title=t["epoch"]),
        alt.Tooltip("split:N", title=t["split"]),
        alt.Tooltip("value:Q", title=t["value"], format=".4f"),
        alt.Tooltip("learning_rate:Q", title=t["learning_rate"], format="~g"),
        alt.Tooltip("seconds:Q", title=t["seconds"], format=".1f"),
    ]
    # `detail` keeps two runs of the same split from being joined into one line.
    encoding = {"color": _split_colour(["train", "validation"], t), "detail": alt.Detail("run:N")}
    columns = ["run", "epoch", "split", "metric", "value", "learning_rate", "seconds"]
    shown = frame.loc[:, columns]
    shown = shown.assign(split=shown["split"].map(lambda s: t.get(s, s)))
    rule = _epoch_rule(rule_epoch, rule_label or t["lr_halves"], t) if rule_epoch is not None else None
    return _metric_panels(shown, encoding, tooltip, rule, texts=t)


# Every word the training charts draw (titles, axes, legends, tooltips, split and series names), in English;
# pages pass their language's through `texts` (ui.views.chart_texts reads them from the catalogue).
CHART_TEXTS = {
    **METRIC_TITLES,
    "epoch": "Epoch",
    "step": "Batch (step)",
    "run": "Run",
    "split": "Split",
    "series": "Curve",
    "method": "method",
    "value": "value",
    "learning_rate": "Learning rate",
    "seconds": "seconds",
    "note": "note",
    "train": "train",
    "validation": "validation",
    "reported": "what the method reports",
    "mean": "running mean over the epoch",
    "smoothed": "smoothed",
    "raw": "raw",
    "lr_halves": "learning rate halves",
    "final_val_accuracy": "Final validation accuracy",
    "best_val_accuracy": "Best validation accuracy",
    "batch_loss": "Training loss per batch",
    "batch_accuracy": "Training accuracy per batch",
}
# Identical runs draw identical lines: the first run is the widest and each later one narrower and on
# top, so a line hidden under another still shows as a coloured core inside a wider band.
STROKE_WIDTHS = (7.0, 3.5, 1.8, 1.2)


def chart_texts(texts: dict[str, str] | None) -> dict[str, str]:
    return {**CHART_TEXTS, **(texts or {})}


def stroke_widths(count: int) -> list[float]:
    return [STROKE_WIDTHS[min(i, len(STROKE_WIDTHS) - 1)] for i in range(count)]


def comparison_panel(frame: pd.DataFrame, metric: str, texts: dict[str, str] | None = None) -> alt.LayerChart:
    """One metric of several overlaid runs, to explore: legend click highlights a run, drag or wheel zooms epochs,
    and a rule follows the pointer to the nearest epoch with every run's value in one tooltip.

    Colour is the run, solid is train, dashed is validation; the runs' line widths
    step down so identical lines stay visible. Parameter names carry the metric, so
    the three panels can also be concatenated (`comparison_chart`).
    """
    t = chart_texts(texts)
    data = frame.loc[frame["metric"] == metric, ["run", "method", "epoch", "split", "value", "learning_rate", "seconds"]]
    data = data.assign(split=data["split"].map(lambda s: t.get(s, s)))
    runs = list(dict.fromkeys(data["run"]))
    # One column per (run, split) in the hover table: pivoted fields get neutral names (run labels hold dots,
    # which Vega-Lite would read as nested fields) and the labels go in the tooltip titles.
    pairs = list(dict.fromkeys(zip(data["run"], data["split"], strict=True)))
    keys = {pair: f"k{i}" for i, pair in enumerate(pairs)}
    widths = dict(zip(runs, stroke_widths(len(runs)), strict=True))
    data = data.assign(
        key=[keys[pair] for pair in zip(data["run"], data["split"], strict=True)], width=data["run"].map(widths).astype(float)
    )
    highlight = alt.selection_point(name=f"highlight_{metric}", fields=["run"], bind="legend")
    zoom = alt.selection_interval(name=f"zoom_{metric}", bind="scales", encodings=["x"])
    hover = alt.selection_point(
        name=f"hover_{metric}", fields=["epoch"], nearest=True, on="pointerover", clear="pointerout", empty=False
    )
    x = _epoch_x(t["epoch"])
    colour = alt.Color("run:N").title(t["run"]).scale(domain=runs).legend(orient="bottom", columns=1, labelLimit=360)
    splits = [t["train"], t["validation"]]
    dash = (
        alt.StrokeDash("split:N")
        .title(t["split"])
        .scale(domain=splits, range=list(SPLIT_DASHES.values()))
        .legend(orient="bottom", columns=1)  # one entry a line: a row of two is cut off on a narrow panel
    )
    base = alt.Chart(data).encode(x=x, y=_value_y(metric, t[metric]), color=colour)
    lines = (
        base.mark_line()
        .encode(
            strokeDash=dash,
            # Widths as data, unscaled: encoded from `run` they would share (and, legend-less, remove) the colour
            # legend, and clicks on it would no longer highlight a run.
            strokeWidth=alt.StrokeWidth("width:Q").scale(None),
            opacity=alt.when(highlight).then(alt.value(1.0)).otherwise(alt.value(0.12)),
        )
        .add_params(highlight, zoom)
    )
    points = base.mark_point(filled=True, size=50).encode(
        detail=alt.Detail("split:N"), opacity=alt.when(hover).then(alt.value(1.0)).otherwise(alt.value(0.0))
    )
    tooltip = [alt.Tooltip("epoch:Q", title=t["epoch"])] + [
        alt.Tooltip(f"{key}:Q", title=f"{run} · {split}", format=".4f") for (run, split), key in keys.items()
    ]
    rule = (
        alt.Chart(data)
        .transform_pivot("key", value="value", groupby=["epoch"])
        .mark_rule(color=RULE_COLOUR, strokeWidth=8)
        .encode(x=x, opacity=alt.when(hover).then(alt.value(0.35)).otherwise(alt.value(0.0)), tooltip=tooltip)
        .add_params(hover)
    )
    return alt.layer(lines, points, rule).properties(title=t[metric], width=PANEL_WIDTH, height=PANEL_HEIGHT)


def comparison_chart(frame: pd.DataFrame, texts: dict[str, str] | None = None) -> alt.HConcatChart:
    """Several runs overlaid, one `comparison_panel` per metric side by side (`as_separate_panels` splits them)."""
    panels = [comparison_panel(frame, metric, texts) for metric in METRIC_TITLES]
    return alt.hconcat(*panels).resolve_scale(y="independent")


def comparison_panels(frame: pd.DataFrame, texts: dict[str, str] | None = None) -> list[alt.LayerChart]:
    """The comparison's panels as charts of their own, each as wide as its container (one per `st.columns` column).

    Built one by one rather than split from `comparison_chart`: a concatenation keeps
    its interactive parameters at its top level, so a panel taken out of it would lose them.
    """
    # SVG rather than vega-embed's canvas: a few hundred points at most, and the legend entries and lines
    # become page elements (crisp when zoomed, reachable by assistive tools and by the browser tests).
    return [
        fill_width(comparison_panel(frame, metric, texts)).properties(usermeta={"embedOptions": {"renderer": "svg"}})
        for metric in METRIC_TITLES
    ]


def batch_chart(frame: pd.DataFrame, metric: str, texts: dict[str, str] | None = None, colour: str = "series") -> alt.LayerChart:
    """Per-batch curves of `core.compare.batch_frame`: the raw values faint, the smoothed ones drawn over them.

    `colour="series"` tells what the method reports from the running mean (one run);
    `colour="run"` overlays runs. Zoom and pan along the steps; the tooltip is on the smoothed line.
    """
    t = chart_texts(texts)
    data = frame.loc[frame["metric"] == metric, ["run", "method", "step", "epoch", "series", "value", "smoothed"]]
    data = data.assign(series=data["series"].map(lambda s: t.get(s, s)))
    domain = [t["reported"], t["mean"]] if colour == "series" else list(dict.fromkeys(data["run"]))
    legend_title = t["series"] if colour == "series" else t["run"]
    colours = alt.Color(f"{colour}:N").title(legend_title).scale(domain=domain).legend(orient="bottom", columns=1, labelLimit=360)
    x = alt.X("step:Q").title(t["step"]).axis(format="d", tickMinStep=1)
    scale = alt.Scale(zero=False) if metric == "loss" else alt.Scale(domain=[0, 1])
    detail = alt.Detail("run:N" if colour == "series" else "series:N")
    base = alt.Chart(data).encode(x=x, color=colours, detail=detail)
    raw = base.mark_line(opacity=0.25, strokeWidth=1).encode(y=alt.Y("value:Q").title(t[metric]).scale(scale))
    smoothed = (
        base.mark_line(strokeWidth=2)
        .encode(
            y=alt.Y("smoothed:Q").title(t[metric]).scale(scale),
            tooltip=[
                alt.Tooltip("run:N", title=t["run"]),
                alt.Tooltip("series:N", title=t["series"]),
                alt.Tooltip("step:Q", title=t["step"]),
                alt.Tooltip("epoch:Q", title=t["epoch"]),
                alt.Tooltip("value:Q", title=t["raw"], format=".4f"),
                alt.Tooltip("smoothed:Q", title=t["smoothed"], format=".4f"),
            ],
        )
        .add_params(alt.selection_interval(bind="scales", encodings=["x"]))
    )
    return alt.layer(raw, smoothed).properties(title=t[f"batch_{metric}"], height=PANEL_HEIGHT)


def sweep_chart(results: pd.DataFrame, setting_title: str, log_x: bool, texts: dict[str, str] | None = None) -> alt.LayerChart:
    """Final (line) and best (points) validation accuracy against the swept value (`core.compare.sweep_results`)."""
    t = chart_texts(texts)
    x = alt.X("value:Q").title(setting_title).scale(type="log" if log_x else "linear", zero=False).axis(format="~g")
    tooltip = [
        alt.Tooltip("value:Q", title=setting_title, format="~g"),
        alt.Tooltip("final val accuracy:Q", title=t["final_val_accuracy"], format=".4f"),
        alt.Tooltip("best val accuracy:Q", title=t["best_val_accuracy"], format=".4f"),
    ]
    base = alt.Chart(results.loc[:, ["value", "final val accuracy", "best val accuracy"]]).encode(x=x, tooltip=tooltip)
    final = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=70)).encode(
        y=alt.Y("final val accuracy:Q").title(t["final_val_accuracy"]).scale(zero=False)
    )
    best = base.mark_point(shape="diamond", size=60, color=RULE_COLOUR).encode(y="best val accuracy:Q")
    return alt.layer(final, best).properties(title=t["final_val_accuracy"], height=PANEL_HEIGHT)


def fill_width(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A single (or layered) chart as wide as its container, legend underneath: readable on a phone."""
    chart = chart.copy(deep=True)
    chart.width = "container"
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    return chart.configure_legend(orient="bottom")


def chart_image(spec: dict[str, Any], image_format: str, width: int = 640) -> bytes:
    """A chart's spec rendered server-side as PNG or SVG (vl-convert), at a fixed width.

    A container-wide chart has no width outside a page, so it gets `width` pixels;
    the background is white, as in a document.
    """
    import vl_convert  # noqa: PLC0415 - 30 MB of renderer, loaded only when a download is asked for

    spec = dict(spec, background="white")
    if spec.get("width") == "container":
        spec["width"] = width
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    if image_format == "svg":
        return vl_convert.vegalite_to_svg(spec, vl_version="6.4").encode()
    if image_format == "png":
        return vl_convert.vegalite_to_png(spec, vl_version="6.4", scale=2)
    raise ValueError(f"image format must be png or svg, got {image_format!r}")


def learning_rate_chart(
    frame: pd.DataFrame, halving_epoch: int | None, texts: dict[str, str] | None = None
) -> alt.Chart | alt.LayerChart:
    """The learning rate each epoch trained with, one step line per run.

    With `halving_epoch`, a rule and the words "learning rate halves" mark it.
    """
    # The frame repeats the rate on all six (split, metric) rows of an epoch:
    # send one row per run and epoch to the browser.
    t = chart_texts(texts)
    rates = frame.drop_duplicates(["run", "epoch"]).loc[:, ["run", "method", "epoch", "learning_rate"]]
    line = (
        alt.Chart(rates)
        # The rate holds for a whole epoch and changes between epochs: a step.
        .mark_line(interpolate="step-after", point=alt.OverlayMarkDef(filled=True, size=40))
        .encode(
            x=_epoch_x(t["epoch"]),
            y=alt.Y("learning_rate:Q").title(t["learning_rate"]).axis(format="~g"),
            color=alt.Color("run:N").title(t["run"]),
            tooltip=[
                alt.Tooltip("run:N", title=t["run"]),
                alt.Tooltip("method:N", title=t["method"]),
                alt.Tooltip("epoch:Q", title=t["epoch"]),
                alt.Tooltip("learning_rate:Q", title=t["learning_rate"], format="~g"),
            ],
        )
        .properties(height=PANEL_HEIGHT)
    )
    if halving_epoch is None:
        return line
    label = pd.DataFrame({"epoch": [halving_epoch], "label": [t["lr_halves"]]})
    return alt.layer(
        line,
        _epoch_rule(halving_epoch, t["lr_halves"], t),
        alt.Chart(label)
        # Left of the rule (early in a run it sits at the plot's right edge) and at
        # mid-height, clear of the full rate at the top and the halved one after the rule.
        .mark_text(align="right", baseline="bottom", dx=-4, dy=-4, color=RULE_COLOUR)
        .encode(x=_epoch_x(t["epoch"]), y=alt.value(PANEL_HEIGHT // 2), text="label:N"),
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
            color=alt.Color("answer:N").title(None).scale(domain=list(HIGHLIGHT_COLOURS), range=list(HIGHLIGHT_COLOURS.values())),
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
        alt.Chart(biggest).mark_text(align="left", dx=6, dy=-6, fontSize=11, color=RULE_COLOUR).encode(x=x, y=y, text="topic:N")
    )
    rule_data = pd.DataFrame({"accuracy": [overall], "label": [f"{names['overall']} {overall:.1%}"]})
    rule = alt.Chart(rule_data).mark_rule(color=RULE_COLOUR, strokeDash=[3, 3]).encode(y="accuracy:Q")
    rule_text = (
        alt.Chart(rule_data)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=RULE_COLOUR)
        .encode(x=alt.value(0), y="accuracy:Q", text="label:N")
    )
    return alt.layer(points, labels, rule, rule_text).properties(height=320)
