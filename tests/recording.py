"""Helpers shared by the training tests: the figures that must agree, and callbacks that remember."""

from __future__ import annotations

from core.records import EpochRow

FIGURES = ("loss", "accuracy", "top5_accuracy", "val_loss", "val_accuracy", "val_top5_accuracy", "learning_rate")
BATCHES_PER_EPOCH = 12  # 192 training newswires / 16


def figures(record, decimals: int = 4) -> list[tuple[float, ...]]:
    """Every epoch's figures, rounded: what must agree between methods."""
    return [tuple(round(getattr(row, name), decimals) for name in FIGURES) for row in record.epochs]


class Recorder:
    """Callbacks that remember every call."""

    def __init__(self):
        self.batches: list[tuple[int, int, int]] = []
        self.rows: list[EpochRow] = []

    def on_batch(self, epoch: int, done: int, total: int) -> None:
        self.batches.append((epoch, done, total))

    def on_epoch(self, row: EpochRow) -> None:
        self.rows.append(row)
