"""What a comparison of runs says in words: labels naming what differs, where methods agree, sweeps, smoothing.

Plain functions over `RunRecord`s, no Streamlit and no Altair: `run_labels`
names each selected run by its method and only the settings that differ among
the selection ("fit · lr 0.003"); `method_agreement` pairs fit with each method
that steps as fit does (core/methods.py `agrees_with_fit`) when they start from the same weights and see the same batches and reports
the largest difference per metric; `sweep_settings` builds a bounded grid over
one setting; `smooth` is TensorBoard's debiased exponential moving average for
per-batch curves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from core import methods
from core.records import BATCH_FIELDS, METRICS, RunRecord
from core.settings import RunSettings, SettingsError

# Settings that can tell runs apart, in the order a label names them, with a short name for labels.
# steps_per_execution is left out: it changes speed, not one figure of a run.
LABEL_SETTINGS = {
    "learning_rate": "lr",
    "batch_size": "batch",
    "epochs": "epochs",
    "max_len": "max_len",
    "seed": "seed",
    "shuffle_buffer": "shuffle",
    "lr_halving_epoch": "halving",
    "early_stopping_patience": "early stop",
    "reduce_lr_patience": "reduce lr",
}
# What decides a run's initial weights and the batches it sees (core.training seeds both from `seed`).
SAME_START_SETTINGS = ("seed", "batch_size", "shuffle_buffer", "max_len")
# Settings that change fit's updates away from the custom loop's plain Nadam steps.
FIT_ONLY_CHANGES = ("early_stopping_patience", "reduce_lr_patience")
AGREEMENT_METRICS = tuple(prefix + metric for prefix in ("", "val_") for metric in METRICS)
MAX_DECIMALS = 6

# The settings a sweep can vary, with the values offered first; at most MAX_SWEEP_VALUES are trained.
SWEEP_CHOICES = {
    "learning_rate": (0.0005, 0.001, 0.003, 0.01),
    "batch_size": (16, 32, 64, 128),
    "epochs": (5, 10, 15, 20),
    "max_len": (100, 200, 300, 500),
    "seed": (0, 1, 2, 3),
}
MAX_SWEEP_VALUES = 5


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_labels(
    records: Sequence[RunRecord],
    method_names: Mapping[str, str] | None = None,
    setting_names: Mapping[str, str] | None = None,
    people: Sequence[str] | None = None,
) -> list[str]:
    """One label per record: its method, then only the settings whose values differ among `records`.

    `method_names` and `setting_names` put the words in the page's language. When
    `people` (one name per record) differ, the label starts with the name. Runs
    alike in everything that is named keep apart by their start time, then a number.
    """
    method_names = method_names or {}
    setting_names = {**LABEL_SETTINGS, **(setting_names or {})}
    varying = [key for key in LABEL_SETTINGS if len({_shown(r.settings.get(key)) for r in records}) > 1]
    with_people = people is not None and len(set(people)) > 1
    labels = []
    for position, record in enumerate(records):
        parts = [people[position]] if people is not None and with_people and people[position] else []
        parts.append(method_names.get(record.method, record.method))
        parts += [f"{setting_names[key]} {_shown(record.settings.get(key))}" for key in varying]
        labels.append(" · ".join(parts))
    # Alike in every setting (the same settings trained twice): the time each started tells them apart.
    for label in {label for label in labels if labels.count(label) > 1}:
        for position in [i for i, other in enumerate(labels) if other == label]:
            labels[position] = f"{label} · {records[position].started_at[11:19]}"
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


@dataclass(frozen=True)
class Agreement:
    """How far fit and a method that steps as fit does are apart when they start from the same weights and batches."""

    fit_run: str  # run ids
    custom_run: str  # the partner: the custom loop, or another method that `agrees_with_fit`
    epochs: int  # epochs compared (those both runs finished)
    largest: dict[str, float]  # AGREEMENT_METRICS -> largest absolute difference over those epochs
    same_math: bool  # same learning rate and nothing that changes fit's updates: the figures should match

    @property
    def decimals(self) -> int:
        """To how many decimals (0 to MAX_DECIMALS) the two agree in every metric."""
        worst = max(self.largest.values(), default=0.0)
        if worst <= 0:
            return MAX_DECIMALS
        # A difference below 5e-7 disappears when rounded to 6 decimals, and so on.
        return max(0, min(MAX_DECIMALS, math.floor(-math.log10(2 * worst))))


def _start_key(record: RunRecord) -> tuple:
    """Everything that decides initial weights and batch order, and the library versions that compute them."""
    numeric = tuple(sorted((k, v) for k, v in record.versions.items() if k != "python"))
    return tuple(record.settings.get(key) for key in SAME_START_SETTINGS) + numeric


def method_agreement(records: Iterable[RunRecord]) -> list[Agreement]:
    """For each fit run among `records`, a run of each method that steps as fit does and shares its start:
    the largest difference per metric.

    Imported runs are left out (their data may have been another file), and so are runs
    without a finished epoch. Pairs are made in the order given; each run is used once.
    """
    usable = [r for r in records if r.epochs and not r.run_id.startswith("imported-")]
    agreeing = {m.name for m in methods.REGISTRY if m.agrees_with_fit}
    customs = [r for r in usable if r.method in agreeing]
    found = []
    for fit in (r for r in usable if r.method == "fit"):
        for name in sorted(agreeing, key=methods.number):
            partner = next((c for c in customs if c.method == name and _start_key(c) == _start_key(fit)), None)
            if partner is not None:
                customs.remove(partner)
                found.append(_agreement(fit, partner))
    return found


def _agreement(fit: RunRecord, partner: RunRecord) -> Agreement:
    shared = min(len(fit.epochs), len(partner.epochs))
    largest = {
        metric: max(
            abs(getattr(a, metric) - getattr(b, metric))
            for a, b in zip(fit.epochs[:shared], partner.epochs[:shared], strict=True)
        )
        for metric in AGREEMENT_METRICS
    }
    same_math = fit.settings.get("learning_rate") == partner.settings.get("learning_rate") and not any(
        fit.settings.get(key) for key in FIT_ONLY_CHANGES
    )
    return Agreement(fit.run_id, partner.run_id, shared, largest, same_math)


def sweep_settings(base: RunSettings, method: str, setting: str, values: Iterable[object]) -> list[RunSettings]:
    """`base` with `method`, once per value of `setting` (duplicates dropped, order kept); refused beyond the cap."""
    if setting not in SWEEP_CHOICES:
        raise SettingsError([f"a sweep varies one of {', '.join(SWEEP_CHOICES)}, not {setting!r}"])
    kept = list(dict.fromkeys(values))
    if not 2 <= len(kept) <= MAX_SWEEP_VALUES:
        raise SettingsError([f"a sweep trains 2 to {MAX_SWEEP_VALUES} values, got {len(kept)}"])
    changes: list[dict[str, Any]] = [{setting: value} for value in kept]
    return [replace(base, method=method, **change).validate() for change in changes]


def swept_setting(records: Sequence[RunRecord]) -> str | None:
    """The SWEEP_CHOICES setting whose value differs among `records` (the first such), or None."""
    return next((key for key in SWEEP_CHOICES if len({_shown(r.settings.get(key)) for r in records}) > 1), None)


def parse_sweep_value(setting: str, text: str | float) -> float | int:
    """A value typed into the sweep box, as the setting's type; ValueError with a plain message otherwise."""
    if setting == "learning_rate":
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"{text!r} is not a number")
        return value
    number = float(text)
    if not number.is_integer():
        raise ValueError(f"{text!r} is not a whole number")
    return int(number)


def sweep_results(records: Iterable[RunRecord], setting: str) -> pd.DataFrame:
    """One row per run with a finished epoch: the swept value, the method, final and best validation accuracy."""
    rows = [
        {
            "value": record.settings.get(setting),
            "method": record.method,
            "final val accuracy": record.epochs[-1].val_accuracy,
            "best val accuracy": record.best_val_accuracy,
            "epochs": len(record.epochs),
            "run_id": record.run_id,
        }
        for record in records
        if record.epochs
    ]
    return pd.DataFrame(rows, columns=["value", "method", "final val accuracy", "best val accuracy", "epochs", "run_id"])


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's smoothing: an exponential moving average, debiased so the first points are not pulled to 0."""
    if not 0 <= weight < 1:
        raise ValueError(f"the smoothing weight must be in [0, 1), got {weight}")
    smoothed, last = [], 0.0
    for count, value in enumerate(values, 1):
        last = last * weight + (1 - weight) * value
        smoothed.append(last / (1 - weight**count))
    return smoothed


def batch_frame(records: Iterable[RunRecord], labels: Sequence[str], weight: float) -> pd.DataFrame:
    """Long form of the per-batch curves: one row per (run, step, series, metric), raw and smoothed.

    Series "reported" is what the method returned for the step; "mean" is the running
    mean over the epoch so far. Each curve is smoothed on its own.
    """
    columns = ["run", "method", "step", "epoch", "series", "metric", "value", "smoothed"]
    frames = []
    for record, label in zip(records, labels, strict=True):
        if not record.batches:
            continue
        points = pd.DataFrame(record.batches, columns=list(BATCH_FIELDS))
        for series, prefix in (("reported", ""), ("mean", "mean_")):
            for metric in ("loss", "accuracy"):
                values = points[prefix + metric].tolist()
                frames.append(
                    pd.DataFrame(
                        {
                            "run": label,
                            "method": record.method,
                            "step": points["step"].astype("int64"),
                            "epoch": points["epoch"].astype("int64"),
                            "series": series,
                            "metric": metric,
                            "value": values,
                            "smoothed": smooth(values, weight),
                        }
                    )
                )
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).loc[:, columns]


def comparison_summary(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run with epochs: best and final validation figures and timings (plain pandas)."""
    rows = []
    for record in records:
        if not record.epochs:
            continue
        best = record.best_epoch
        assert best is not None  # a record with epochs has a best one
        seconds = [row.seconds for row in record.epochs]
        rows.append(
            {
                "run": record.label,
                "method": record.method,
                "status": str(record.status),
                "best val accuracy": best.val_accuracy,
                "epoch of best": best.epoch,
                "final val accuracy": record.epochs[-1].val_accuracy,
                "final val top-5": record.epochs[-1].val_top5_accuracy,
                "seconds per epoch": sum(seconds) / len(seconds),
                "total seconds": sum(seconds),
            }
        )
    return pd.DataFrame(rows)
