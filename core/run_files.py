"""Files a run writes beside its figures: fit's logging callbacks, and the `callbacks=[...]` list that ran.

fit can add Keras' own `CSVLogger` and `TensorBoard` callbacks (the settings
`csv_logger` and `tensorboard_callback`). They write into a temporary folder of
the run; when the run ends, its files are read into `{relative path: bytes}`
(bounded: MAX_RUN_FILES_BYTES a run) and the folder is removed. Every fit run
also keeps `callbacks.py`: the list passed to `fit`, written from the callback
objects themselves, so the page shows exactly what ran.

How they travel: the trainer hands them back with its record (TrainedRun.files);
the job that trained the run saves them in the store (`RunStore.save_run_files`,
table `run_files`) beside the record, so they survive a reload and reach every
server that shares the database. A Ray worker's job saves them itself when it
reaches the database (PostgreSQL, or SQLite on its machine). Compare's export
adds them to the run's folders (core.exchange.runs_to_zip).

Keras' `TensorBoard` callback writes through `tf.summary.scalar`, which is
TensorBoard's own code: it runs only where the `tensorboard` package is
installed (it is not one of the app's requirements).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CALLBACKS_FILE = "callbacks.py"
CSV_LOGGER_FILE = "training.csv"
TENSORBOARD_FOLDER = "tensorboard"
MAX_RUN_FILES_BYTES = 8 * 1024 * 1024  # a run's files together; at the chapter's sizes they are a few kB
MAX_RUN_FILES = 64


def tensorboard_installed() -> bool:
    """True when Keras' TensorBoard callback can write here (it needs the tensorboard package)."""
    return importlib.util.find_spec("tensorboard") is not None


def logging_callbacks(settings: Any, folder: Path) -> list[Any]:
    """The logging callbacks the settings ask for, writing into `folder`."""
    import keras

    callbacks = []
    if settings.csv_logger:
        callbacks.append(keras.callbacks.CSVLogger(str(folder / CSV_LOGGER_FILE)))
    if settings.tensorboard_callback:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(folder / TENSORBOARD_FOLDER)))
    return callbacks


def callbacks_source(callbacks: Iterable[Any], folder: Path | None = None) -> str:
    """`callbacks=[...]` as passed to fit: each callback's class and the arguments that shape it.

    Paths are given relative to the run's folder (where the export puts the files), not the server's temporary one.
    """

    def where(path: str) -> str:
        return os.path.relpath(path, folder) if folder is not None else path

    def one(callback: Any) -> str:
        name = type(callback).__name__
        if name == "EarlyStopping":
            return f"keras.callbacks.EarlyStopping(monitor={callback.monitor!r}, patience={callback.patience})"
        if name == "ReduceLROnPlateau":
            return (
                f"keras.callbacks.ReduceLROnPlateau(monitor={callback.monitor!r}, factor={callback.factor}, "
                f"patience={callback.patience})"
            )
        if name == "CSVLogger":
            return f"keras.callbacks.CSVLogger({where(callback.filename)!r})"
        if name == "TensorBoard":
            return f"keras.callbacks.TensorBoard(log_dir={where(callback.log_dir)!r})"
        if name == "ReportToRun":
            return "ReportToRun(run)"
        return f"{name}(...)"

    lines = ",\n".join(f"    {one(callback)}" for callback in callbacks)
    return f"callbacks=[\n{lines},\n]\n"


def collect_files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` as {path relative to it, POSIX: bytes}, within the caps (first files first)."""
    found: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        size = path.stat().st_size
        if len(found) >= MAX_RUN_FILES or total + size > MAX_RUN_FILES_BYTES:
            break
        relative = path.relative_to(folder)
        if relative.name.startswith("events.out.tfevents."):
            # TensorFlow names event files after the host; an export has no business carrying it.
            stamp = relative.name.split(".")[3]
            relative = relative.with_name(f"events.out.tfevents.{stamp}.reuters.{len(found)}.v2")
        found[relative.as_posix()] = path.read_bytes()
        total += size
    return found
