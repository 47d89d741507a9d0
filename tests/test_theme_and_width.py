"""Charts stay readable on the dark theme and can fit a phone: checks on the chart specs themselves.

The app follows the viewer's light or dark preference (.streamlit/config.toml
sets no base theme), so nothing drawn on a chart may rely on a white
background; the browser tests in test_browser.py look at both themes and at a
400-px window.
"""

from __future__ import annotations

import pandas as pd

from core import charts


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(run="r", method="fit", epoch=e, split=s, metric=m, value=0.5, learning_rate=0.001, seconds=1.0)
            for e in (1, 2)
            for s in ("train", "validation")
            for m in charts.METRIC_TITLES
        ]
    )


def marks(spec: dict) -> list[dict]:
    """Every mark definition in a spec, however deeply layered or concatenated."""
    found = [spec["mark"] if isinstance(spec["mark"], dict) else {"type": spec["mark"]}] if "mark" in spec else []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            found += marks(child)
    return found


def test_text_drawn_on_charts_has_a_colour_that_reads_on_both_themes():
    per_topic = pd.DataFrame(
        {
            "topic": ["earn", "acq"],
            "test_newswires": [800, 400],
            "train_newswires": [3000, 1500],
            "accuracy": [0.9, 0.8],
            "times_predicted": [820, 390],
        }
    )
    specs = [
        charts.per_topic_accuracy_chart(per_topic, overall=0.62).to_dict(),
        charts.metric_chart(frame(), rule_epoch=2).to_dict(),
        charts.learning_rate_chart(frame(), halving_epoch=2).to_dict(),
    ]
    texts = [mark for spec in specs for mark in marks(spec) if mark["type"] == "text"]
    assert len(texts) >= 3
    # Vega's default is black, invisible on the dark theme.
    assert all(mark.get("color") == charts.RULE_COLOUR for mark in texts), texts


def test_the_confusion_colours_leave_out_the_near_white_and_near_black_ends():
    cells = pd.DataFrame(
        {"true": ["earn", "acq"], "predicted": ["earn", "earn"], "count": [10, 1], "share": [1.0, 0.5], "correct": [True, False]}
    )
    scale = charts.confusion_chart(cells, ["earn", "acq"]).to_dict()["encoding"]["color"]["scale"]
    low, high = scale["scheme"]["extent"]
    assert scale["scheme"]["name"] == "blues" and 0 < low and high < 1


def test_separate_panels_fill_their_container_and_keep_the_legend_underneath():
    for chart in (charts.metric_chart(frame(), rule_epoch=2), charts.comparison_chart(frame())):
        panels = charts.as_separate_panels(chart)
        assert [panel.to_dict()["title"] for panel in panels] == list(charts.METRIC_TITLES.values())
        for panel in panels:
            spec = panel.to_dict()
            assert spec["width"] == "container"
            assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}  # the height stays PANEL_HEIGHT
            assert spec["config"]["legend"]["orient"] == "bottom"
        assert chart.to_dict()["hconcat"][0]["width"] == charts.PANEL_WIDTH, "the concatenated chart is left as it was"


def test_a_separate_panel_carries_its_data_with_or_without_the_halving_rule():
    # Without a rule every panel shares one frame, which alt.hconcat lifts to the concatenation:
    # the model.fit and custom-loop pages drew empty panels until the panels took it back.
    rows = len(frame())
    for rule_epoch in (None, 2):
        for panel in charts.as_separate_panels(charts.metric_chart(frame(), rule_epoch=rule_epoch)):
            spec = panel.to_dict()
            assert max(len(values) for values in spec["datasets"].values()) == rows, (rule_epoch, spec["datasets"].keys())
