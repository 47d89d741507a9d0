"""The book's published results, as data: what the chapter printed for each method, epoch by epoch.

The chapter this app is built from ("6-2,训练模型的3种方法", written for
TensorFlow 2.1) trains the same network three ways for 10 epochs and prints
its figures. `BOOK_EPOCHS` holds them exactly as printed (4 decimals from the
`fit` progress bar, full float32 digits from the two loops); `reference_frame`
turns them into the long-form metrics frame the charts read, so the book's
curves can be overlaid on the app's runs; `reference_summary` and
`REFERENCE_BANDS` give the yardstick a run of this port is judged against.

What the printed figures mean differs by method:

* `fit`: the Keras progress bar's epoch averages over all 8,982 training
  newswires, and the whole test set (2,246) as validation. The only method that
  printed epoch durations ("11s", "9s", ...) and no clock times.
* `train_on_batch`: the train figures are those of the LAST BATCH ONLY.
  `train_on_batch` resets the metrics after every batch, and 8,982 = 280 × 32 + 22,
  so the last batch holds 22 newswires: hence accuracies like 0.90909094 = 20/22,
  0.95454544 = 21/22 and 1.0. The valid figures, by contrast, accumulate over the
  whole test set (`test_on_batch(..., reset_metrics=False)`). The loop halves the
  learning rate before epoch 5 (it prints "Lowering optimizer Learning Rate..."),
  so epochs 5-10 train at 0.0005 instead of Nadam's default 0.001.
* `custom_loop`: averages over the epoch (the train loss is the plain mean of the
  per-batch losses) and the whole test set; it tracks no top-5 accuracy, so
  those figures are None here and absent from the frame.

The two loops printed a clock time after each epoch (`printbar()`, UTC+8); it is
kept as `clock`. Epoch durations are not derived from those times: they have a
one-second resolution and the first epoch has no start time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from core.records import FRAME_COLUMNS, METRICS

REFERENCE_SOURCE = (
    'Book chapter "6-2,训练模型的3种方法" (three ways to train a model), written for TensorFlow 2.1: '
    "the same Conv1D network on Reuters newswires (max_len 300, batch 32, Nadam), 10 epochs per method, "
    "figures as printed in the chapter."
)

# The band of validation accuracy (the Reuters test set) that a run of this
# network should land in, judged from the book's three runs: they peak at
# 0.634-0.651 and end at 0.612-0.622. A port that lands elsewhere differs in
# more than random initialisation.
REFERENCE_BANDS: dict[str, tuple[float, float]] = {
    "peak_val_accuracy": (0.62, 0.66),
    "final_val_accuracy": (0.60, 0.65),
}

BOOK_LEARNING_RATE = 0.001  # tf.keras.optimizers.Nadam's default in TF 2.1
BOOK_HALVING_EPOCH = 5  # train_on_batch: the rate halves before this epoch


def book_run_label(method: str) -> str:
    """The `run` value of the book's rows, e.g. "book · fit"."""
    return f"book · {method}"


@dataclass(frozen=True)
class BookEpoch:
    """One epoch as the chapter printed it. Names follow `core.records.EpochRow`: val_* is the test set."""

    method: str  # "fit", "train_on_batch" or "custom_loop"
    epoch: int  # 1-based
    loss: float
    accuracy: float
    top5_accuracy: float | None  # None: not printed (custom_loop)
    val_loss: float
    val_accuracy: float
    val_top5_accuracy: float | None
    learning_rate: float
    seconds: float | None  # None: not printed (only fit prints durations)
    clock: str  # the printbar() time after the epoch, "" where none was printed


def _fit(
    epoch: int, seconds: float, loss: float, acc: float, top5: float, val_loss: float, val_acc: float, val_top5: float
) -> BookEpoch:
    return BookEpoch("fit", epoch, loss, acc, top5, val_loss, val_acc, val_top5, BOOK_LEARNING_RATE, seconds, "")


def _batches(
    epoch: int, clock: str, loss: float, acc: float, top5: float, val_loss: float, val_acc: float, val_top5: float
) -> BookEpoch:
    rate = BOOK_LEARNING_RATE / 2 if epoch >= BOOK_HALVING_EPOCH else BOOK_LEARNING_RATE
    return BookEpoch("train_on_batch", epoch, loss, acc, top5, val_loss, val_acc, val_top5, rate, None, clock)


def _custom(epoch: int, clock: str, loss: float, acc: float, val_loss: float, val_acc: float) -> BookEpoch:
    return BookEpoch("custom_loop", epoch, loss, acc, None, val_loss, val_acc, None, BOOK_LEARNING_RATE, None, clock)


# Copied from the chapter's printouts, one line per printed epoch, in printed order.
BOOK_EPOCHS: tuple[BookEpoch, ...] = (
    # fit: "281/281 - 11s 37ms/step - loss - sparse_categorical_accuracy - sparse_top_k_categorical_accuracy - val_..."
    #     epoch, s, loss,  acc,    top5,   val_loss, val_acc, val_top5
    _fit(1, 11, 2.0231, 0.4636, 0.7450, 1.7346, 0.5534, 0.7560),
    _fit(2, 9, 1.5079, 0.6091, 0.7901, 1.5475, 0.6109, 0.7792),
    _fit(3, 9, 1.2204, 0.6823, 0.8448, 1.5455, 0.6367, 0.8001),
    _fit(4, 9, 0.9382, 0.7543, 0.9075, 1.6780, 0.6398, 0.8032),
    _fit(5, 10, 0.6791, 0.8255, 0.9513, 1.9426, 0.6376, 0.7956),
    _fit(6, 9, 0.5063, 0.8762, 0.9716, 2.2141, 0.6291, 0.7947),
    _fit(7, 10, 0.4031, 0.9050, 0.9817, 2.4126, 0.6264, 0.7947),
    _fit(8, 10, 0.3380, 0.9205, 0.9881, 2.5366, 0.6242, 0.7974),
    _fit(9, 10, 0.2921, 0.9299, 0.9909, 2.6564, 0.6242, 0.7983),
    _fit(10, 9, 0.2613, 0.9334, 0.9947, 2.7365, 0.6220, 0.8005),
    # train_on_batch: "train: {...}" (last batch, 22 newswires) then "valid: {...}" (whole test set)
    #         epoch, clock,   loss,        acc,        top5,       val_loss,  val_acc,    val_top5
    _batches(1, "13:09:19", 0.82411176, 0.77272725, 0.8636364, 1.9265995, 0.5743544, 0.75779164),
    _batches(2, "13:09:27", 0.6006621, 0.90909094, 0.95454544, 1.844159, 0.6126447, 0.7920748),
    _batches(3, "13:09:35", 0.36935613, 0.90909094, 0.95454544, 2.163433, 0.63312554, 0.8045414),
    _batches(4, "13:09:42", 0.2304088, 0.90909094, 1.0, 2.8911984, 0.6344613, 0.7978629),
    _batches(5, "13:09:51", 0.111194365, 0.95454544, 1.0, 3.6431572, 0.6295637, 0.7978629),
    _batches(6, "13:09:59", 0.07741702, 0.95454544, 1.0, 4.074161, 0.6255565, 0.794301),
    _batches(7, "13:10:07", 0.056113098, 1.0, 1.0, 4.4461513, 0.6273375, 0.79652715),
    _batches(8, "13:10:17", 0.043448802, 1.0, 1.0, 4.7687583, 0.6224399, 0.79741764),
    _batches(9, "13:10:26", 0.035002146, 1.0, 1.0, 5.130505, 0.6175423, 0.794301),
    _batches(10, "13:10:34", 0.028303564, 1.0, 1.0, 5.4559293, 0.6148709, 0.7947462),
    # custom_loop: "Epoch=1,Loss:...,Accuracy:...,Valid Loss:...,Valid Accuracy:..."
    #       epoch, clock,   loss,        acc,         val_loss,   val_acc
    _custom(1, "13:12:03", 2.02051544, 0.460253835, 1.75700927, 0.536954582),
    _custom(2, "13:12:09", 1.510795, 0.610665798, 1.55349839, 0.616206586),
    _custom(3, "13:12:17", 1.19221532, 0.696170092, 1.52315605, 0.651380241),
    _custom(4, "13:12:23", 0.90101546, 0.766310394, 1.68327653, 0.648263574),
    _custom(5, "13:12:30", 0.655430496, 0.831329346, 1.90872383, 0.641139805),
    _custom(6, "13:12:37", 0.492730737, 0.877866864, 2.09966016, 0.63223511),
    _custom(7, "13:12:44", 0.391238362, 0.904030263, 2.27431226, 0.625111282),
    _custom(8, "13:12:51", 0.327761739, 0.922066331, 2.42568827, 0.617542326),
    _custom(9, "13:12:58", 0.285573095, 0.930527747, 2.55942106, 0.612644672),
    _custom(10, "13:13:05", 0.255482465, 0.936094403, 2.67789412, 0.612199485),
)


def reference_frame() -> pd.DataFrame:
    """The book's figures in the long form of `records_to_frame`, run labels "book · <method>".

    Figures the book did not print (custom_loop's top-5) are left out rather than
    filled in; unknown durations are NaN; `finished_at` is the printed clock time.
    """
    rows = [
        {
            "run": book_run_label(row.method),
            "method": row.method,
            "epoch": row.epoch,
            "split": split,
            "metric": metric,
            "value": value,
            "learning_rate": row.learning_rate,
            "seconds": math.nan if row.seconds is None else float(row.seconds),
            "finished_at": row.clock,
        }
        for row in BOOK_EPOCHS
        for metric in METRICS
        for split, prefix in (("train", ""), ("validation", "val_"))
        if (value := getattr(row, prefix + metric)) is not None
    ]
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    # The same dtypes as records_to_frame, so the two concatenate cleanly.
    return frame.astype({"epoch": "int64", "value": "float64", "learning_rate": "float64", "seconds": "float64"})


def reference_summary() -> pd.DataFrame:
    """One row per method: best validation accuracy, the epoch it came at, and the final one."""
    accuracy = reference_frame().query("split == 'validation' and metric == 'accuracy'").sort_values("epoch")
    rows = []
    for method, runs in accuracy.groupby("method", sort=False):
        best = runs.loc[runs["value"].idxmax()]  # the first epoch reaching the best value
        rows.append(
            {
                "method": method,
                "run": book_run_label(method),
                "best_val_accuracy": float(best["value"]),
                "best_epoch": int(best["epoch"]),
                "final_val_accuracy": float(runs["value"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows, columns=["method", "run", "best_val_accuracy", "best_epoch", "final_val_accuracy"])
