"""Runs in and out of the app as files: a zip of a visitor's runs, and importing one (treated as hostile).

`runs_to_zip` writes each run as `<run_id>.json` (the whole record) and
`<run_id>.csv` (its epochs, like the per-run downloads). `read_runs_file` reads
a JSON record or such a zip back and never raises: whatever the bytes, it
returns an `ImportReport` with the runs that passed every check and, for each
part it skipped, the reason (a catalogue key, so the page says it in the
session's language). A zip's bad members do not stop its good ones.

What a run must be to pass: the file and each member within size caps checked
before reading (a zip bomb is refused unread, and a header that lies about a
member's size is caught by reading no further than the cap); JSON nested no
deeper than the parser's limit; every field of the right type and bounded, so
the database stores it on SQLite and PostgreSQL alike (texts within their
column widths, no NUL or lone surrogates, whole numbers within 32 bits); the
settings valid for `RunSettings`; every figure finite and in the range a run
can produce; epochs and per-batch steps ascending and unique. Imported runs
get new ids and no fingerprint: a file's claims never reach the result cache
other visitors are served from.
"""

from __future__ import annotations

import io
import json
import lzma
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core import methods
from core.plain_text import display_name_text, plain_text
from core.records import MAX_BATCH_POINTS, EpochRow, RunRecord, record_to_csv, record_to_json
from core.settings import RunSettings, SettingsError
from core.states import MessageCode, RunMessage, RunStatus

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a run of 200 epochs and 1,000 batch points is about 150 KB of JSON
MAX_MEMBERS = 500
MAX_MEMBER_BYTES = 1024 * 1024
MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # all members of one zip together: bounds the time spent reading it
MAX_RUNS = 200  # per file
MAX_LABEL = 120
MAX_MESSAGE = 1000  # a failed run's message quotes its error
MAX_TIME_TEXT = 40  # the store's column width for times
MAX_VERSIONS = 12  # library versions kept with a record
MAX_VERSION_TEXT = 40
MAX_SHOWN_NAME = 80  # a file's or member's name as the report shows it
# Keras clips predicted probabilities to [1e-7, 1 - 1e-7], so a cross-entropy is at most -ln(1e-7) = 16.1;
# the bound leaves room without admitting absurd numbers.
MAX_LOSS = 100.0
MAX_EPOCH_SECONDS = 7 * 24 * 3600.0
# In an export, beside the records: the runs' TensorBoard logs, and their own files (core.run_files). An import
# passes over both.
TENSORBOARD_FOLDER = "tensorboard"
FILES_FOLDER = "files"
EXPORT_FOLDERS = (f"{TENSORBOARD_FOLDER}/", f"{FILES_FOLDER}/")
CALLBACK_LOGS = "tensorboard"  # core.run_files.TENSORBOARD_FOLDER: where a run's TensorBoard callback wrote
MAX_BATCH_STRIDE = 2**22  # the stride doubles per 1,000 points kept: 200 epochs of 8,982 steps need 2**11
MAX_STEP = 2**31 - 1  # whole numbers must fit PostgreSQL's integer

# What reading a damaged or hostile zip can raise, from the central directory to each member's
# decompressor (deflate: zlib.error; bzip2: OSError/EOFError; lzma: LZMAError; a method zipfile does
# not know: NotImplementedError; encryption: RuntimeError; a name flagged UTF-8 that is not: UnicodeDecodeError).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    struct.error,
    OverflowError,
)


@dataclass(frozen=True)
class Skip:
    """One part of a file that was not imported, and why (`reason` names the catalogue key `import.why.<reason>`)."""

    part: str  # the zip member's name as plain text; "" for the file as a whole
    reason: str
    values: dict[str, Any] = field(default_factory=dict)
    runs: int = 1  # how many runs this skip stands for (the runs past the cap are counted together)


@dataclass
class ImportReport:
    """What became of one file: the runs to import, and each part skipped. `refused`: nothing of it is imported."""

    name: str  # the file's name as plain text
    runs: list[RunRecord] = field(default_factory=list)  # passed every check, not saved yet
    skipped: list[Skip] = field(default_factory=list)
    refused: Skip | None = None
    imported: int = 0  # runs saved: set by `saved()` once they are in the store

    def saved(self) -> ImportReport:
        """The runs are in the store now: keep their count, not the records (a report stays in session state)."""
        self.imported, self.runs = len(self.runs), []
        return self

    @property
    def skipped_runs(self) -> int:
        return sum(skip.runs for skip in self.skipped)

    def refuse(self, reason: str, **values: Any) -> ImportReport:
        """The whole file is refused (also after reading, when it cannot be saved): nothing of it is imported."""
        self.runs = []
        self.refused = Skip("", reason, values)
        return self


class _Refused(ValueError):
    """A run record (or a file) fails a check; carries the report's reason."""

    def __init__(self, reason: str, **values: Any):
        super().__init__(reason)
        self.reason, self.values = reason, values


def runs_to_zip(
    records: Iterable[RunRecord], tensorboard: bool = False, files: dict[str, dict[str, bytes]] | None = None
) -> bytes:
    """Each run as `<run_id>.json` and `<run_id>.csv`; with `tensorboard`, also a TensorBoard log directory of them
    under `tensorboard/` (core.tensorboard_logs: one sub-directory per run; TensorFlow is imported for it).

    `files`: run id -> the run's own files (core.run_files). What Keras' TensorBoard callback wrote goes to
    `tensorboard/<run_id>/callback/`, beside the run's logs; the rest (CSVLogger's file, the callbacks that
    ran) to `files/<run_id>/`.
    """
    records = list(records)
    files = files or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record.run_id}.json", record_to_json(record))
            archive.writestr(f"{record.run_id}.csv", record_to_csv(record))
        for record in records:
            for path, content in sorted(files.get(record.run_id, {}).items()):
                if path.startswith(f"{CALLBACK_LOGS}/"):
                    archive.writestr(
                        f"{TENSORBOARD_FOLDER}/{record.run_id}/callback/{path.removeprefix(CALLBACK_LOGS + '/')}", content
                    )
                else:
                    archive.writestr(f"{FILES_FOLDER}/{record.run_id}/{path}", content)
        if tensorboard and records:
            from core.tensorboard_logs import write_logs

            with tempfile.TemporaryDirectory(prefix="tensorboard-") as folder:
                write_logs(records, Path(folder))
                for log_file in sorted(Path(folder).rglob("*")):
                    if log_file.is_file():
                        archive.write(log_file, f"{TENSORBOARD_FOLDER}/{log_file.relative_to(folder).as_posix()}")
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Checking one record, field by field


def _is_whole(value: Any) -> bool:
    return type(value) is int  # JSON gives plain ints; a bool is not a number here


def _figure(value: Any, low: float, high: float) -> bool:
    """A JSON number within [low, high]. NaN fails every comparison and infinities fail the bounds;
    an int of any size compares exactly (math.isfinite() would overflow on 10**400)."""
    return type(value) in (int, float) and low <= value <= high


def _text(values: dict[str, Any], name: str, limit: int, default: str | None = None) -> str:
    """A free-text field, made plain and cut to `limit`: a label or message says what it says, bounded."""
    value = values.get(name, default)
    if not isinstance(value, str):
        raise _Refused("field_type", field=name)
    return plain_text(value, limit)


def _message(values: dict[str, Any]) -> RunMessage:
    """How the run ended: as data when the file holds a message this app reads (`message_data`, its texts
    made plain and bounded), else the file's English sentence, shown as it is."""
    message = RunMessage.from_data(values.get("message_data"))
    if message is None:
        return RunMessage.plain(_text(values, "message", MAX_MESSAGE, default=""))
    bounded = {k: plain_text(v, MAX_MESSAGE) if isinstance(v, str) else v for k, v in message.values.items()}
    return RunMessage(message.code, bounded, plain_text(message.not_saved, MAX_MESSAGE))


def _time(value: Any, name: str) -> str:
    """An ISO date and time, as the app writes them (bounded before parsing, rewritten from the parsed value)."""
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        raise _Refused("time", field=name)
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise _Refused("time", field=name) from None


def _settings(values: dict[str, Any], method: str) -> dict[str, Any]:
    """The record's settings, checked by RunSettings itself; missing ones take RunSettings' defaults."""
    raw = values.get("settings")
    if not isinstance(raw, dict):
        raise _Refused("field_type", field="settings")
    if raw.get("method", method) != method:
        raise _Refused("settings_method")
    try:
        settings = RunSettings.from_dict({**raw, "method": method}).validate()
    except SettingsError as error:
        raise _Refused("settings", problems=plain_text("; ".join(error.problems), 300)) from None
    return settings.to_dict()


def _epoch_rows(values: dict[str, Any], planned: int) -> list[EpochRow]:
    rows = values.get("epochs", [])
    if not isinstance(rows, list):
        raise _Refused("field_type", field="epochs")
    if len(rows) > planned:
        raise _Refused("too_many_epochs", count=len(rows), planned=planned)
    checked: list[EpochRow] = []
    names = EpochRow.__dataclass_fields__.keys()
    for position, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not set(names) <= set(row):
            raise _Refused("epoch_row", position=position)
        epoch = row["epoch"]
        if not _is_whole(epoch) or not 1 <= epoch <= planned:
            raise _Refused("epoch_number", position=position, planned=planned)
        if checked and epoch <= checked[-1].epoch:
            raise _Refused("epoch_order", epoch=epoch)
        bounds = {
            "loss": (0.0, MAX_LOSS),
            "val_loss": (0.0, MAX_LOSS),
            "accuracy": (0.0, 1.0),
            "top5_accuracy": (0.0, 1.0),
            "val_accuracy": (0.0, 1.0),
            "val_top5_accuracy": (0.0, 1.0),
            "learning_rate": (0.0, 1.0),
            "seconds": (0.0, MAX_EPOCH_SECONDS),
        }
        for name, (low, high) in bounds.items():
            if not _figure(row[name], low, high):
                raise _Refused("epoch_figure", epoch=epoch, field=name)
        numbers = {name: float(row[name]) for name in bounds}
        checked.append(EpochRow(epoch=epoch, finished_at=_time(row["finished_at"], "finished_at"), **numbers))
    return checked


def _batch_points(values: dict[str, Any], planned: int) -> tuple[list[tuple[float, ...]], int]:
    """The per-batch curve: at most MAX_BATCH_POINTS points of (step, epoch, loss, accuracy, mean loss, mean accuracy)."""
    points, stride = values.get("batches", []), values.get("batch_stride", 1)
    if not _is_whole(stride) or not 1 <= stride <= MAX_BATCH_STRIDE:
        raise _Refused("batches")
    if not isinstance(points, list) or len(points) > MAX_BATCH_POINTS:
        raise _Refused("batches")
    checked: list[tuple[float, ...]] = []
    previous = 0
    for point in points:  # up to 1,000 points a run: checked plainly, without a call per number
        if type(point) is not list or len(point) != 6:
            raise _Refused("batches")
        step, epoch, loss, accuracy, mean_loss, mean_accuracy = point
        if not (
            _is_whole(step)
            and previous < step <= MAX_STEP
            and _is_whole(epoch)
            and 1 <= epoch <= planned
            and _figure(loss, 0.0, MAX_LOSS)
            and _figure(mean_loss, 0.0, MAX_LOSS)
            and _figure(accuracy, 0.0, 1.0)
            and _figure(mean_accuracy, 0.0, 1.0)
        ):
            raise _Refused("batches")
        previous = step
        checked.append((step, epoch, float(loss), float(accuracy), float(mean_loss), float(mean_accuracy)))
    return checked, stride


def _versions(values: dict[str, Any]) -> dict[str, str]:
    versions = values.get("versions", {})
    if (
        not isinstance(versions, dict)
        or len(versions) > MAX_VERSIONS
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in versions.items())
    ):
        raise _Refused("field_type", field="versions")
    return {plain_text(k, MAX_VERSION_TEXT): plain_text(v, MAX_VERSION_TEXT) for k, v in versions.items()}


def record_from_values(values: Any) -> RunRecord:
    """A run record built from a file's JSON only through checks; raises _Refused naming the first problem."""
    if not isinstance(values, dict):
        raise _Refused("not_object")
    for required in ("method", "settings", "status", "started_at"):
        if required not in values:
            raise _Refused("field_missing", field=required)
    method = values["method"]
    if method not in methods.names():  # also refuses anything unhashable or not a string
        raise _Refused(
            "method", method=plain_text(method, 40) if isinstance(method, str) else "", known=", ".join(methods.names())
        )
    status = values["status"]
    if not isinstance(status, str) or status not in set(RunStatus):
        raise _Refused("status")
    settings = _settings(values, method)
    planned = settings["epochs"]
    ended = values.get("ended_at")
    epoch_rows = _epoch_rows(values, planned)
    batches, stride = _batch_points(values, planned)
    record = RunRecord(
        run_id=f"imported-{uuid.uuid4().hex[:12]}",
        method=method,
        settings=settings,
        label=_text(values, "label", MAX_LABEL, default="") or method,
        epochs=epoch_rows,
        status=RunStatus(status),
        message=_message(values),
        started_at=_time(values["started_at"], "started_at"),
        ended_at=None if ended is None else _time(ended, "ended_at"),
        versions=_versions(values),
        fingerprint=None,  # a file's claims never feed the result cache
        batches=batches,
        batch_stride=stride,
    )
    if record.status == RunStatus.RUNNING:
        record.status, record.message = RunStatus.STOPPED, RunMessage(MessageCode.IMPORTED_RUNNING)
    return record


def _record_from_json(payload: bytes) -> RunRecord:
    try:
        values = json.loads(payload.decode("utf-8"))
    except RecursionError:
        raise _Refused("too_deep") from None
    except (UnicodeDecodeError, ValueError):  # not UTF-8, not JSON, or an integer of thousands of digits
        raise _Refused("not_json") from None
    return record_from_values(values)


# ---------------------------------------------------------------------------
# Reading a file


def _looks_like_zip(name: str, payload: bytes) -> bool:
    """A JSON record starts with "{"; a zip is named so, starts with "PK", or ends with a zip directory."""
    if payload.lstrip()[:1] == b"{":
        return False
    if payload.startswith(b"PK") or name.lower().endswith(".zip"):
        return True
    try:
        return zipfile.is_zipfile(io.BytesIO(payload))
    except ZIP_ERRORS:
        return False


def _read_zip(report: ImportReport, payload: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except UnicodeDecodeError:
        report.refuse("zip_names")
        return
    except ZIP_ERRORS:
        report.refuse("zip_unreadable")
        return
    with archive:
        _read_members(report, archive)
    if report.refused is None and not report.runs and not report.skipped:
        report.refuse("zip_empty")


def _read_members(report: ImportReport, archive: zipfile.ZipFile) -> None:
    # An export's TensorBoard logs and run files are passed over unread (the zip's directory, already read, bounds
    # their count).
    members = [member for member in archive.infolist() if not member.filename.startswith(EXPORT_FOLDERS)]
    if len(members) > MAX_MEMBERS:
        report.refuse("zip_members", count=len(members), limit=MAX_MEMBERS)
        return
    unpacked = 0
    records = [member for member in members if member.filename.lower().endswith(".json")]
    for member in members:
        shown = plain_text(member.filename, MAX_SHOWN_NAME) or "?"
        if member.filename.endswith("/") or member.filename.lower().endswith(".csv"):
            continue  # folders, and the CSV copies "Download all" writes beside each JSON record
        if not member.filename.lower().endswith(".json"):
            report.skipped.append(Skip(shown, "not_a_record"))
            continue
        if len(report.runs) >= MAX_RUNS:
            unread = len(records) - records.index(member)
            report.skipped.append(Skip("", "too_many_runs", {"limit": MAX_RUNS, "count": unread}, runs=unread))
            break
        if member.file_size > MAX_MEMBER_BYTES:
            report.skipped.append(
                Skip(shown, "member_size", {"kb": member.file_size // 1024, "limit_kb": MAX_MEMBER_BYTES // 1024})
            )
            continue
        if unpacked + member.file_size > MAX_UNPACKED_BYTES:
            unread = len(records) - records.index(member)
            report.skipped.append(Skip("", "zip_total", {"limit_mb": MAX_UNPACKED_BYTES // 2**20, "count": unread}, runs=unread))
            break
        try:
            with archive.open(member) as handle:
                text = handle.read(MAX_MEMBER_BYTES + 1)  # the header's size may lie: never read past the cap
        except ZIP_ERRORS:
            report.skipped.append(Skip(shown, "member_unreadable"))
            continue
        unpacked += len(text)
        if len(text) > MAX_MEMBER_BYTES:
            report.skipped.append(Skip(shown, "member_size_lied", {"limit_kb": MAX_MEMBER_BYTES // 1024}))
            continue
        try:
            report.runs.append(_record_from_json(text))
        except _Refused as refused:
            report.skipped.append(Skip(shown, refused.reason, refused.values))


def read_runs_file(name: str, payload: bytes) -> ImportReport:
    """Every run an uploaded .json or .zip holds that passes the checks, and a reason for each part skipped."""
    report = ImportReport(plain_text(name, MAX_SHOWN_NAME) or "?")
    if len(payload) > MAX_IMPORT_BYTES:
        return report.refuse("file_size", mb=round(len(payload) / 2**20, 1), limit_mb=MAX_IMPORT_BYTES // 2**20)
    if _looks_like_zip(name, payload):
        _read_zip(report, payload)
        return report
    try:
        report.runs.append(_record_from_json(payload))
    except _Refused as refused:
        report.refuse(refused.reason, **refused.values)
    return report


# The settings shown as columns of the class table, in the sidebar's order.
TABLE_SETTINGS = ("epochs", "batch_size", "max_len", "learning_rate", "seed", "lr_halving_epoch", "steps_per_execution")


def runs_table(rows: Iterable[tuple[RunRecord, str, str]]) -> pd.DataFrame:
    """One row per run: who, how, the method, every setting, status and accuracy. (record, display name, how) in."""
    table = []
    for record, name, how in rows:
        best = record.best_val_accuracy
        entry = {
            "name": display_name_text(name),  # names stored before they were cleaned on entry, too
            "method": record.method,
            "how": how,
            "status": str(record.status),
            "epochs done": len(record.epochs),
            **{key: record.settings.get(key) for key in TABLE_SETTINGS},
            "best val accuracy": best,
            "final val accuracy": record.epochs[-1].val_accuracy if record.epochs else None,
            "started": record.started_at.replace("T", " ")[:19],
            "run_id": record.run_id,
        }
        table.append(entry)
    columns = [
        "name",
        "method",
        "how",
        "status",
        "epochs done",
        *TABLE_SETTINGS,
        "best val accuracy",
        "final val accuracy",
        "started",
        "run_id",
    ]
    return pd.DataFrame(table, columns=columns)
