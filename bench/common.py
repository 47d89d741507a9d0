"""Shared by the benchmarks: the data, clocks, paired ratios, markdown tables, the machine line.

Benchmarks report ratios against a baseline measured in the same process and
interleaved with it, never absolute targets: these machines are shared and
noisy. Every timing is taken twice: wall time (what a user waits) and process
CPU time (`time.process_time`, all threads: what the run costs the machine,
and much less disturbed by other processes competing for the cores).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (ROOT, ROOT / "tests", BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

# Before TensorFlow loads: keep its start-up chatter out of the printed tables.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")


def load_data(max_len: int = 300):
    """The real data through REUTERS_NPZ_PATH (or the Keras cache); fixture data when neither exists."""
    import hashlib

    from core.data import KERAS_SHA256, DataError, find_reuters_file, prepare_data

    try:
        path = find_reuters_file(download=False)
        data = prepare_data(max_len, path, download=False)
    except DataError:
        from fixture_data import write_fixture_npz

        path = write_fixture_npz(Path(tempfile.mkdtemp()) / "reuters.npz", newswires=3000)
        return prepare_data(
            max_len, path, download=False
        ), "fixture (3,000 synthetic newswires: set REUTERS_NPZ_PATH for real figures)"
    # Only the file Keras downloads is called real: a table must not pass off other data as Reuters.
    if hashlib.sha256(path.read_bytes()).hexdigest() == KERAS_SHA256:
        return data, "Reuters (real)"
    return data, f"{path.name}, not the Keras Reuters file (its sha256 differs): these are not the real figures"


def median(values) -> float:
    return statistics.median(values)


def paired_ratio(numerators: list[float], denominators: list[float]) -> tuple[float, float, float]:
    """Median, min and max of the ratios of paired measurements (round i of B over round i of A)."""
    ratios = [n / d for n, d in zip(numerators, denominators)]
    return statistics.median(ratios), min(ratios), max(ratios)


@dataclass
class Clock:
    """Wall and process CPU time between two points."""

    wall: float = 0.0
    cpu: float = 0.0

    @staticmethod
    def now() -> Clock:
        return Clock(time.perf_counter(), time.process_time())

    def since(self, start: Clock) -> Clock:
        return Clock(self.wall - start.wall, self.cpu - start.cpu)


def load_average() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


def machine_line() -> str:
    from importlib import metadata

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("tensorflow-cpu", "keras", "streamlit") if _installed(p))
    return (
        f"{datetime.now():%Y-%m-%d %H:%M} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · {versions}"
    )


def _installed(package: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(package)
        return True
    except metadata.PackageNotFoundError:
        return False


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)


def section(title: str, source: str, details: str, table: str, notes: str = "") -> str:
    """One benchmark's printed result: heading, machine line, what was run, the table, notes."""
    text = f"### {title}\n\n{machine_line()} · {load_average()} at the end · data: {source} · {details}\n\n{table}\n"
    if notes:
        text += f"\n{notes.strip()}\n"
    return text


def yes_no(ok: bool) -> str:
    return "yes" if ok else "**no**"


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the printed markdown."""
    print(message, file=sys.stderr, flush=True)


def run_like_the_app(settings, data, poll_seconds: float = 1.0):
    """Train through a `core.runs.jobs.TrainingJob`, exactly as the Train button does, with a page-like reader.

    The job runs in its worker thread with the app's progress and epoch callbacks and
    stop signal; a second thread calls `snapshot()` once a second, as the page's live
    fragment does. The only addition is one clock reading per epoch (at the epoch
    callback) for the CPU time. Returns the run record and one `Clock` per epoch: the
    wall seconds the app itself records, and the process CPU seconds since the
    previous epoch ended (since the start for epoch 1).
    """
    import threading

    from core.runs.jobs import TrainingJob
    from core.runs.slots import JobSlots
    from core.states import RunStatus

    class TimedJob(TrainingJob):
        epoch_ends: list[Clock]

        def _on_epoch(self, row):
            self.epoch_ends.append(Clock.now())
            super()._on_epoch(row)

    job = TimedJob([settings], data, slots=JobSlots(1))
    job.epoch_ends = []
    done = threading.Event()

    def page_refresh():
        while not done.wait(poll_seconds):
            job.snapshot()

    reader = threading.Thread(target=page_refresh, daemon=True)
    started = Clock.now()
    job.start()
    reader.start()
    job.join()
    done.set()
    reader.join()
    record = job.snapshot().records[-1]
    if record.status != RunStatus.FINISHED:
        raise RuntimeError(f"{settings.method} ended {record.status}: {record.message}")
    ends = [started, *job.epoch_ends]
    clocks = [Clock(row.seconds, end.cpu - before.cpu) for row, before, end in zip(record.epochs, ends, ends[1:])]
    return record, clocks


def interleave(rounds: int, variants: dict, label: str = "") -> dict[str, list[list[Clock]]]:
    """Run every variant once per round, alternating the order (A B, then B A, ...) so drift cancels.

    `variants` maps a name to a function returning one `Clock` per epoch. The first
    epoch of every run (tracing, first pass over the data) is left out.
    """
    names = list(variants)
    timed: dict[str, list[list[Clock]]] = {name: [] for name in names}
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            clocks = variants[name]()[1:]
            timed[name].append(clocks)
            progress(
                f"{label} round {round_number + 1}/{rounds} {name}: " + ", ".join(f"{c.wall:.2f}s/{c.cpu:.2f}cpu" for c in clocks)
            )
    return timed


@dataclass
class Comparison:
    """B against A over interleaved rounds: medians of all timed epochs and paired per-round ratios."""

    a_wall: float
    b_wall: float
    wall_ratio: float  # median over rounds of (B's median epoch / A's median epoch)
    wall_low: float
    wall_high: float
    cpu_ratio: float

    @classmethod
    def of(cls, a: list[list[Clock]], b: list[list[Clock]]) -> Comparison:
        a_rounds = [median(c.wall for c in clocks) for clocks in a]
        b_rounds = [median(c.wall for c in clocks) for clocks in b]
        wall, low, high = paired_ratio(b_rounds, a_rounds)
        cpu, _, _ = paired_ratio([median(c.cpu for c in clocks) for clocks in b], [median(c.cpu for c in clocks) for clocks in a])
        return cls(
            a_wall=median(c.wall for clocks in a for c in clocks),
            b_wall=median(c.wall for clocks in b for c in clocks),
            wall_ratio=wall,
            wall_low=low,
            wall_high=high,
            cpu_ratio=cpu,
        )


class AutotuneOn:
    """Inside `with`, the trainers build their datasets with tf.data autotuning on: the app before its fix.

    core.data.make_datasets turns the autotuner off (bench/pipeline.py shows the
    end-of-epoch stall it caused); this puts it back, for the before/after rows.
    """

    def __enter__(self):
        import tensorflow as tf

        import core.training

        self._module, self._original = core.training, core.training.make_datasets
        options = tf.data.Options()
        options.autotune.enabled = True

        def make_datasets(*args, **kwargs):
            return tuple(dataset.with_options(options) for dataset in self._original(*args, **kwargs))

        core.training.make_datasets = make_datasets
        return self

    def __exit__(self, *exc):
        self._module.make_datasets = self._original


def summary_item(what: str, value, target="", met: bool | None = None) -> dict:
    """One headline figure for run_all's summary: what it is, its value, the target and whether it was met."""
    return {"what": what, "value": value, "target": target, "met": met}


def write_summary(path: str | None, items: list[dict]) -> None:
    """For run_all: the headline figures of a benchmark, as JSON (what, value, target, met)."""
    if path:
        import json

        Path(path).write_text(json.dumps(items, indent=1), encoding="utf-8")
