"""Every environment variable the app reads: its name, default and meaning, read in one place.

`environment()` builds one frozen `Environment` from the process's variables;
each field names its variable, its default and what it does (the README's table
of variables lists exactly these, checked by tests/test_readme.py). A value that
cannot be read (a word where a number belongs, a number out of range) keeps the
default, so a typo never stops the app. The object is built when asked, a few
dozen lookups: a variable set before use (the CLI's --runs-dir, a test) is seen.
On Community Cloud, the app's secrets are these variables.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent

# The names other modules and tests use: one constant per variable, here only.
DATA_PATH_ENV = "REUTERS_NPZ_PATH"
WORD_INDEX_PATH_ENV = "REUTERS_WORD_INDEX_PATH"
KERAS_HOME_ENV = "KERAS_HOME"
RUNS_DIR_ENV = "TRAINING_RUNS_DIR"
DB_PATH_ENV = "TRAINING_DB_PATH"
DATABASE_URL_ENV = "DATABASE_URL"
EPHEMERAL_ENV = "TRAINING_STORE_EPHEMERAL"
PER_VISITOR_ENV = "TRAINING_RUNS_PER_VISITOR"
PER_CLASS_ENV = "TRAINING_RUNS_PER_CLASS"
PER_SERVER_ENV = "TRAINING_RUNS_PER_SERVER"
LEASE_ENV = "TRAINING_RUN_LEASE_SECONDS"
CLASSES_PER_VISITOR_ENV = "TRAINING_CLASSES_PER_VISITOR"
UNKNOWN_PER_MINUTE_ENV = "TRAINING_UNKNOWN_CODES_PER_MINUTE"
JOB_SLOTS_ENV = "TRAINING_JOB_SLOTS"
PREPARE_AHEAD_ENV = "TRAINING_PREPARE_AHEAD"
MEMORY_ENV = "TRAINING_MAX_RUN_MEMORY_MB"
MINUTES_ENV = "TRAINING_MAX_RUN_MINUTES"
MAX_PER_VISITOR_ENV = "TRAINING_MAX_RUNS_PER_VISITOR"
QUEUE_ENV = "TRAINING_MAX_QUEUE"
RAY_ADDRESS_ENV = "RAY_ADDRESS"
BACKEND_ENV = "TRAINING_BACKEND"
CPUS_PER_JOB_ENV = "TRAINING_RAY_CPUS_PER_JOB"
FALLBACK_ENV = "TRAINING_RAY_FALLBACK"
KEEP_RESULT_ENV = "TRAINING_RAY_KEEP_RESULT_SECONDS"
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")

# -- how a variable's text becomes a value (None: unreadable, the default is kept) --


def _raw(text: str) -> str | None:
    return text or None


def _stripped(text: str) -> str | None:
    return text.strip() or None


def _lower(text: str) -> str | None:
    return text.strip().lower() or None


def _path(text: str) -> Path | None:
    return Path(text).expanduser() if text else None


def _at_least_one(text: str) -> int | None:
    """A whole number; below 1 counts as 1 (a cap of 0 would stop everything)."""
    try:
        return max(1, int(text))
    except ValueError:
        return None


def _positive(kind: Callable[[str], float]) -> Callable[[str], Any]:
    """A finite number above 0 of `kind`; anything else keeps the default."""

    def parse(text: str) -> float | None:
        try:
            value = kind(text.strip())
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None

    return parse


def _not_negative(text: str) -> float | None:
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


def _not_zero(text: str) -> bool | None:
    return text.strip() != "0" if text else None


def _var(name: str, default: Any, meaning: str, parse: Callable[[str], Any] = _raw, shown: str | None = None) -> Any:
    """A field read from the variable `name`; `shown` is the default as the README writes it."""
    return field(default=default, metadata={"name": name, "meaning": meaning, "parse": parse, "shown": shown})


@dataclass(frozen=True)
class Environment:
    """The app's environment variables, read; one field per variable (see each field's meaning)."""

    # -- the data --
    reuters_npz_path: str | None = _var(DATA_PATH_ENV, None, "a reuters.npz to use instead of the Keras download")
    reuters_word_index_path: str | None = _var(WORD_INDEX_PATH_ENV, None, "its reuters_word_index.json (optional)")
    keras_home: Path = _var(
        KERAS_HOME_ENV, Path("~/.keras"), "Keras's folder: the data is cached in its `datasets/`", _path, "`~/.keras`"
    )

    # -- the run store --
    runs_dir: Path = _var(
        RUNS_DIR_ENV,
        PROJECT / "runs",
        "the folder of the run database (and of older versions' JSON runs)",
        _path,
        "`runs/` in the project",
    )
    db_path: Path | None = _var(DB_PATH_ENV, None, "the SQLite file itself", _path, "`runs.sqlite3` in the runs folder")
    database_url: str | None = _var(
        DATABASE_URL_ENV,
        None,
        "another database, e.g. `postgresql+psycopg://user@host/db`, shared by every app server",
        _stripped,
        "SQLite",
    )
    store_ephemeral: str | None = _var(
        EPHEMERAL_ENV,
        None,
        "`1` or `0`: whether the Compare page warns that saved runs vanish on a restart",
        _stripped,
        "guessed",
    )
    # Two slots train about 2 runs a minute at the chapter's sizes: a visitor's afternoon is well under
    # 100 new runs (identical ones are shared, not counted), a class of 30 trying 10 settings each is 300.
    runs_per_visitor: int = _var(PER_VISITOR_ENV, 100, "runs one visitor may keep", _at_least_one)
    runs_per_class: int = _var(PER_CLASS_ENV, 500, "runs one class may keep", _at_least_one)
    # About 25 MB of epochs at 10 epochs a run.
    runs_per_server: int = _var(PER_SERVER_ENV, 5000, "runs the server keeps", _at_least_one)
    # A run's process renews its lease every quarter of this; a lapsed one is interrupted. Long enough
    # that a busy server (two TensorFlow runs on two cores) never misses a renewal.
    run_lease_seconds: float = _var(
        LEASE_ENV, 60.0, "how long a run's process may stay silent before the run is shown as interrupted", _positive(float)
    )
    # A teacher's term of sections; a click flood stops here, not at a full table.
    classes_per_visitor: int = _var(
        CLASSES_PER_VISITOR_ENV, 20, "classes one visitor may open, closed ones included", _at_least_one
    )
    # A class of 30 mistyping twice each in one minute still gets through.
    unknown_codes_per_minute: int = _var(
        UNKNOWN_PER_MINUTE_ENV, 60, "unknown class codes a server process looks up in a minute", _at_least_one
    )

    # -- training on this server --
    # Two cores: two runs at once keep both busy without thrashing.
    job_slots: int = _var(
        JOB_SLOTS_ENV, 2, "how many runs may train at once on the server; the others wait in line", _at_least_one
    )
    prepare_ahead: bool = _var(PREPARE_AHEAD_ENV, True, "`0` turns preparing runs ahead of Train off", _not_zero, "on")
    # The budget's limits, for a 2-core server with 2.7 GB: the app with TensorFlow and the data takes
    # about 0.7 GB, which leaves about 0.9 GB for each of the two slots; 30 minutes is a lesson's worth;
    # one press per visitor, so one visitor cannot hold both slots.
    max_run_memory_mb: int = _var(MEMORY_ENV, 900, "estimated peak memory of one run", _positive(int))
    max_run_minutes: float = _var(MINUTES_ENV, 30.0, "estimated training time of one press of Train", _positive(float))
    max_runs_per_visitor: int = _var(
        MAX_PER_VISITOR_ENV, 1, "presses of Train one visitor may have waiting or training at once", _positive(int)
    )
    max_queue: int = _var(
        QUEUE_ENV, 8, "runs waiting for a slot; a press that would wait behind that many is refused", _positive(int)
    )

    # -- training on a Ray cluster --
    ray_address: str | None = _var(
        RAY_ADDRESS_ENV, None, "the head's `host:port`: every training job runs on that cluster", _stripped, "none"
    )
    backend: str | None = _var(
        BACKEND_ENV,
        None,
        "`ray` to use Ray without an address (a cluster on this machine), `threads` to force local",
        _lower,
        "threads",
    )
    ray_cpus_per_job: float = _var(CPUS_PER_JOB_ENV, 1.0, "CPUs a job asks the cluster for", _positive(float))
    ray_fallback: str | None = _var(
        FALLBACK_ENV,
        None,
        "`local`: when the cluster cannot be reached, train in the app server instead, with a notice",
        _lower,
        "none",
    )
    ray_keep_result_seconds: float = _var(
        KEEP_RESULT_ENV, 600.0, "how long an ended run waits for its viewers to read the result", _not_negative
    )
    omp_num_threads: str | None = _var(
        THREAD_ENV_VARS[0], None, "passed on to each Ray worker as the app server has it (TensorFlow's threads)", shown="unset"
    )
    tf_num_intraop_threads: str | None = _var(THREAD_ENV_VARS[1], None, "passed on to each Ray worker likewise", shown="unset")
    tf_num_interop_threads: str | None = _var(THREAD_ENV_VARS[2], None, "passed on to each Ray worker likewise", shown="unset")

    @property
    def ray_configured(self) -> bool:
        """True when jobs run on Ray: TRAINING_BACKEND=ray, or RAY_ADDRESS set without forcing threads."""
        if self.backend in ("threads", "thread", "local"):
            return False
        return self.backend == "ray" or bool(self.ray_address)

    @property
    def thread_settings(self) -> dict[str, str | None]:
        """TensorFlow's threading variables as this process has them (None: unset), to reproduce in a Ray worker."""
        return dict(zip(THREAD_ENV_VARS, (self.omp_num_threads, self.tf_num_intraop_threads, self.tf_num_interop_threads)))


def environment(environ: Mapping[str, str] | None = None) -> Environment:
    """The variables of `environ` (the process's by default), each read or left at its default."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec in fields(Environment):
        text = environ.get(spec.metadata["name"])
        if text is not None:
            value = spec.metadata["parse"](text)
            if value is not None:
                values[spec.name] = value
    return Environment(**values)


def variables() -> list[tuple[str, str, str]]:
    """(name, default as written, meaning) of every variable, in the order of `Environment`."""
    rows = []
    for spec in fields(Environment):
        default = spec.default
        shown = spec.metadata["shown"] or (
            "unset" if default is None else f"{default:g}" if isinstance(default, float) else f"{default}"
        )
        rows.append((spec.metadata["name"], shown, spec.metadata["meaning"]))
    return rows
