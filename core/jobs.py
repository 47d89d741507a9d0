"""Training jobs that run in a worker thread, so the web page can rerun freely meanwhile.

A `TrainingJob` trains one method, or several one after the other (the
comparison), in a thread that never touches the UI. It publishes progress into
its own lock-protected state; a page reads `snapshot()` as often as it likes.
`JobSlots` caps how many jobs train at once across the whole server (each
TensorFlow run already uses every core), so extra jobs wait visibly instead of
slowing everyone down.
"""

from __future__ import annotations

import copy
import functools
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.data import PreparedData
from core.predictions import TrainedModel
from core.records import EpochRow, RunRecord, save_record
from core.settings import RunSettings

JOB_SLOTS_ENV = "TRAINING_JOB_SLOTS"
DEFAULT_JOB_SLOTS = 2  # two cores: two runs at once keep both busy without thrashing

JOB_STATES = ("waiting", "running", "finished", "stopped", "failed")


def release_free_memory() -> bool:
    """Collect the finished run's Keras objects and hand glibc's free heap pages back to the system.

    Each run trains in a new thread, and glibc keeps what a thread freed in that
    thread's arena; on a long-lived server the resident size then creeps up run
    after run. Measured (30 one-epoch jobs in one process): +19 MB and still
    bouncing without this, +17 MB and flat from run 13 on with it. Once per job,
    not per page rerun: the collection holds the GIL for a fraction of a second.
    Returns False where there is no glibc (macOS, Windows, musl): nothing to do.
    """
    import gc

    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, looked up once in the running process's own symbols; None elsewhere.

    `ctypes.util.find_library` would start a subprocess (ldconfig) on every lookup.
    """
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


class JobSlots:
    """A server-wide cap on jobs that train at the same time."""

    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._free = threading.Semaphore(self.capacity)
        self._lock = threading.Lock()
        self.in_use = 0

    def acquire(self, stop: threading.Event) -> bool:
        """Block until a slot is free (True) or `stop` is set (False)."""
        while not stop.is_set():
            if self._free.acquire(timeout=0.2):
                with self._lock:
                    self.in_use += 1
                return True
        return False

    def release(self) -> None:
        with self._lock:
            self.in_use -= 1
        self._free.release()


def slots_from_environment() -> JobSlots:
    try:
        capacity = int(os.environ.get(JOB_SLOTS_ENV, DEFAULT_JOB_SLOTS))
    except ValueError:
        capacity = DEFAULT_JOB_SLOTS
    return JobSlots(capacity)


# One cap for the whole process: every session's jobs share it.
SERVER_SLOTS = slots_from_environment()


@dataclass
class JobSnapshot:
    """A consistent copy of a job's state, safe to read from any thread."""

    state: str
    methods: tuple[str, ...]
    current_method: str | None
    epoch: int  # the epoch in progress (1-based), 0 before the first
    epochs: int
    batches_done: int
    batches_per_epoch: int
    seconds_left_in_epoch: float | None
    records: list[RunRecord]  # finished runs and the one in progress, in order
    message: str
    version: int  # grows with every epoch and state change: redraw charts when it moves
    started_at: float
    ended_at: float | None
    # run_id -> the trained weights of each run that ended with at least one epoch (not failed).
    # Shared, not copied: TrainedModel and its arrays are read-only.
    models: dict[str, TrainedModel] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state in ("waiting", "running")


@dataclass
class _Progress:
    state: str = "waiting"
    current_method: str | None = None
    epoch: int = 0
    batches_done: int = 0
    batches_per_epoch: int = 0
    epoch_started: float = field(default_factory=time.monotonic)
    records: list[RunRecord] = field(default_factory=list)
    message: str = ""
    version: int = 0
    ended_at: float | None = None
    models: dict[str, TrainedModel] = field(default_factory=dict)


class TrainingJob:
    """Train `settings_list` one after the other in a worker thread."""

    def __init__(
        self,
        settings_list: list[RunSettings],
        data: PreparedData,
        *,
        slots: JobSlots | None = None,
        runs_folder: Path | None = None,
        save: bool = True,
    ):
        if not settings_list:
            raise ValueError("a job needs at least one run")
        self.settings_list = [s.validate() for s in settings_list]
        self.data = data
        self.slots = slots or SERVER_SLOTS
        self.runs_folder = runs_folder
        self.save = save
        self.stop_event = threading.Event()
        self.started_at = time.monotonic()
        self._lock = threading.Lock()
        self._progress = _Progress()
        self._thread = threading.Thread(target=self._work, name="training-job", daemon=True)

    # -- called from the page -------------------------------------------------

    def start(self) -> TrainingJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()

    def stop_when(self, owner_gone: Callable[[], bool], check_every: float = 1.0) -> None:
        """Watch `owner_gone()` from a small thread while the job lives; stop the job once it says True.

        The web page passes a check that its browser session has been closed for
        longer than the server keeps closed sessions: the run then stops and frees
        its slot instead of training for nobody.
        """

        def watch() -> None:
            while self._thread.is_alive() or not self._thread.ident:
                if self.stop_event.wait(check_every):
                    return
                if owner_gone():
                    self.stop_event.set()
                    return

        threading.Thread(target=watch, name="training-job-watch", daemon=True).start()

    def stop_when_collected(self, owner: object) -> None:
        """Stop this job once `owner` is garbage-collected.

        The web page passes an object that only its session state holds: when
        the server drops a closed browser session, the owner goes with it and
        its job stops, freeing the slot and the memory for everyone else.
        """
        weakref.finalize(owner, self.stop_event.set)

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            p = self._progress
            left = None
            if p.state == "running" and p.batches_done:
                per_batch = (time.monotonic() - p.epoch_started) / p.batches_done
                left = per_batch * (p.batches_per_epoch - p.batches_done)
            return JobSnapshot(
                state=p.state,
                methods=tuple(s.method for s in self.settings_list),
                current_method=p.current_method,
                epoch=p.epoch,
                epochs=self.settings_list[0].epochs,
                batches_done=p.batches_done,
                batches_per_epoch=p.batches_per_epoch,
                seconds_left_in_epoch=left,
                records=copy.deepcopy(p.records),
                message=p.message,
                version=p.version,
                started_at=self.started_at,
                ended_at=p.ended_at,
                models=dict(p.models),
            )

    # -- the worker thread ----------------------------------------------------

    def _update(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._progress, name, value)
            self._progress.version += 1

    def _on_batch(self, epoch: int, done: int, total: int) -> None:
        # Called every step: no version bump, the progress bar reads these directly.
        with self._lock:
            p = self._progress
            if epoch != p.epoch:
                p.epoch, p.epoch_started = epoch, time.monotonic()
            p.batches_done, p.batches_per_epoch = done, total

    def _on_epoch(self, row: EpochRow) -> None:
        with self._lock:
            self._progress.records[-1].epochs.append(row)
            self._progress.version += 1

    def _work(self) -> None:
        from core.training import run_training  # TensorFlow loads in the worker, not the page

        if not self.slots.acquire(self.stop_event):
            self._update(state="stopped", message="Stopped before a training slot became free.", ended_at=time.monotonic())
            return
        try:
            final_state, message = "finished", ""
            for settings in self.settings_list:
                if self.stop_event.is_set():  # Stop pressed between two runs of a comparison
                    final_state, message = "stopped", "Stopped by request before the next method started."
                    break
                # A provisional record shows epochs live; the trainer's own record replaces it.
                live = RunRecord.start(settings.method, settings.to_dict())
                with self._lock:
                    self._progress.records.append(live)
                self._update(state="running", current_method=settings.method, epoch=0, batches_done=0)
                trained = []  # the trainer hands its model over here when the run ends usefully
                record = run_training(
                    settings, self.data, self._on_batch, self._on_epoch, self.stop_event, keep_model=trained.append
                )
                record.label = live.label
                kept = TrainedModel.capture(trained[0], record, self.data) if trained else None
                del trained  # only the weights are kept, not the Keras model and its optimizer
                if self.save:
                    try:
                        save_record(record, self.runs_folder)
                    except OSError as error:  # a full or read-only disk must not lose the run on screen
                        record.message = (record.message + f" (not saved: {error})").strip()
                with self._lock:
                    self._progress.records[-1] = record
                    if kept is not None:
                        self._progress.models[record.run_id] = kept
                if record.status != "finished":
                    final_state, message = record.status, record.message
                    break
            self._update(state=final_state, message=message, ended_at=time.monotonic())
        except Exception as error:  # noqa: BLE001 - the page must learn of any failure
            self._update(state="failed", message=f"{type(error).__name__}: {error}", ended_at=time.monotonic())
        finally:
            self.slots.release()
            release_free_memory()
