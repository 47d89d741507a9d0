"""Training jobs that run in a worker thread, so the web page can rerun freely meanwhile.

A `TrainingJob` trains one method, or several one after the other (the
comparison), in a thread that never touches the UI. It publishes progress into
its own lock-protected state; a page reads `snapshot()` as often as it likes: viewers who
ask within SNAPSHOT_SHARE_SECONDS of each other share one deep copy of its records.
It waits for a slot of the server's cap (core.runs.slots) before it trains, and
reports its runs to a `Recorder` (core.runs.recorder), which writes them.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.data import PreparedData
from core.predictions import TrainedModel
from core.records import EpochRow, RunRecord, now_iso
from core.runs.handle import JobSnapshot, PlannedRuns, SharedRun, checked_settings, job_snapshot, plan_records
from core.runs.recorder import Recorder, note_not_saved
from core.runs.slots import SERVER_PACE, SERVER_SLOTS, JobSlots, Pace
from core.settings import RunSettings
from core.states import JobState, MessageCode, RunMessage, RunStatus

if TYPE_CHECKING:
    from core.store import RunStore

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


@dataclass
class _Progress:
    state: JobState = JobState.WAITING
    current_method: str | None = None
    epoch: int = 0
    batches_done: int = 0
    batches_per_epoch: int = 0
    epoch_started: float = field(default_factory=time.monotonic)
    records: list[RunRecord] = field(default_factory=list)
    message: RunMessage = field(default_factory=RunMessage)
    version: int = 0
    ended_at: float | None = None
    models: dict[str, TrainedModel] = field(default_factory=dict)


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


class TrainingJob(PlannedRuns):
    """Train `settings_list` one after the other in a worker thread.

    Each run has one `RunRecord`, made here (so its id is known before it starts),
    handed to the trainer to fill in, shown live by `snapshot()` and reported to
    its recorder (which writes to `store`) as it starts, as epochs end and as it ends. Viewers (`attach`/`detach`) let several visitors watch one
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
        fingerprints: list[str | None] | None = None,
        prepared: bool = False,
        pace: Pace | None = None,
        run_ids: list[str] | None = None,
    ):
        self.settings_list = checked_settings(settings_list)
        self.data = data
        self.slots = slots or SERVER_SLOTS
        # Reported to, never written by the job; None: a run kept on screen only (a Ray worker's job).
        self._recorder = Recorder(store) if store is not None else None
        self._files: dict[str, dict[str, bytes]] = {}  # run_id -> the files its callbacks wrote (CSVLogger, TensorBoard)
        self.pace = pace or SERVER_PACE
        self.planned = plan_records(self.settings_list, fingerprints, run_ids)
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
            if not self._holding and self._progress.state == JobState.WAITING:
                # Released while still tracing its first step: that is what the page should say,
                # not "waiting for a slot" (the slot is taken at the hold, right after that step).
                self._progress.state = JobState.RUNNING
            self._progress.version += 1
        self._released.set()

    def attach(self, viewer: str) -> bool:
        """Count `viewer` as watching; False when the job has already ended."""
        with self._lock:
            if not self._progress.state.active:
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
            if p.state == JobState.RUNNING and p.batches_done:
                per_batch = (time.monotonic() - p.epoch_started) / p.batches_done
                left = per_batch * (p.batches_per_epoch - p.batches_done)
            # Records are filled by the training thread; copying under the lock gives whole epochs.
            records = copy.deepcopy(p.records)
            state, version, started_at = p.state, p.version, self.started_at
            snapshot = job_snapshot(
                self.settings_list,
                state=state,
                current_method=p.current_method,
                epoch=p.epoch,
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
        if state == JobState.WAITING:
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
        """Report the run (its new epoch, or its end with the files its callbacks wrote) to the recorder; a refusal is said in the run's message."""
        if files:
            with self._lock:
                self._files[record.run_id] = files  # a Ray actor hands them to the app server's recorder
        if self._recorder is None or not self._released.is_set():
            return  # a prepared run nobody has asked for yet leaves no trace
        error = self._recorder.run(record, lambda: not self.ended, epoch, files)
        if error is not None:
            with self._lock:
                note_not_saved(record, error)

    def callback_files(self) -> dict[str, dict[str, bytes]]:
        """run_id -> the files each ended run's callbacks wrote (for a Ray actor to hand to the app server)."""
        with self._lock:
            return dict(self._files)

    def _hold(self) -> float:
        """A prepared run's pause after its first step: wait for Train, then for a slot. Returns the seconds waited."""
        began = time.perf_counter()
        with self._lock:
            self._holding = True
        while not self._released.wait(0.2):
            if self.stop_event.is_set():
                return time.perf_counter() - began
        self._update(state=JobState.WAITING)
        with self._lock:
            record = self._progress.records[-1]
        self._save(record)  # now that somebody asked for it, the run exists
        if self.slots.acquire(self.stop_event, self._ticket, self.seconds_left):
            self._slot_taken = True
            self._update(state=JobState.RUNNING)
        return time.perf_counter() - began

    def _work(self) -> None:
        from core.training import RunHooks, train  # TensorFlow loads in the worker, not the page

        self._slot_taken = False
        if self._released.is_set():
            if not self.slots.acquire(self.stop_event, self._ticket, self.seconds_left):
                message = RunMessage(MessageCode.STOPPED_WAITING)
                # The hub saved the first run as running when it was queued: it ends as it did.
                self._save(self.planned[0].end(RunStatus.STOPPED, message))
                self._update(state=JobState.STOPPED, message=message, ended_at=time.monotonic())
                return
            self._slot_taken = True
        try:
            final_state, message = JobState.FINISHED, RunMessage()
            for position, (settings, record) in enumerate(zip(self.settings_list, self.planned, strict=True)):
                if self.stop_event.is_set():  # Stop pressed between two runs of a comparison
                    final_state, message = JobState.STOPPED, RunMessage(MessageCode.STOPPED_BETWEEN)
                    break
                if self._slot_taken:
                    record.started_at = now_iso()
                with self._lock:
                    self._progress.records.append(record)
                self._update(
                    state=JobState.RUNNING if self._slot_taken or self._released.is_set() else JobState.WAITING,
                    current_method=settings.method,
                    epoch=0,
                    batches_done=0,
                )
                self._save(record)  # running: the run exists from its first moment
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
                if record.status != RunStatus.FINISHED:
                    final_state, message = JobState(record.status), record.message
                    break
            self._update(state=final_state, message=message, ended_at=time.monotonic())
        except Exception as error:  # noqa: BLE001 - the page must learn of any failure
            self._update(state=JobState.FAILED, message=RunMessage.of_error(error), ended_at=time.monotonic())
        finally:
            if self._slot_taken:
                self.slots.release(self._ticket)
            release_free_memory()


_: type[SharedRun] = TrainingJob  # mypy checks the job against the protocol the hub relies on
