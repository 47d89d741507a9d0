"""core.reference: the book's printed figures, their long-form frame and the yardstick drawn from them."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.records import records_to_frame
from core.reference import (
    BOOK_EPOCHS,
    REFERENCE_BANDS,
    REFERENCE_SOURCE,
    book_run_label,
    reference_frame,
    reference_summary,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FRAME_COLUMNS = ["run", "method", "epoch", "split", "metric", "value", "learning_rate", "seconds", "finished_at"]
METHODS = ("fit", "train_on_batch", "custom_loop")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return reference_frame()


def value(frame: pd.DataFrame, method: str, epoch: int, split: str, metric: str) -> float:
    picked = frame[(frame.method == method) & (frame.epoch == epoch) & (frame.split == split) & (frame.metric == metric)]
    assert len(picked) == 1, picked
    return float(picked["value"].iloc[0])


def test_frame_has_exactly_the_long_form_columns(frame):
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame["epoch"].dtype == "int64"
    assert frame["value"].notna().all()  # nothing the book did not print is filled in


def test_ten_epochs_per_method(frame):
    for method in METHODS:
        rows = frame[frame.method == method]
        assert sorted(rows["epoch"].unique()) == list(range(1, 11)), method
        assert set(rows["run"]) == {book_run_label(method)} == {f"book · {method}"}
    assert frame.groupby("method").size().to_dict() == {"fit": 60, "train_on_batch": 60, "custom_loop": 40}


def test_custom_loop_has_no_top5(frame):
    loop = frame[frame.method == "custom_loop"]
    assert set(loop["metric"]) == {"loss", "accuracy"}
    assert set(frame[frame.method != "custom_loop"]["metric"]) == {"loss", "accuracy", "top5_accuracy"}


@pytest.mark.parametrize(
    ("method", "epoch", "split", "metric", "printed"),
    [
        ("fit", 1, "validation", "accuracy", 0.5534),
        ("fit", 1, "train", "loss", 2.0231),
        ("fit", 10, "validation", "top5_accuracy", 0.8005),
        ("train_on_batch", 5, "validation", "loss", 3.6431572),
        ("train_on_batch", 1, "train", "top5_accuracy", 0.8636364),
        ("train_on_batch", 10, "validation", "accuracy", 0.6148709),
        ("custom_loop", 10, "validation", "accuracy", 0.612199485),
        ("custom_loop", 3, "validation", "accuracy", 0.651380241),
        ("custom_loop", 1, "train", "loss", 2.02051544),
    ],
)
def test_numbers_are_the_printed_ones(frame, method, epoch, split, metric, printed):
    assert value(frame, method, epoch, split, metric) == printed


def test_train_on_batch_train_figures_are_one_batch_of_22(frame):
    # 8,982 = 280 × 32 + 22: every printed train accuracy is k/22 in float32.
    accuracies = frame[(frame.method == "train_on_batch") & (frame.split == "train") & (frame.metric == "accuracy")]["value"]
    assert all(abs(a * 22 - round(a * 22)) < 1e-5 for a in accuracies)
    assert value(frame, "train_on_batch", 2, "train", "accuracy") == pytest.approx(20 / 22, abs=1e-7)


def test_learning_rate_halves_at_epoch_5_for_train_on_batch_only(frame):
    rates = frame.drop_duplicates(["method", "epoch"]).set_index(["method", "epoch"])["learning_rate"]
    assert [rates["train_on_batch", e] for e in range(1, 11)] == [0.001] * 4 + [0.0005] * 6
    assert set(rates["fit"]) == {0.001}
    assert set(rates["custom_loop"]) == {0.001}


def test_seconds_and_clock_times_where_printed(frame):
    per_epoch = frame.drop_duplicates(["method", "epoch"]).set_index(["method", "epoch"])
    assert list(per_epoch.loc["fit", "seconds"]) == [11, 9, 9, 9, 10, 9, 10, 10, 10, 9]
    assert per_epoch.loc["train_on_batch", "seconds"].isna().all()
    assert per_epoch.loc["custom_loop", "seconds"].isna().all()
    assert set(per_epoch.loc["fit", "finished_at"]) == {""}
    assert per_epoch.loc[("train_on_batch", 1), "finished_at"] == "13:09:19"
    assert per_epoch.loc[("custom_loop", 10), "finished_at"] == "13:13:05"


def test_book_epochs_are_immutable():
    with pytest.raises(AttributeError):
        BOOK_EPOCHS[0].loss = 0.0  # type: ignore[misc]


def test_summary_is_computed_from_the_data():
    summary = reference_summary().set_index("method")
    assert list(summary.index) == list(METHODS)
    assert summary.loc["fit", "best_val_accuracy"] == 0.6398
    assert summary.loc["fit", "best_epoch"] == 4
    assert summary.loc["fit", "final_val_accuracy"] == 0.6220
    assert summary.loc["custom_loop", "best_val_accuracy"] == 0.651380241
    assert summary.loc["custom_loop", "best_epoch"] == 3
    assert summary.loc["custom_loop", "final_val_accuracy"] == 0.612199485
    assert summary.loc["train_on_batch", "best_epoch"] == 4


@pytest.mark.parametrize("method", ["fit", "custom_loop", "train_on_batch"])
def test_book_runs_lie_within_the_bands(method):
    row = reference_summary().set_index("method").loc[method]
    low, high = REFERENCE_BANDS["peak_val_accuracy"]
    assert low <= row["best_val_accuracy"] <= high
    low, high = REFERENCE_BANDS["final_val_accuracy"]
    assert low <= row["final_val_accuracy"] <= high


def test_bands_are_the_project_yardstick():
    assert REFERENCE_BANDS == {"peak_val_accuracy": (0.62, 0.66), "final_val_accuracy": (0.60, 0.65)}


def test_source_names_the_chapter():
    assert "6-2,训练模型的3种方法" in REFERENCE_SOURCE
    assert "TensorFlow 2.1" in REFERENCE_SOURCE


def test_frame_concatenates_with_run_records(frame):
    both = pd.concat([records_to_frame([]), frame], ignore_index=True)
    assert list(both.columns) == FRAME_COLUMNS
    assert both["epoch"].dtype == "int64" and both["value"].dtype == "float64"
    assert math.isclose(both["value"].sum(), frame["value"].sum())


def test_reference_module_needs_neither_streamlit_nor_tensorflow():
    code = "import sys, core.reference; sys.exit(bool({'streamlit', 'tensorflow'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], check=False, cwd=PROJECT_ROOT).returncode == 0
