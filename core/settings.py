"""One dataclass for a run's settings, and the one place they are validated.

The sidebar builds a `RunSettings`, the trainers read it, the command line parses
into it, and every run record stores it (`to_dict`). Validation lives in
`validate()` so every entry point gives the same readable messages.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core import methods

# Bounds chosen so a run stays trainable on a 2-core shared server: beyond them
# a run either cannot work (max_len below the conv stack's receptive field) or
# would take hours / exhaust memory for no teaching value.
MAX_EPOCHS = 200
MAX_BATCH_SIZE = 8192
MIN_MAX_LEN = 14  # Conv1D(5) -> pool(2) -> Conv1D(3) -> pool(2) needs >= 14 steps
MAX_MAX_LEN = 2000
MAX_LEARNING_RATE = 1.0
MAX_STEPS_PER_EXECUTION = 256
MAX_SEED = 2**31 - 1

# Whole-number settings and their bounds (inclusive); validate(), the sidebar, links and the command
# line all read them here. Optional ones may also be None ("off"), which the sidebar shows as 0.
WHOLE_BOUNDS: dict[str, tuple[int, int]] = {
    "epochs": (1, MAX_EPOCHS),
    "batch_size": (1, MAX_BATCH_SIZE),
    "max_len": (MIN_MAX_LEN, MAX_MAX_LEN),
    "seed": (0, MAX_SEED),
    "shuffle_buffer": (1, 1_000_000),
    "lr_halving_epoch": (1, MAX_EPOCHS),
    "steps_per_execution": (1, MAX_STEPS_PER_EXECUTION),
    "early_stopping_patience": (1, MAX_EPOCHS),
    "reduce_lr_patience": (1, MAX_EPOCHS),
}
OPTIONAL_FIELDS = frozenset({"lr_halving_epoch", "early_stopping_patience", "reduce_lr_patience"})
# The settings a visitor chooses (sidebar, links, command line), in the sidebar's order. The method is
# the page's (or --method); the shuffle buffer stays the chapter's.
CHOSEN_FIELDS: tuple[str, ...] = (
    "epochs",
    "batch_size",
    "max_len",
    "learning_rate",
    "seed",
    "lr_halving_epoch",
    "steps_per_execution",
    "early_stopping_patience",
    "reduce_lr_patience",
)
# fit's logging callbacks: they write files beside the run and change none of its numbers.
LOGGING_FIELDS: tuple[str, ...] = ("csv_logger", "tensorboard_callback")
SMALLEST_LEARNING_RATE_OFFERED = 1e-6  # the sidebar's lower bound; validate() only asks for > 0


class SettingsError(ValueError):
    """Settings that cannot be trained; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class RunSettings:
    method: str = "fit"  # which trainer runs: a name in core.methods.REGISTRY
    epochs: int = 10  # passes over the 8,982 training newswires
    batch_size: int = 32  # newswires per gradient step (the chapter's BATCH_SIZE)
    max_len: int = 300  # tokens kept per newswire: pre-padded and pre-truncated
    learning_rate: float = 0.001  # Nadam's initial learning rate (Keras default)
    seed: int = 0  # initial weights and shuffle order are a function of this alone
    shuffle_buffer: int = 1000  # tf.data shuffle buffer, as in the chapter
    lr_halving_epoch: int | None = 5  # train_on_batch: halve the LR when this epoch starts; None = never
    steps_per_execution: int = 1  # batches per compiled call: same math, fewer Python round trips
    early_stopping_patience: int | None = None  # fit: stop after this many epochs without val_loss improving
    reduce_lr_patience: int | None = None  # fit: halve the LR after this many epochs without val_loss improving
    csv_logger: bool = False  # fit: add keras.callbacks.CSVLogger; its file is kept with the run (core.run_files)
    tensorboard_callback: bool = False  # fit: add keras.callbacks.TensorBoard (needs the tensorboard package); logs kept

    def validate(self) -> RunSettings:
        """Return self when trainable, else raise SettingsError listing every problem."""
        problems: list[str] = []

        def whole(name: str, low: int, high: int, optional: bool = False) -> None:
            value = getattr(self, name)
            if value is None and optional:
                return
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{name} must be a whole number, got {value!r}")
            elif not low <= value <= high:
                problems.append(f"{name} must be between {low} and {high}, got {value}")

        if self.method not in methods.names():
            problems.append(f"method must be one of {', '.join(methods.names())}, got {self.method!r}")
        for name, (low, high) in WHOLE_BOUNDS.items():
            whole(name, low, high, optional=name in OPTIONAL_FIELDS)
        for name in LOGGING_FIELDS:
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} must be true or false, got {getattr(self, name)!r}")
        lr = self.learning_rate
        # An int is always finite (and math.isfinite() would overflow on a huge one, e.g. from a file).
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or (isinstance(lr, float) and not math.isfinite(lr)):
            problems.append(f"learning_rate must be a finite number, got {lr!r}")
        elif not 0 < lr <= MAX_LEARNING_RATE:
            problems.append(f"learning_rate must be above 0 and at most {MAX_LEARNING_RATE}, got {lr}")
        if problems:
            raise SettingsError(problems)
        return self

    def with_method(self, method: str) -> RunSettings:
        return replace(self, method=method)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunSettings:
        """Build from a dict (a saved record, a URL), ignoring unknown keys."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
