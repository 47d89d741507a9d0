"""Run records: what a run was asked to do, what it measured each epoch, how it ended.

A `RunRecord` holds the settings, one `EpochRow` per finished epoch, the status
(core.states' `RunStatus`), how it ended (a `RunMessage`), times and library
versions. Runs live in the run store (core.store), written by one recorder
(core.runs.recorder). A record also reads and writes itself as JSON: the export
format, and the format of older versions' runs folder ($TRAINING_RUNS_DIR, or
`runs/` in the project), which the store imports once (`list_records`).
`records_to_frame` turns records into the long-form table every chart reads.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core import config
from core.plain_text import spreadsheet_safe
from core.states import RunMessage, RunStatus

RUNS_DIR_ENV = config.RUNS_DIR_ENV  # the folder's variable (core.config)
RECORD_FORMAT = 1

# One point of a run's per-batch curve: the global step (1-based), its epoch, what the method reported
# for that step (fit and the custom loop: the running mean over the epoch so far; train_on_batch in
# Keras 3.15: that one batch's figures), and the running mean over the epoch so far.
BATCH_FIELDS = ("step", "epoch", "loss", "accuracy", "mean_loss", "mean_accuracy")
MAX_BATCH_POINTS = 1000  # per run: when full, every other point goes and the stride doubles
METRICS = ("loss", "accuracy", "top5_accuracy")
FRAME_COLUMNS = ["run", "method", "epoch", "split", "metric", "value", "learning_rate", "seconds", "finished_at"]


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class EpochRow:
    """The figures of one finished epoch; every trainer reports exactly these."""

    epoch: int  # 1-based
    loss: float  # mean training loss over the epoch's batches, weighted by batch size
    accuracy: float  # training accuracy over the whole epoch
    top5_accuracy: float
    val_loss: float  # over the whole test set, after the epoch's last update
    val_accuracy: float
    val_top5_accuracy: float
    learning_rate: float  # the rate used during this epoch
    seconds: float  # wall time of the epoch, validation included
    finished_at: str  # local ISO time, like the chapter's printbar() timestamps

    def is_finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.loss, self.val_loss, self.accuracy, self.val_accuracy))


@dataclass
class RunRecord:
    """Everything about one run of one method."""

    run_id: str  # unique, safe as a file name: made here, never from user text
    method: str
    settings: dict[str, Any]  # RunSettings.to_dict()
    label: str = ""  # a human label for charts ("fit · 14:02:11"), free text, never a path
    epochs: list[EpochRow] = field(default_factory=list)
    status: RunStatus = RunStatus.RUNNING
    message: RunMessage = field(default_factory=RunMessage)  # why it stopped or failed
    started_at: str = field(default_factory=now_iso)
    ended_at: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    format: int = RECORD_FORMAT
    fingerprint: str | None = None  # everything that decides its numbers, hashed (core.fingerprint)
    batches: list[tuple[float, ...]] = field(default_factory=list)  # per-batch curve, BATCH_FIELDS per point
    batch_stride: int = 1  # points are kept for every batch_stride-th step

    def wants_batch(self, step: int) -> bool:
        return step % self.batch_stride == 0

    def add_batch(self, step: int, epoch: int, reported: Mapping[str, Any], running: Mapping[str, Any]) -> None:
        """Keep one step's figures, bounded: a long run keeps every 2nd, 4th... step, evenly spread."""
        if not self.wants_batch(step):
            return
        self.batches.append(
            (
                step,
                epoch,
                float(reported["loss"]),
                float(reported["accuracy"]),
                float(running["loss"]),
                float(running["accuracy"]),
            )
        )
        if len(self.batches) >= MAX_BATCH_POINTS:
            self.batch_stride *= 2
            self.batches = [point for point in self.batches if point[0] % self.batch_stride == 0]

    @classmethod
    def start(cls, method: str, settings: dict[str, Any], label: str = "", fingerprint: str | None = None) -> RunRecord:
        started = datetime.now()
        run_id = f"{started:%Y%m%d-%H%M%S}-{method}-{uuid.uuid4().hex[:6]}"
        return cls(
            run_id=run_id,
            method=method,
            settings=dict(settings),
            label=label or f"{method} · {started:%H:%M:%S}",
            versions=library_versions(),
            fingerprint=fingerprint,
        )

    def end(self, status: RunStatus, message: RunMessage | None = None) -> RunRecord:
        self.status, self.message, self.ended_at = status, message or RunMessage(), now_iso()
        return self

    def to_dict(self) -> dict[str, Any]:
        """As JSON values: the message in English, for whoever reads the file, and as data (`message_data`) to read back."""
        values = asdict(self)
        values["status"] = str(self.status)
        values["message"], values["message_data"] = str(self.message), self.message.data()
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}
        message = RunMessage.from_data(values.get("message_data"))
        values = {k: v for k, v in values.items() if k in known}
        if not isinstance(values.get("message", ""), str):
            raise ValueError("not a run record (a text field holds something else)")
        # A file from before messages were data holds the English sentence: shown as it is.
        values["message"] = message or RunMessage.plain(values.get("message", ""))
        if not isinstance(values.get("status"), str) or values["status"] not in set(RunStatus):
            raise ValueError(f"not a run record (status {values.get('status')!r})")
        values["status"] = RunStatus(values["status"])
        values["epochs"] = [EpochRow(**row) for row in values.get("epochs", [])]
        values["batches"] = _batch_points(values.get("batches", []))
        record = cls(**values)
        if not isinstance(record.run_id, str) or not SAFE_RUN_ID.fullmatch(record.run_id):
            raise ValueError(f"not a run record (id {record.run_id!r})")
        # A hand-edited or damaged file can hold valid JSON of the wrong types: refuse it here,
        # or sorting by start time and drawing the curves would fail for every record in the folder.
        texts = (record.method, record.label, record.started_at)
        if (
            not all(isinstance(text, str) for text in texts)
            or not isinstance(record.settings, dict)
            or not (record.fingerprint is None or isinstance(record.fingerprint, str))
            or not isinstance(record.versions, dict)
            or not (record.ended_at is None or isinstance(record.ended_at, str))
            or (isinstance(record.batch_stride, bool) or not isinstance(record.batch_stride, int) or record.batch_stride < 1)
        ):
            raise ValueError("not a run record (a text field holds something else)")
        for position, row in enumerate(record.epochs, 1):
            numbers = [getattr(row, f.name) for f in fields(EpochRow) if f.name != "finished_at"]
            if (
                isinstance(row.epoch, bool)
                or not isinstance(row.epoch, int)
                or not isinstance(row.finished_at, str)
                or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers)
            ):
                raise ValueError(f"not a run record (its epoch row {position} holds a figure that is not a number)")
        return record

    @property
    def best_epoch(self) -> EpochRow | None:
        """The epoch with the highest validation accuracy (the first one, on a tie); None before any epoch."""
        return max(self.epochs, key=lambda row: row.val_accuracy, default=None)

    @property
    def best_val_accuracy(self) -> float | None:
        best = self.best_epoch
        return None if best is None else best.val_accuracy


def _batch_points(values: Any) -> list[tuple[float, ...]]:
    """A stored per-batch curve back as tuples; refuses anything else (a hostile file may hold anything)."""
    if not isinstance(values, list) or len(values) > MAX_BATCH_POINTS:
        raise ValueError(f"not a run record (its per-batch curve is not a list of at most {MAX_BATCH_POINTS} points)")
    points = []
    for point in values:
        if (
            not isinstance(point, (list, tuple))
            or len(point) != len(BATCH_FIELDS)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
        ):
            raise ValueError("not a run record (a point of its per-batch curve is not six numbers)")
        points.append(tuple(point))
    return points


def library_versions() -> dict[str, str]:
    """Versions that change results, stored with every record."""
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for package in ("tensorflow", "tensorflow-cpu", "keras", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


# ---------------------------------------------------------------------------
# Files

SAFE_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}")


def runs_dir() -> Path:
    return config.environment().runs_dir


def record_path(record: RunRecord, folder: Path | None = None) -> Path:
    if not SAFE_RUN_ID.fullmatch(record.run_id) or ".." in record.run_id:
        raise ValueError(f"unsafe run id {record.run_id!r}")
    return (folder or runs_dir()) / f"{record.run_id}.json"


def save_record(record: RunRecord, folder: Path | None = None) -> Path:
    """Write a runs folder's file as older versions did (the app writes runs to the store; the import's tests use this).

    Atomic: a temp file in the same folder, flushed, then renamed over the target.
    """
    target = record_path(record, folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record.to_dict(), indent=1, allow_nan=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(text)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, target)  # atomic on POSIX and Windows
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def load_record(path: Path) -> RunRecord:
    with open(path, encoding="utf-8") as handle:
        return RunRecord.from_dict(json.load(handle))


def list_records(folder: Path | None = None) -> tuple[list[RunRecord], list[str]]:
    """Every readable record in the folder, newest first, and a message per file skipped."""
    folder = folder or runs_dir()
    records: list[RunRecord] = []
    problems: list[str] = []
    if not folder.is_dir():
        return records, problems
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith(".tmp-"):
            continue  # a write that a crash interrupted: the real file is intact
        try:
            records.append(load_record(path))
        except Exception as error:  # corrupt JSON, wrong fields, unreadable: report and skip
            problems.append(f"{path.name}: skipped, not a readable run record ({type(error).__name__}: {error})")
    records.sort(key=lambda r: r.started_at, reverse=True)
    return records, problems


# ---------------------------------------------------------------------------
# Tables


def records_to_frame(records: Iterable[RunRecord]) -> pd.DataFrame:
    """Long form: one row per (run, epoch, split, metric), the shape every chart reads."""
    rows = []
    for record in records:
        for row in record.epochs:
            for metric in METRICS:
                for split, prefix in (("train", ""), ("validation", "val_")):
                    rows.append(
                        {
                            "run": record.label or record.run_id,
                            "method": record.method,
                            "epoch": row.epoch,
                            "split": split,
                            "metric": metric,
                            "value": getattr(row, prefix + metric),
                            "learning_rate": row.learning_rate,
                            "seconds": row.seconds,
                            "finished_at": row.finished_at,
                        }
                    )
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    return frame.astype({"epoch": "int64", "value": "float64", "learning_rate": "float64", "seconds": "float64"})


def epochs_table(record: RunRecord) -> pd.DataFrame:
    """One row per epoch, wide, like the chapter's printout (with its timestamps)."""
    frame = pd.DataFrame([asdict(row) for row in record.epochs], columns=[f.name for f in fields(EpochRow)])
    return frame


def record_to_csv(record: RunRecord) -> str:
    """The epochs as CSV; text cells a spreadsheet would run as a formula are neutralised (numbers are not)."""
    table = epochs_table(record)
    table.insert(0, "method", record.method)
    table.insert(0, "run_id", record.run_id)
    return spreadsheet_safe(table).to_csv(index=False)


def record_to_json(record: RunRecord) -> str:
    return json.dumps(record.to_dict(), indent=1, allow_nan=True)
