"""core.compare: labels that name what differs, fit and the custom loop agreeing, sweeps, smoothing."""

from __future__ import annotations

import pytest

from core import compare
from core.records import EpochRow, RunRecord
from core.settings import RunSettings, SettingsError
from core.training import run_training


def record(
    method: str = "fit", run_id: str | None = None, started: str = "2026-01-01T10:00:00", figures=(), **settings
) -> RunRecord:
    values = RunSettings(method=method, **settings).to_dict()
    rows = [
        EpochRow(epoch, loss, acc, acc, loss, acc, acc, values["learning_rate"], 1.0, started)
        for epoch, (loss, acc) in enumerate(figures, 1)
    ]
    return RunRecord(
        run_id=run_id or f"{method}-{len(settings)}-{started[-2:]}",
        method=method,
        settings=values,
        epochs=rows,
        started_at=started,
        versions={"python": "3.11", "keras": "3.15.1"},
    )


def test_labels_name_the_method_and_only_the_settings_that_differ():
    runs = [record("fit", learning_rate=0.003), record("custom_loop", batch_size=64), record("fit")]
    assert compare.run_labels(runs) == [
        "fit · lr 0.003 · batch 32",
        "custom_loop · lr 0.001 · batch 64",
        "fit · lr 0.001 · batch 32",
    ]


def test_labels_use_the_pages_words_and_name_people_only_when_they_differ():
    runs = [record("fit", learning_rate=0.003), record("custom_loop")]
    words = compare.run_labels(runs, {"fit": "model.fit", "custom_loop": "自定义循环"}, {"learning_rate": "学习率"})
    assert words == ["model.fit · 学习率 0.003", "自定义循环 · 学习率 0.001"]
    assert compare.run_labels(runs, people=["Ana", "Ana"]) == ["fit · lr 0.003", "custom_loop · lr 0.001"]
    assert compare.run_labels(runs, people=["Ana", "Bo"]) == ["Ana · fit · lr 0.003", "Bo · custom_loop · lr 0.001"]


def test_runs_alike_in_everything_named_stay_apart():
    runs = [
        record("fit", started="2026-01-01T10:00:00"),
        record("fit", started="2026-01-01T11:30:05"),
        record("fit", started="2026-01-01T11:30:05"),
    ]
    labels = compare.run_labels(runs)
    assert labels == ["fit · 10:00:00", "fit · 11:30:05", "fit · 11:30:05 (2)"]
    assert compare.run_labels([record("fit")]) == ["fit"]


def test_agreement_pairs_runs_with_the_same_start_and_reports_the_largest_difference():
    fit = record("fit", "a", figures=[(2.0, 0.30), (1.5, 0.40)])
    custom = record("custom_loop", "b", figures=[(2.0, 0.30), (1.5, 0.4000004)])
    other_seed = record("custom_loop", "c", figures=[(2.0, 0.3)], seed=1)
    [found] = compare.method_agreement([fit, other_seed, custom])
    assert (found.fit_run, found.custom_run, found.epochs, found.same_math) == ("a", "b", 2, True)
    assert found.largest["loss"] == 0 and found.largest["val_accuracy"] == pytest.approx(4e-7)
    assert found.decimals == 6  # 4e-7 vanishes when rounded to 6 decimals
    assert compare.Agreement("a", "b", 1, {"loss": 0.004}, True).decimals == 2
    assert compare.Agreement("a", "b", 1, {"loss": 0.0}, True).decimals == 6
    assert compare.Agreement("a", "b", 1, {"loss": 3.0}, True).decimals == 0


def test_agreement_needs_the_same_weights_and_batches_and_says_when_the_math_differs():
    fit = record("fit", "a", figures=[(2.0, 0.3)])
    assert compare.method_agreement([fit, record("custom_loop", "b", figures=[(2.0, 0.3)], batch_size=64)]) == []
    assert compare.method_agreement([fit, record("train_on_batch", "b", figures=[(2.0, 0.3)])]) == []
    assert compare.method_agreement([fit, record("custom_loop", "imported-1", figures=[(2.0, 0.3)])]) == []
    [faster] = compare.method_agreement([fit, record("custom_loop", "b", figures=[(1.0, 0.5)], learning_rate=0.01)])
    assert not faster.same_math and faster.largest["loss"] == 1.0
    patient = record("fit", "p", figures=[(2.0, 0.3)], early_stopping_patience=2)
    assert not compare.method_agreement([patient, record("custom_loop", "b", figures=[(2.0, 0.3)])])[0].same_math


def test_fit_and_the_custom_loop_trained_for_real_agree_to_six_decimals(tiny_data, tiny_settings):
    runs = [run_training(tiny_settings.with_method(method), tiny_data) for method in ("fit", "custom_loop")]
    [found] = compare.method_agreement(runs)
    assert found.epochs == tiny_settings.epochs and found.same_math
    assert found.decimals == 6, found.largest


def test_sweep_settings_vary_one_setting_within_the_cap():
    base = RunSettings(epochs=3)
    swept = compare.sweep_settings(base, "custom_loop", "learning_rate", [0.0005, 0.001, 0.003, 0.001])
    assert [(s.method, s.learning_rate, s.epochs) for s in swept] == [
        ("custom_loop", 0.0005, 3),
        ("custom_loop", 0.001, 3),
        ("custom_loop", 0.003, 3),
    ]
    with pytest.raises(SettingsError, match="2 to 5"):
        compare.sweep_settings(base, "fit", "batch_size", [16, 32, 64, 128, 256, 512])
    with pytest.raises(SettingsError, match="2 to 5"):
        compare.sweep_settings(base, "fit", "batch_size", [16])
    with pytest.raises(SettingsError, match="batch_size must be between"):
        compare.sweep_settings(base, "fit", "batch_size", [16, 0])
    with pytest.raises(SettingsError, match="not 'method'"):
        compare.sweep_settings(base, "fit", "method", ["fit", "custom_loop"])


def test_the_swept_setting_is_read_from_the_runs():
    runs = [record("fit", batch_size=16), record("fit", batch_size=64)]
    assert compare.swept_setting(runs) == "batch_size"
    assert compare.swept_setting(runs[:1]) is None


def test_typed_sweep_values_are_read_as_the_settings_type():
    assert compare.parse_sweep_value("learning_rate", "3e-3") == 0.003
    assert compare.parse_sweep_value("batch_size", "64") == 64 and isinstance(
        compare.parse_sweep_value("batch_size", "64.0"), int
    )
    for setting, text in (("batch_size", "6.5"), ("learning_rate", "nan"), ("seed", "many")):
        with pytest.raises(ValueError):
            compare.parse_sweep_value(setting, text)


def test_sweep_results_put_the_swept_value_beside_the_final_accuracy():
    runs = [record("fit", "a", figures=[(2.0, 0.3), (1.0, 0.6)], batch_size=16), record("fit", "b", batch_size=64)]
    table = compare.sweep_results(runs, "batch_size")
    assert table.loc[:, ["value", "final val accuracy", "epochs"]].values.tolist() == [[16, 0.6, 2]]


def test_smoothing_is_tensorboards_debiased_moving_average():
    assert compare.smooth([1.0, 2.0, 3.0], 0.0) == [1.0, 2.0, 3.0]
    assert compare.smooth([5.0, 5.0, 5.0], 0.9) == pytest.approx([5.0, 5.0, 5.0])  # no pull towards 0
    second = (0.5 * 0.5 * 1.0 + 0.5 * 3.0) / (1 - 0.5**2)
    assert compare.smooth([1.0, 3.0], 0.5) == pytest.approx([1.0, second])
    with pytest.raises(ValueError):
        compare.smooth([1.0], 1.0)


def test_batch_frame_holds_both_series_raw_and_smoothed():
    run = record("train_on_batch", "t")
    run.batches = [(1, 1, 2.0, 0.1, 2.0, 0.1), (2, 1, 1.0, 0.3, 1.5, 0.2)]
    frame = compare.batch_frame([run, record("fit", "empty")], ["batch loop", "fit"], weight=0.0)
    assert set(frame["run"]) == {"batch loop"} and len(frame) == 8
    mean_loss = frame[(frame.series == "mean") & (frame.metric == "loss")]
    assert mean_loss["value"].tolist() == [2.0, 1.5] == mean_loss["smoothed"].tolist()
    assert list(compare.batch_frame([], [], 0.5).columns) == [
        "run",
        "method",
        "step",
        "epoch",
        "series",
        "metric",
        "value",
        "smoothed",
    ]


# ---------------------------------------------------------------------------
# Compare's table and sweep controls, through AppTest on the fixture data

from support import apply_tiny_settings, new_app, open_page, wait_for_job  # noqa: E402


def compare_app():
    at = new_app()
    apply_tiny_settings(at, epochs=1)
    open_page(at, "compare").run()
    assert not at.exception
    return at


def test_the_sweep_trains_one_run_per_value_and_draws_accuracy_against_it(app_env):
    at = compare_app()
    at.selectbox(key="sweep_setting").set_value("batch_size").run()
    assert at.multiselect(key="sweep_values_batch_size").value == [16, 32, 64]
    at.button(key="train_sweep").click().run()
    wait_for_job(at, timeout=240)
    snap = at.session_state["job"].snapshot()
    assert [(r.method, r.settings["batch_size"]) for r in snap.records] == [("custom_loop", b) for b in (16, 32, 64)]
    assert not at.exception
    # The sweep's charts were drawn: the overlay's three panels and accuracy against batch size.
    specs = at.session_state["chart_specs"]
    assert {"sweep-0", "sweep-1", "sweep-2", "sweep-result"} <= set(specs)
    result_rows = next(iter(specs["sweep-result"][1]["datasets"].values()))
    assert [row["value"] for row in result_rows] == [16, 32, 64]
    # Every run is in the saved table, and ticking two of them overlays them, labelled by what differs.
    table = at.dataframe(key="runs_table").value
    assert len(table) == 3
    at.session_state["runs_table"] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}
    at.toggle(key="overlay_book").set_value(False).run()
    overlay = at.session_state["chart_specs"]["compare-overlay-0"][1]
    labels = {row["run"] for rows in overlay["datasets"].values() for row in rows if "run" in row}
    # The table lists the newest run first: rows 0 and 2 are batch 64 and batch 16.
    assert labels == {"custom loop · batch 16", "custom loop · batch 64"}
    assert "compare-overlay-batches-0" in at.session_state["chart_specs"]  # their per-batch curves too
    assert [b.label for b in at.get("download_button") if b.key == "download_selected_runs"]
    assert not at.exception


def test_a_sweep_that_cannot_train_says_why_and_offers_no_train_button(app_env):
    at = compare_app()
    at.multiselect(key="sweep_values_learning_rate").set_value([0.001]).run()
    assert any("2 to 5" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "train_sweep"]
    at.multiselect(key="sweep_values_learning_rate").set_value([0.001, "fast"]).run()
    assert any("fast" in e.value for e in at.error)
    assert not at.exception


def test_the_comparison_summary_is_plain_pandas():
    """Best and final validation accuracy per run, computed without Streamlit."""
    from support import make_run

    from core.compare import comparison_summary

    fit, loop = make_run("fit", epochs=3), make_run("custom_loop", epochs=2)
    empty = make_run("train_on_batch", epochs=0, status="stopped")
    table = comparison_summary([fit, empty, loop])
    assert list(table["method"]) == ["fit", "custom_loop"]  # a run without epochs has no row
    assert list(table["epoch of best"]) == [3, 2] and table["best val accuracy"].iloc[0] == pytest.approx(0.43)
    assert table["total seconds"].iloc[0] == pytest.approx(7.5)
