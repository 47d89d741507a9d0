"""Training jobs that run in a worker thread, so the web page can rerun freely meanwhile.

A `TrainingJob` trains one method, or several one after the other (the
comparison), in a thread that never touches the UI. It publishes progress into
its own lock-protected state; a page reads `snapshot()` as often as it likes: viewers who
ask within SNAPSHOT_SHARE_SECONDS of each other share one deep copy of its records.
`JobSlots` caps how many jobs train at once across the whole server (each
TensorFlow run already uses every core), so extra jobs wait visibly instead of
slowing everyone down.
"""

from __future__ import annotations

import collections
import copy
import functools
import heapq
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from core.data import PreparedData
from core.predictions import TrainedModel
from core.records import EpochRow, RunRecord, now_iso
from core.settings import RunSettings

if TYPE_CHECKING:
    from core.store import RunStore

JOB_SLOTS_ENV = "TRAINING_JOB_SLOTS"
DEFAULT_JOB_SLOTS = 2  # two cores: two runs at once keep both busy without thrashing

JOB_STATES = ("waiting", "running", "finished", "stopped", "failed")
# A snapshot is shared by every viewer who asks within this many seconds while nothing but the batch
# count moved: a class of thirty watching one run costs one copy of its records per tick, not thirty
# (the copy of a run's per-batch curve holds the GIL for milliseconds that training needs).
SNAPSHOT_SHARE_SECONDS = 0.25


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
    """A server-wide cap on jobs that train at the same time, served first come, first served.

    Waiting jobs queue in the order they asked; the head of the queue takes the
    next free slot. `position()` and `estimated_start()` tell a waiting visitor
    where they stand and roughly when their run begins.
    """

    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._changed = threading.Condition()
        self._queue: collections.deque[object] = collections.deque()
        # ticket -> seconds its job still needs (holders) / will need once started (waiters); None = unknown.
        self._remaining: dict[object, Callable[[], float | None]] = {}
        self.in_use = 0

    def acquire(
        self, stop: threading.Event, ticket: object | None = None, remaining: Callable[[], float | None] | None = None
    ) -> bool:
        """Block until this ticket's turn comes and a slot is free (True) or `stop` is set (False)."""
        ticket = ticket if ticket is not None else object()
        with self._changed:
            self._queue.append(ticket)
            self._remaining[ticket] = remaining or (lambda: None)
            try:
                while not stop.is_set():
                    if self._queue[0] is ticket and self.in_use < self.capacity:
                        self._queue.popleft()
                        self.in_use += 1
                        return True
                    self._changed.wait(0.2)  # also wakes up now and then to notice `stop`
                self._remaining.pop(ticket, None)
                return False
            finally:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._changed.notify_all()

    def release(self, ticket: object | None = None) -> None:
        with self._changed:
            self.in_use -= 1
            self._remaining.pop(ticket, None)
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._queue)

    def position(self, ticket: object) -> int | None:
        """1 for the next job to start, None when `ticket` is not waiting."""
        with self._changed:
            try:
                return self._queue.index(ticket) + 1
            except ValueError:
                return None

    def estimated_start(self, ticket: object) -> float | None:
        """Seconds until `ticket` should start: slots free up as running jobs end, then each job ahead runs.

        None while some job ahead (or running) has no estimate yet (no epoch measured on this server).
        """
        with self._changed:
            if ticket not in self._queue:
                return None
            holders = [t for t in self._remaining if t not in self._queue]
            ahead = list(self._queue)[: self._queue.index(ticket)]
            estimates = [self._remaining[t]() for t in holders + ahead]
        if any(e is None for e in estimates):
            return None
        free_at = [0.0] * max(0, self.capacity - len(holders)) + estimates[: len(holders)]
        heapq.heapify(free_at)
        for duration in estimates[len(holders) :]:
            heapq.heappush(free_at, heapq.heappop(free_at) + duration)
        return heapq.heappop(free_at) if free_at else 0.0


class Pace:
    """Seconds per epoch as measured on this server, so a waiting visitor gets an estimate.

    Kept per token-step (newswires x tokens per epoch): a run with max_len 100 is about a
    third of one with 300. A moving average, because the machine's load varies.
    """

    def __init__(self) -> None:
        self._seconds_per_token: float | None = None
        self._lock = threading.Lock()

    def record(self, seconds: float, newswires: int, max_len: int) -> None:
        rate = seconds / max(1, newswires * max_len)
        with self._lock:
            old = self._seconds_per_token
            self._seconds_per_token = rate if old is None else 0.7 * old + 0.3 * rate

    def epoch_seconds(self, newswires: int, max_len: int) -> float | None:
        with self._lock:
            rate = self._seconds_per_token
        return None if rate is None else rate * newswires * max_len


def slots_from_environment() -> JobSlots:
    try:
        capacity = int(os.environ.get(JOB_SLOTS_ENV, DEFAULT_JOB_SLOTS))
    except ValueError:
        capacity = DEFAULT_JOB_SLOTS
    return JobSlots(capacity)


# One cap for the whole process: every session's jobs share it.
SERVER_SLOTS = slots_from_environment()
SERVER_PACE = Pace()


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
    queue_position: int | None = None  # while waiting: 1 = next to start
    estimated_start: float | None = None  # while waiting: seconds until it should start, when known
    # run_id -> how this viewer got a run it did not start: "joined" (live) or "cached" (finished before).
    shared: dict[str, str] = field(default_factory=dict)

    def shared_by_method(self) -> dict[str, str]:
        """{method: "joined" | "cached"} for the runs of this view that another press computed."""
        return {r.method: self.shared[r.run_id] for r in self.records if r.run_id in self.shared}

    notices: tuple[str, ...] = ()  # how the runs are made, when the page should say (a cluster fell back to local)

    @property
    def active(self) -> bool:
        return self.state in ("waiting", "running")

    def own_copy(self) -> JobSnapshot:
        """A copy for one caller, made in microseconds: its records and their lists are new objects, so a caller
        changing them (a status, a cleared list) changes nothing another viewer reads. Epoch rows and per-batch
        points themselves are shared: nobody changes them once written."""
        records = [replace(r, epochs=list(r.epochs), batches=list(r.batches), settings=dict(r.settings)) for r in self.records]
        return replace(self, records=records, models=dict(self.models), shared=dict(self.shared))


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


def stop_when_owner_gone(
    worker: threading.Thread, stop: threading.Event, owner_gone: Callable[[], bool], check_every: float, name: str
) -> None:
    """From a small thread, while `worker` lives (or has not started), set `stop` once `owner_gone()` says True."""

    def watch() -> None:
        while worker.is_alive() or not worker.ident:
            if stop.wait(check_every):
                return
            if owner_gone():
                stop.set()
                return

    threading.Thread(target=watch, name=name, daemon=True).start()


# Every job of this process that may still be running, so a shutdown can stop them all (see stop_every_job).
_live_jobs: weakref.WeakSet[TrainingJob] = weakref.WeakSet()


def stop_every_job(wait: float = 60.0) -> int:
    """Stop every job of this process and wait up to `wait` seconds for each; returns how many were running.

    For a process about to exit (a test session, a server shutting down): a worker thread still
    inside TensorFlow when the interpreter finalizes aborts the whole process.
    """
    running = [job for job in list(_live_jobs) if job._thread.is_alive()]
    for job in running:
        job.stop()
    for job in running:
        job.join(wait)
    return len(running)


class TrainingJob:
    """Train `settings_list` one after the other in a worker thread.

    Each run has one `RunRecord`, made here (so its id is known before it starts),
    handed to the trainer to fill in, shown live by `snapshot()` and written to
    `store` as epochs end. Viewers (`attach`/`detach`) let several visitors watch one
    computation: it stops when the last one leaves. A `prepared` job builds its model
    and runs its first step at once, without a slot, then holds until `release()`:
    so Train answers without waiting for TensorFlow to trace the step.
    """

    def __init__(
        self,
        settings_list: list[RunSettings],
        data: PreparedData,
        *,
        slots: JobSlots | None = None,
        store: RunStore | None = None,
        fingerprints: list[str] | None = None,
        prepared: bool = False,
        pace: Pace | None = None,
        run_ids: list[str] | None = None,
    ):
        if not settings_list:
            raise ValueError("a job needs at least one run")
        self.settings_list = [s.validate() for s in settings_list]
        self.data = data
        self.slots = slots or SERVER_SLOTS
        self.store = store
        self.fingerprints = list(fingerprints) if fingerprints else [None] * len(self.settings_list)
        self.pace = pace or SERVER_PACE
        self.planned = [
            RunRecord.start(s.method, s.to_dict(), fingerprint=f)
            for s, f in zip(self.settings_list, self.fingerprints, strict=True)
        ]
        for record, run_id in zip(self.planned, run_ids or [], strict=False):
            record.run_id = run_id  # ids chosen elsewhere: a Ray worker's job keeps the app server's ids
        self.stop_event = threading.Event()
        self.started_at = time.monotonic()
        self._lock = threading.Lock()
        self._progress = _Progress()
        self._viewers: set[str] = set()
        self._ticket = object()  # this job's place in the slots' queue
        self._released = threading.Event()
        if not prepared:
            self._released.set()
        self._holding = False  # a prepared job has run its first step and waits in _hold
        self._thread = threading.Thread(target=self._work, name="training-job", daemon=True)
        self._shared: tuple[int, float, JobSnapshot] | None = None  # (version, when, snapshot) handed to viewers
        self.snapshots_built = 0  # copies made, however many viewers read them: the live-view tests count them

    @property
    def run_ids(self) -> list[str]:
        return [record.run_id for record in self.planned]

    # -- called from the page -------------------------------------------------

    def start(self) -> TrainingJob:
        _live_jobs.add(self)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def prepared(self) -> bool:
        """True while the job is prepared and not yet released (still tracing, or holding after its first step)."""
        return not self._released.is_set()

    @property
    def holding(self) -> bool:
        """True once a prepared job has run its first step and waits for `release()`: Train counts a batch at once."""
        with self._lock:
            return self._holding and not self._released.is_set()

    def release(self) -> None:
        """Train was pressed: a prepared job goes on (through the queue for a slot)."""
        with self._lock:
            self.started_at = time.monotonic()
            for record in self.planned:
                record.started_at = now_iso()
            if not self._holding and self._progress.state == "waiting":
                # Released while still tracing its first step: that is what the page should say,
                # not "waiting for a slot" (the slot is taken at the hold, right after that step).
                self._progress.state = "running"
            self._progress.version += 1
        self._released.set()

    def attach(self, viewer: str) -> bool:
        """Count `viewer` as watching; False when the job has already ended."""
        with self._lock:
            if self._progress.state not in ("waiting", "running"):
                return False
            self._viewers.add(viewer)
            return True

    def detach(self, viewer: str) -> None:
        """`viewer` stops watching; the computation stops once nobody watches it."""
        with self._lock:
            self._viewers.discard(viewer)
            nobody = not self._viewers
        if nobody:
            self.stop_event.set()

    @property
    def viewers(self) -> int:
        with self._lock:
            return len(self._viewers)

    def stop_when(self, owner_gone: Callable[[], bool], check_every: float = 1.0) -> None:
        """Watch `owner_gone()` from a small thread while the job lives; stop the job once it says True.

        The web page passes a check that its browser session has been closed for
        longer than the server keeps closed sessions: the run then stops and frees
        its slot instead of training for nobody.
        """

        stop_when_owner_gone(self._thread, self.stop_event, owner_gone, check_every, "training-job-watch")

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

    @property
    def ended(self) -> bool:
        """True once the job's thread has run and finished; never blocks."""
        return self._thread.ident is not None and not self._thread.is_alive()

    def seconds_left(self) -> float | None:
        """This job's remaining training time from the server's measured pace; None before any measurement."""
        with self._lock:
            p = self._progress
            epochs_done = sum(len(r.epochs) for r in p.records)
        total = 0.0
        for settings in self.settings_list:
            per_epoch = self.pace.epoch_seconds(len(self.data.y_train) + len(self.data.y_test), settings.max_len)
            if per_epoch is None:
                return None
            total += per_epoch * settings.epochs
        first = self.settings_list[0]
        done = self.pace.epoch_seconds(len(self.data.y_train) + len(self.data.y_test), first.max_len) or 0.0
        return max(0.0, total - done * epochs_done)

    def snapshot(self) -> JobSnapshot:
        """The job's state now, or as another viewer read it less than SNAPSHOT_SHARE_SECONDS ago.

        The deep copy of the records is made once and shared; each caller gets its `own_copy`.
        """
        now = time.monotonic()
        with self._lock:
            shared = self._shared
            if shared is not None and shared[0] == self._progress.version and now - shared[1] < SNAPSHOT_SHARE_SECONDS:
                return shared[2].own_copy()
        snapshot = self._build_snapshot()
        with self._lock:
            self._shared = (snapshot.version, now, snapshot)
            self.snapshots_built += 1
        return snapshot.own_copy()

    def _build_snapshot(self) -> JobSnapshot:
        with self._lock:
            p = self._progress
            left = None
            if p.state == "running" and p.batches_done:
                per_batch = (time.monotonic() - p.epoch_started) / p.batches_done
                left = per_batch * (p.batches_per_epoch - p.batches_done)
            # Records are filled by the training thread; copying under the lock gives whole epochs.
            records = copy.deepcopy(p.records)
            state, version, started_at = p.state, p.version, self.started_at
            snapshot = JobSnapshot(
                state=state,
                methods=tuple(s.method for s in self.settings_list),
                current_method=p.current_method,
                epoch=p.epoch,
                epochs=self.settings_list[0].epochs,
                batches_done=p.batches_done,
                batches_per_epoch=p.batches_per_epoch,
                seconds_left_in_epoch=left,
                records=records,
                message=p.message,
                version=version,
                started_at=started_at,
                ended_at=p.ended_at,
                models=dict(p.models),
            )
        if state == "waiting":
            snapshot.queue_position = self.slots.position(self._ticket)
            snapshot.estimated_start = self.slots.estimated_start(self._ticket)
        return snapshot

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
        # The trainer has appended `row` to the record already; publish it and keep it.
        with self._lock:
            record = self._progress.records[-1]
            self._progress.version += 1
        self.pace.record(row.seconds, len(self.data.y_train) + len(self.data.y_test), self.data.max_len)
        self._save(record, epoch=row)

    def _save(self, record: RunRecord, epoch: EpochRow | None = None, files: dict[str, bytes] | None = None) -> None:
        """Write to the store (the record, one epoch, or the record and its files); a failing database must not lose the run on screen."""
        if self.store is None or not self._released.is_set():
            return  # a prepared run nobody has asked for yet leaves no trace
        try:
            if epoch is None:
                self.store.save_run(record)
            else:
                self.store.add_epoch(record.run_id, epoch)
            if files:
                self.store.save_run_files(record.run_id, files)
            if record.status == "running":
                # This process vouches for the run while the job lives (in a Ray worker too): a killed
                # process stops renewing, and the run is shown as interrupted (core.store.Leases).
                self.store.leases.hold(record.run_id, lambda: not self.ended)
        except Exception as error:  # noqa: BLE001 - shown with the run, which goes on
            with self._lock:
                if "not saved" not in record.message:
                    record.message = (record.message + f" (not saved: {type(error).__name__}: {error})").strip()

    def _hold(self) -> float:
        """A prepared run's pause after its first step: wait for Train, then for a slot. Returns the seconds waited."""
        began = time.perf_counter()
        with self._lock:
            self._holding = True
        while not self._released.wait(0.2):
            if self.stop_event.is_set():
                return time.perf_counter() - began
        self._update(state="waiting")
        with self._lock:
            record = self._progress.records[-1]
        self._save(record)  # now that somebody asked for it, the run exists
        if self.slots.acquire(self.stop_event, self._ticket, self.seconds_left):
            self._slot_taken = True
            self._update(state="running")
        return time.perf_counter() - began

    def _work(self) -> None:
        from core.training import RunHooks, train  # TensorFlow loads in the worker, not the page

        self._slot_taken = False
        if self._released.is_set():
            if not self.slots.acquire(self.stop_event, self._ticket, self.seconds_left):
                message = "Stopped before a training slot became free."
                # The hub saved the first run as running when it was queued: it ends as it did.
                self._save(self.planned[0].end("stopped", message))
                self._update(state="stopped", message=message, ended_at=time.monotonic())
                return
            self._slot_taken = True
        try:
            final_state, message = "finished", ""
            for position, (settings, record) in enumerate(zip(self.settings_list, self.planned, strict=True)):
                if self.stop_event.is_set():  # Stop pressed between two runs of a comparison
                    final_state, message = "stopped", "Stopped by request before the next method started."
                    break
                if self._slot_taken:
                    record.started_at = now_iso()
                with self._lock:
                    self._progress.records.append(record)
                self._update(
                    state="running" if self._slot_taken or self._released.is_set() else "waiting",
                    current_method=settings.method,
                    epoch=0,
                    batches_done=0,
                )
                self._save(record)  # "running": the run exists from its first moment
                hooks = RunHooks(
                    self._on_batch,
                    self._on_epoch,
                    self.stop_event,
                    record=record,
                    hold=self._hold if position == 0 and not self._slot_taken else None,
                )
                trained = train(settings, self.data, hooks)
                kept = TrainedModel.capture(trained.model, record, self.data) if trained.model is not None else None
                files = trained.files
                del trained  # only the weights are kept, not the Keras model and its optimizer
                self._save(record, files=files)
                with self._lock:
                    if kept is not None:
                        self._progress.models[record.run_id] = kept
                if record.status != "finished":
                    final_state, message = record.status, record.message
                    break
            self._update(state=final_state, message=message, ended_at=time.monotonic())
        except Exception as error:  # noqa: BLE001 - the page must learn of any failure
            self._update(state="failed", message=f"{type(error).__name__}: {error}", ended_at=time.monotonic())
        finally:
            if self._slot_taken:
                self.slots.release(self._ticket)
            release_free_memory()
