"""Runs in and out of the app as files: a zip of a visitor's runs, and importing one (treated as hostile).

`runs_to_zip` writes each run as `<run_id>.json` (the whole record) and
`<run_id>.csv` (its epochs, like the per-run downloads). `runs_from_file` reads a
JSON record or such a zip back, refusing anything that does not look like one:
size caps before reading, a cap on members and on each member's unpacked size
(so a zip bomb is refused unread), the record schema of `RunRecord.from_dict`,
and bounds on the figures. Imported runs get new ids and no fingerprint: a file's
claims never reach the result cache other visitors are served from.
"""

from __future__ import annotations

import io
import json
import math
import uuid
import zipfile
from collections.abc import Iterable

import pandas as pd

from core.records import RunRecord, record_to_csv, record_to_json
from core.settings import MAX_EPOCHS, METHODS

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a run of 200 epochs is about 60 KB of JSON
MAX_MEMBERS = 500
MAX_MEMBER_BYTES = 1024 * 1024
MAX_RUNS = 200


class RunFileError(ValueError):
    """The file as a whole is refused; the message says why."""


def runs_to_zip(records: Iterable[RunRecord]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record.run_id}.json", record_to_json(record))
            archive.writestr(f"{record.run_id}.csv", record_to_csv(record))
    return buffer.getvalue()


def _record_from_json(text: bytes, name: str) -> RunRecord:
    try:
        values = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{name}: not JSON ({type(error).__name__})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{name}: not a run record (the JSON is not an object)")
    try:
        record = RunRecord.from_dict(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: not a run record ({error})") from None
    if record.method not in METHODS:
        raise ValueError(f"{name}: unknown method {record.method!r}")
    if len(record.epochs) > MAX_EPOCHS:
        raise ValueError(f"{name}: {len(record.epochs)} epochs is more than a run can have ({MAX_EPOCHS})")
    for row in record.epochs:
        figures = (row.loss, row.val_loss, row.accuracy, row.val_accuracy, row.top5_accuracy, row.val_top5_accuracy)
        if not all(math.isfinite(v) for v in figures) or not all(0 <= v <= 1 for v in figures[2:]):
            raise ValueError(f"{name}: epoch {row.epoch} holds figures no run can produce")
    return record


def _renamed(record: RunRecord) -> RunRecord:
    """A new id (ids are unique server-wide), no fingerprint, and a finished or stopped status."""
    record.run_id = f"imported-{uuid.uuid4().hex[:12]}"
    record.fingerprint = None
    if record.status == "running":
        record.status, record.message = "stopped", "Imported while it was still running."
    record.label = (record.label or record.method)[:120]
    return record


def runs_from_file(name: str, payload: bytes) -> tuple[list[RunRecord], list[str]]:
    """The runs in an uploaded .json or .zip, and a message per part skipped. Raises RunFileError for the whole file."""
    if len(payload) > MAX_IMPORT_BYTES:
        raise RunFileError(f"the file is {len(payload) / 1e6:.1f} MB; run files are at most {MAX_IMPORT_BYTES // 1_000_000} MB")
    if not zipfile.is_zipfile(io.BytesIO(payload)):
        try:
            return [_renamed(_record_from_json(payload, "the file"))], []
        except ValueError as error:
            raise RunFileError(str(error)) from None
    records, problems = [], []
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as error:
        raise RunFileError(f"not a readable zip ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise RunFileError(f"the zip has {len(members)} files; at most {MAX_MEMBERS} are read")
        for member in members:
            shown = member.filename[:80]
            if not member.filename.endswith(".json"):
                continue  # the CSV copies and anything else: the JSON holds the whole record
            if member.file_size > MAX_MEMBER_BYTES:
                problems.append(f"{shown}: skipped, {member.file_size / 1e6:.1f} MB unpacked is too large for a run")
                continue
            try:
                with archive.open(member) as handle:
                    text = handle.read(MAX_MEMBER_BYTES + 1)  # the header's size may lie: never read past the cap
                if len(text) > MAX_MEMBER_BYTES:
                    raise ValueError(f"{shown}: larger unpacked than its header says")
                records.append(_renamed(_record_from_json(text, shown)))
            except (ValueError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
                problems.append(f"skipped: {error}")
            if len(records) >= MAX_RUNS:
                problems.append(f"only the first {MAX_RUNS} runs are imported")
                break
    if not records and not problems:
        raise RunFileError("the zip holds no run records (.json files)")
    return records, problems


# The settings shown as columns of the class table, in the sidebar's order.
TABLE_SETTINGS = ("epochs", "batch_size", "max_len", "learning_rate", "seed", "lr_halving_epoch", "steps_per_execution")


def runs_table(rows: Iterable[tuple[RunRecord, str, str]]) -> pd.DataFrame:
    """One row per run: who, how, the method, every setting, status and accuracy. (record, display name, how) in."""
    table = []
    for record, name, how in rows:
        best = record.best_val_accuracy
        entry = {
            "name": name,
            "method": record.method,
            "how": how,
            "status": record.status,
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
