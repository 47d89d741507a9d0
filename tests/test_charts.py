"""core.charts: every chart builds a valid Vega-Lite spec, with the data and encodings it promises.

Specs are inspected through `to_dict()` (which also validates them against the
Vega-Lite schema), on a small synthetic metrics frame and on empty frames.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pytest

from core import charts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FRAME_COLUMNS = ["run", "method", "epoch", "split", "metric", "value", "learning_rate", "seconds", "finished_at"]
RUNS = {"fit · 02:53:10": "fit", "custom_loop · 03:01:44": "custom_loop"}
EPOCHS = (1, 2, 3)


@pytest.fixture
def frame() -> pd.DataFrame:
    """2 runs × 3 epochs × 2 splits × 3 metrics = 36 rows, like records_to_frame."""
    rows = [
        {
            "run": run,
            "method": method,
            "epoch": epoch,
            "split": split,
            "metric": metric,
            "value": 0.1 * epoch + (0.05 if split == "validation" else 0.0),
            "learning_rate": 0.001 if epoch < 3 else 0.0005,
            "seconds": 9.5,
            "finished_at": "2025-01-01T02:53:10+00:00",
        }
        for run, method in RUNS.items()
        for epoch in EPOCHS
        for metric in ("loss", "accuracy", "top5_accuracy")
        for split in ("train", "validation")
    ]
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


@pytest.fixture
def empty_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


def units(spec: dict[str, Any], data: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Every single-mark view in a spec, however it is layered or concatenated.

    Each comes with the data it draws: Altair hoists data shared by every view to
    the enclosing layer or concat, so a view without its own inherits it.
    """
    data = spec.get("data", data)
    if "mark" in spec:
        yield {**spec, "data": data}
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            yield from units(child, data)


def mark_type(unit: dict[str, Any]) -> str:
    return unit["mark"] if isinstance(unit["mark"], str) else unit["mark"]["type"]


def rows_of(spec: dict[str, Any], unit: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline rows a view draws (Altair moves them to the top-level `datasets`)."""
    return spec["datasets"][unit["data"]["name"]]


def tooltip_fields(unit: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["field"]: t for t in unit["encoding"]["tooltip"]}


def first(spec: dict[str, Any], mark: str) -> dict[str, Any]:
    return next(u for u in units(spec) if mark_type(u) == mark)


# --- metric_chart -----------------------------------------------------------------


def test_metric_chart_has_three_titled_panels_with_independent_y(frame):
    chart = charts.metric_chart(frame)
    spec = chart.to_dict()
    assert isinstance(chart, alt.HConcatChart)
    assert [panel["title"] for panel in spec["hconcat"]] == ["Loss", "Accuracy", "Top-5 accuracy"]
    assert spec["resolve"]["scale"]["y"] == "independent"
    for panel, metric in zip(spec["hconcat"], ("loss", "accuracy", "top5_accuracy"), strict=True):
        assert panel["width"] == charts.PANEL_WIDTH
        line = first(panel, "line")
        assert line["transform"] == [{"filter": f"(datum.metric === '{metric}')"}]


def test_metric_chart_draws_every_row_with_typed_encodings(frame):
    spec = charts.metric_chart(frame).to_dict()
    line, point = first(spec, "line"), first(spec, "point")
    assert len(rows_of(spec, line)) == 36
    for unit in (line, point):
        encoding = unit["encoding"]
        assert (encoding["x"]["field"], encoding["x"]["type"]) == ("epoch", "quantitative")
        assert encoding["x"]["axis"]["format"] == "d"  # whole epochs only
        assert (encoding["y"]["field"], encoding["y"]["type"]) == ("value", "quantitative")
        assert (encoding["color"]["field"], encoding["color"]["type"]) == ("split", "nominal")
        assert encoding["color"]["scale"]["domain"] == ["train", "validation"]
        assert encoding["detail"]["field"] == "run"  # two runs are two lines, not one zigzag
    tips = tooltip_fields(point)
    assert {"epoch", "split", "value", "learning_rate", "seconds"} <= set(tips)  # the panel title names the metric
    assert tips["value"]["format"] == ".4f"
    assert "tooltip" not in line["encoding"]  # tooltips sit on the points


def test_metric_chart_loss_panel_does_not_force_zero(frame):
    spec = charts.metric_chart(frame).to_dict()
    loss_y = first(spec["hconcat"][0], "line")["encoding"]["y"]
    accuracy_y = first(spec["hconcat"][1], "line")["encoding"]["y"]
    assert loss_y["scale"]["zero"] is False
    assert accuracy_y["scale"]["domain"] == [0, 1]


def test_metric_chart_rule_only_when_asked(frame):
    without = charts.metric_chart(frame).to_dict()
    assert not [u for u in units(without) if mark_type(u) == "rule"]

    spec = charts.metric_chart(frame, rule_epoch=2).to_dict()
    for panel in spec["hconcat"]:
        rules = [u for u in units(panel) if mark_type(u) == "rule"]
        assert len(rules) == 1
        assert rules[0]["encoding"]["x"]["field"] == "epoch"
        assert [row["epoch"] for row in rows_of(spec, rules[0])] == [2]


# --- comparison_chart -------------------------------------------------------------


def test_comparison_chart_colours_runs_and_dashes_validation(frame):
    spec = charts.comparison_chart(frame).to_dict()
    assert len(spec["hconcat"]) == 3
    line, point = first(spec, "line"), first(spec, "point")
    assert len(rows_of(spec, line)) == 12  # one metric per panel: 2 runs x 3 epochs x 2 splits
    assert (line["encoding"]["color"]["field"], line["encoding"]["color"]["type"]) == ("run", "nominal")
    dash = line["encoding"]["strokeDash"]
    assert (dash["field"], dash["type"]) == ("split", "nominal")
    assert dash["scale"]["domain"] == ["train", "validation"]
    assert dash["scale"]["range"][0] == [1, 0]  # train solid
    assert dash["scale"]["range"][1] != [1, 0]  # validation dashed
    assert "strokeDash" not in point["encoding"]  # or the legend would show circles, not dashes


def panel_params(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # Altair lifts a layer's parameters to the top of the spec (with the views they belong to).
    found = [*spec.get("params", []), *(param for layer in spec["layer"] for param in layer.get("params", []))]
    return {param["name"]: param for param in found}


def test_comparison_panels_highlight_from_the_legend_zoom_epochs_and_hover_every_run(frame):
    panels = charts.comparison_panels(frame)
    assert len(panels) == 3
    spec = panels[1].to_dict()
    params = panel_params(spec)
    assert params["highlight_accuracy"]["bind"] == "legend" and params["highlight_accuracy"]["select"]["fields"] == ["run"]
    assert params["zoom_accuracy"]["bind"] == "scales" and params["zoom_accuracy"]["select"]["encodings"] == ["x"]
    assert params["hover_accuracy"]["select"]["nearest"] is True
    assert spec["width"] == "container" and spec["config"]["legend"]["orient"] == "bottom"
    # The rule's tooltip names every (run, split) at the hovered epoch.
    rule = first(spec, "rule")
    titles = [tip["title"] for tip in rule["encoding"]["tooltip"]]
    assert titles == ["Epoch"] + [f"{run} · {split}" for run in RUNS for split in ("train", "validation")]
    assert rule["transform"][0]["pivot"] == "key"
    # Runs step down in width, so two identical lines both stay visible.
    line = first(spec, "line")
    assert line["encoding"]["strokeWidth"] == {"field": "width", "type": "quantitative", "scale": None}
    widths = list(dict.fromkeys(row["width"] for row in rows_of(spec, line)))
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[1]


def test_comparison_chart_texts_come_from_the_page(frame):
    words = {
        "loss": "损失",
        "accuracy": "准确率",
        "epoch": "轮次",
        "run": "运行",
        "split": "数据集",
        "train": "训练",
        "validation": "验证",
    }
    spec = charts.comparison_panel(frame, "loss", words).to_dict()
    line = first(spec, "line")
    assert spec["title"] == "损失" and line["encoding"]["y"]["title"] == "损失"
    assert line["encoding"]["x"]["title"] == "轮次" and line["encoding"]["color"]["title"] == "运行"
    assert line["encoding"]["strokeDash"]["scale"]["domain"] == ["训练", "验证"]
    assert {row["split"] for row in rows_of(spec, line)} == {"训练", "验证"}
    assert any(tip["title"].endswith("· 验证") for tip in first(spec, "rule")["encoding"]["tooltip"])


def test_charts_render_to_png_and_svg(frame):
    spec = charts.comparison_panels(frame)[0].to_dict()
    assert charts.chart_image(spec, "png").startswith(b"\x89PNG")
    svg = charts.chart_image(spec, "svg")
    assert svg.lstrip().startswith(b"<svg") and b"Loss" in svg
    with pytest.raises(ValueError):
        charts.chart_image(spec, "gif")


def test_batch_chart_draws_raw_faint_and_smoothed_over_it():
    from core.compare import batch_frame
    from core.records import RunRecord

    run = RunRecord("r1", "train_on_batch", {}, label="r1")
    run.batches = [(step, 1, 2.0 / step, 0.1 * step, 2.0, 0.1) for step in range(1, 6)]
    spec = charts.batch_chart(batch_frame([run], ["r1"], 0.6), "loss", {"batch_loss": "每批损失"}).to_dict()
    raw, smoothed = [u for u in units(spec) if mark_type(u) == "line"]
    assert raw["mark"]["opacity"] < 1 and smoothed["encoding"]["y"]["field"] == "smoothed"
    assert spec["title"] == "每批损失" and raw["encoding"]["color"]["field"] == "series"
    assert len(rows_of(spec, raw)) == 10  # loss only: reported and running mean, 5 steps each


def test_sweep_chart_puts_accuracy_against_the_swept_value():
    results = pd.DataFrame(
        {"value": [0.0005, 0.001, 0.003], "final val accuracy": [0.6, 0.7, 0.65], "best val accuracy": [0.62, 0.71, 0.7]}
    )
    spec = charts.sweep_chart(results, "learning rate", log_x=True).to_dict()
    line = first(spec, "line")
    assert line["encoding"]["x"]["scale"]["type"] == "log" and line["encoding"]["x"]["title"] == "learning rate"
    assert [row["value"] for row in rows_of(spec, line)] == [0.0005, 0.001, 0.003]


# --- learning_rate_chart ----------------------------------------------------------


def test_learning_rate_chart_one_row_per_run_and_epoch(frame):
    chart = charts.learning_rate_chart(frame, None)
    spec = chart.to_dict()
    assert isinstance(chart, alt.Chart)
    line = first(spec, "line")
    rows = rows_of(spec, line)
    assert len(rows) == len(RUNS) * len(EPOCHS)
    assert sorted({row["learning_rate"] for row in rows}) == [0.0005, 0.001]
    assert (line["encoding"]["y"]["field"], line["encoding"]["y"]["type"]) == ("learning_rate", "quantitative")
    assert line["encoding"]["color"]["field"] == "run"
    assert {"run", "epoch", "learning_rate"} <= set(tooltip_fields(line))
    assert not [u for u in units(spec) if mark_type(u) in ("rule", "text")]


def test_learning_rate_chart_marks_the_halving_epoch(frame):
    spec = charts.learning_rate_chart(frame, 3).to_dict()
    rule, text = first(spec, "rule"), first(spec, "text")
    assert [row["epoch"] for row in rows_of(spec, rule)] == [3]
    assert [row["label"] for row in rows_of(spec, text)] == ["learning rate halves"]
    assert text["encoding"]["text"]["field"] == "label"


# --- empty frames -----------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        charts.metric_chart,
        lambda f: charts.metric_chart(f, rule_epoch=5),
        charts.comparison_chart,
        lambda f: charts.learning_rate_chart(f, None),
        lambda f: charts.learning_rate_chart(f, 5),
    ],
    ids=["metric", "metric+rule", "comparison", "learning_rate", "learning_rate+rule"],
)
def test_training_charts_accept_an_empty_frame(build, empty_frame):
    spec = build(empty_frame).to_dict()
    drawn = [u for u in units(spec) if mark_type(u) in ("line", "point")]
    assert drawn and all(rows_of(spec, u) == [] for u in drawn)
    # A rule asked for is there even before the first epoch ends.
    rules = [u for u in units(spec) if mark_type(u) == "rule" and "pivot" not in str(u.get("transform"))]
    assert all(rows_of(spec, u)[0]["epoch"] == 5 for u in rules)


def test_book_and_runs_overlay(frame):
    from core.reference import reference_frame

    book = reference_frame()
    both = pd.concat([frame, book], ignore_index=True)
    spec = charts.comparison_chart(both).to_dict()
    assert len(rows_of(spec, first(spec, "line"))) == 12 + int((book["metric"] == "loss").sum())


# --- data charts ------------------------------------------------------------------


@pytest.fixture
def counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "topic": ["earn", "acq", "crude", "earn", "acq", "crude"],
            "topic_id": [3, 4, 16, 3, 4, 16],
            "split": ["train", "train", "train", "test", "test", "test"],
            "count": [3159, 1949, 390, 813, 474, 105],
        }
    )


def test_topic_distribution_chart_sorted_by_total_count(counts):
    spec = charts.topic_distribution_chart(counts).to_dict()
    bar = first(spec, "bar")
    assert len(rows_of(spec, bar)) == 6
    encoding = bar["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("count", "quantitative")
    assert (encoding["y"]["field"], encoding["y"]["type"]) == ("topic", "nominal")
    assert encoding["y"]["axis"]["labelOverlap"] is False  # every topic named
    assert encoding["y"]["sort"] == {"field": "count", "op": "sum", "order": "descending"}
    assert encoding["color"]["field"] == "split"
    assert {"topic", "topic_id", "split", "count"} <= set(tooltip_fields(bar))
    charts.topic_distribution_chart(counts.iloc[0:0]).to_dict()


@pytest.fixture
def lengths() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    train = rng.integers(13, 2377, size=8982)
    train[0] = 2376  # the longest Reuters newswire
    return pd.concat(
        [
            pd.DataFrame({"length": train, "split": "train"}),
            pd.DataFrame({"length": rng.integers(13, 1000, size=2246), "split": "test"}),
        ],
        ignore_index=True,
    )


def test_sequence_length_chart_sends_bins_not_newswires(lengths):
    spec = charts.sequence_length_chart(lengths, 300).to_dict()
    bar = first(spec, "bar")
    bins = pd.DataFrame(rows_of(spec, bar))
    assert len(bins) <= 2 * 61  # about 60 bins per split, not 11,228 rows
    assert bins.groupby("split")["count"].sum().to_dict() == {"train": 8982, "test": 2246}
    widths = set(bins["bin_end"] - bins["bin_start"])
    assert widths == {50}  # a round width: 2376 tokens / 60 bins rounds up to 50
    assert bins["bin_start"].max() <= 2376 < bins["bin_end"].max()
    assert bar["encoding"]["x"]["bin"] == "binned"
    assert bar["encoding"]["x2"]["field"] == "bin_end"
    assert bar["encoding"]["color"]["field"] == "split"
    assert {"tokens", "split", "count"} <= set(tooltip_fields(bar))


def test_sequence_length_chart_marks_max_len(lengths):
    spec = charts.sequence_length_chart(lengths, 300).to_dict()
    rule, text = first(spec, "rule"), first(spec, "text")
    assert rows_of(spec, rule)[0]["length"] == 300
    assert rows_of(spec, text)[0]["label"] == "max_len = 300 (longer newswires are truncated, shorter are padded)"
    empty = charts.sequence_length_chart(lengths.iloc[0:0], 300).to_dict()
    assert rows_of(empty, first(empty, "bar")) == []
    assert rows_of(empty, first(empty, "rule"))[0]["length"] == 300


def test_top_k_chart_highlights_the_true_topic():
    probabilities = pd.DataFrame(
        {
            "topic": ["earn", "acq", "crude", "trade", "money-fx"],
            "probability": [0.61, 0.22, 0.09, 0.05, 0.01],
            "is_true": [False, True, False, False, False],
        }
    )
    spec = charts.top_k_chart(probabilities).to_dict()
    bar = first(spec, "bar")
    assert len(rows_of(spec, bar)) == 5
    encoding = bar["encoding"]
    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("probability", "quantitative")
    assert encoding["y"]["sort"]["order"] == "descending"
    assert encoding["color"]["field"] == "answer"
    assert encoding["color"]["scale"]["domain"] == ["true topic", "other topic"]
    assert bar["transform"][0]["calculate"] == "datum.is_true ? 'true topic' : 'other topic'"
    assert {"topic", "probability", "is_true"} <= set(tooltip_fields(bar))
    charts.top_k_chart(probabilities.iloc[0:0]).to_dict()


def test_charts_module_needs_neither_streamlit_nor_tensorflow():
    # A fresh interpreter: other tests in the session may have imported both.
    code = "import sys, core.charts; sys.exit(bool({'streamlit', 'tensorflow'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd=PROJECT_ROOT).returncode == 0


def test_method_charts_take_the_pages_words(frame):
    words = {"loss": "损失", "epoch": "轮次", "split": "数据集", "train": "训练", "validation": "验证", "lr_halves": "学习率减半"}
    spec = charts.metric_chart(frame, rule_epoch=2, texts=words).to_dict()
    line = first(spec, "line")
    assert spec["hconcat"][0]["title"] == "损失" and line["encoding"]["x"]["title"] == "轮次"
    assert line["encoding"]["color"]["scale"]["domain"] == ["训练", "验证"]
    assert line["encoding"]["color"]["scale"]["range"] == [charts.SPLIT_COLOURS["train"], charts.SPLIT_COLOURS["validation"]]
    assert [row["label"] for row in rows_of(spec, first(spec, "rule"))] == ["学习率减半"]
    lr = charts.learning_rate_chart(frame, 2, texts=words).to_dict()
    assert [row["label"] for row in rows_of(lr, first(lr, "text"))] == ["学习率减半"]
