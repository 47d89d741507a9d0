"""One computation per distinct run: the hub that joins identical Train presses, and a visitor's watch.

Training is deterministic given its inputs, so thirty students pressing Train
with the same settings need one run, not thirty. The `Hub` (one per server
process) keys computations by fingerprint (core.fingerprint):

- one with that fingerprint is training now: the visitor joins it (`attach`) and
  sees its epochs so far, then every batch and epoch live; no second slot is used;
- one finished earlier (in the store): its result is shown at once, labelled as such;
- otherwise a new job starts under the server's first-come-first-served cap. If
  the page had one prepared for exactly these inputs (model built and first step
  traced while the visitor read the page), that one goes on instead. A new run
  counts against the quotas of its owner (the visitor) and space
  (`RunStore.make_room`): when one is full it is refused with `QuotaFull`, before
  anything trains. While it is queued or trains, this hub holds its lease.

A `Watch` is one visitor's Train press: it resolves each method in turn (the
comparison has three), records in the visitor's space which runs they used, and
gives the page one `JobSnapshot` over them. Stop ends the watching; the
computation itself stops only when no watcher is left.
"""

from __future__ import annotations

import collections
import copy
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from core.backend import find_running_job, ray_configured, start_job
from core.data import PreparedData
from core.fingerprint import run_fingerprint
from core.jobs import SERVER_SLOTS, JobSlots, JobSnapshot, TrainingJob, stop_when_owner_gone
from core.predictions import TrainedModel
from core.records import RunRecord
from core.settings import RunSettings
from core.store import SERVER_OWNER, SERVER_SPACE, QuotaFull, RunStore, store_from_environment

log = logging.getLogger(__name__)

PREPARE_AHEAD_ENV = "TRAINING_PREPARE_AHEAD"  # "0" turns preparing runs ahead of Train off
PREPARED_RUNS = 2  # prepared (held) runs kept per server: each is a model, its optimizer and a traced step
MODELS_BY_FINGERPRINT = 16  # trained weights kept for cached results (~1.3 MB each at the chapter's sizes)


@dataclass
class Part:
    """One method of a watch: a live job (trained by us or joined) or a finished result from the store."""

    settings: RunSettings
    how: str  # "trained" | "joined" | "cached"
    job: TrainingJob | None = None
    record: RunRecord | None = None  # the cached result; or, once we stopped watching, the run as we last saw it
    model: TrainedModel | None = None
    frozen: JobSnapshot | None = None  # the job as it was when this viewer stopped watching
    notice: str = ""  # something the page should say about how it runs (the cluster fell back to local)

    @property
    def run_id(self) -> str:
        return self.record.run_id if self.job is None else self.job.run_ids[0]


class Hub:
    """Per process: computations by fingerprint, prepared runs, and weights of recent results."""

    def __init__(
        self,
        store: RunStore | Callable[[], RunStore] = store_from_environment,
        slots: JobSlots | None = None,
        prepared_runs: int = PREPARED_RUNS,
    ):
        self._store = store
        self.slots = slots or SERVER_SLOTS
        self.prepared_runs = prepared_runs
        self._lock = threading.Lock()
        self._active: dict[str, TrainingJob] = {}
        self._prepared: collections.OrderedDict[str, TrainingJob] = collections.OrderedDict()
        self._models: collections.OrderedDict[str, TrainedModel] = collections.OrderedDict()
        self.jobs_started = 0  # computations this hub started: the class benchmark counts them

    @property
    def store(self) -> RunStore:
        return self._store if isinstance(self._store, RunStore) else self._store()

    @staticmethod
    def fingerprint(settings: RunSettings, data: PreparedData) -> str:
        return run_fingerprint(settings, data.content_hash)

    # -- bookkeeping ----------------------------------------------------------

    def _tidy(self) -> None:
        """Forget ended computations, keeping their trained weights for later cached results. Lock held."""
        for fingerprint, job in list(self._active.items()):
            if job.ended:
                del self._active[fingerprint]
                for model in job.snapshot().models.values():
                    self._remember_model(fingerprint, model)
        for fingerprint, job in list(self._prepared.items()):
            if job.ended:  # a prepared run that failed or was stopped
                del self._prepared[fingerprint]

    def _remember_model(self, fingerprint: str, model: TrainedModel) -> None:
        self._models[fingerprint] = model
        self._models.move_to_end(fingerprint)
        while len(self._models) > MODELS_BY_FINGERPRINT:
            self._models.popitem(last=False)

    def kept_model(self, fingerprint: str | None) -> TrainedModel | None:
        """The trained weights of the computation with this fingerprint, while this process still keeps them."""
        if fingerprint is None:
            return None
        with self._lock:
            self._tidy()
            return self._models.get(fingerprint)

    def active_jobs(self) -> int:
        with self._lock:
            self._tidy()
            return len(self._active)

    # -- preparing while the visitor reads -------------------------------------

    def prepare(self, settings: RunSettings, data: PreparedData) -> bool:
        """Build and trace a run for these inputs ahead of Train, when it would help and the server is idle.

        Skipped when the result is cached or training, and while every slot is busy
        (preparing costs a second of CPU that running jobs would lose). Returns True
        when a prepared run exists for these inputs afterwards.
        """
        if os.environ.get(PREPARE_AHEAD_ENV, "1").strip() == "0" or ray_configured():
            return False  # off, or the run would start on a cluster worker, not here
        fingerprint = self.fingerprint(settings, data)
        with self._lock:
            self._tidy()
            if fingerprint in self._prepared:
                self._prepared.move_to_end(fingerprint)
                return True
            if fingerprint in self._active or self.slots.in_use >= self.slots.capacity or self.slots.waiting:
                return False
        if self.store.cached_result(fingerprint) is not None:
            return False
        job = TrainingJob([settings], data, slots=self.slots, store=self.store, fingerprints=[fingerprint], prepared=True)
        with self._lock:
            if fingerprint in self._prepared or fingerprint in self._active:
                return True
            self._prepared[fingerprint] = job.start()
            while len(self._prepared) > self.prepared_runs:
                _old, oldest = self._prepared.popitem(last=False)
                oldest.stop()
        return True

    def is_prepared(self, settings: RunSettings, data: PreparedData) -> bool:
        """True when a prepared run for these inputs holds, ready to count its first batch on Train."""
        fingerprint = self.fingerprint(settings, data)
        with self._lock:
            job = self._prepared.get(fingerprint)
            return job is not None and job.holding

    def discard_prepared(self, wait: float = 0.0) -> None:
        """Stop every prepared run; wait up to `wait` seconds for each to end."""
        with self._lock:
            jobs = list(self._prepared.values())
            self._prepared.clear()
        for job in jobs:
            job.stop()
        for job in jobs:
            job.join(wait)

    # -- Train ----------------------------------------------------------------

    def request(
        self,
        settings: RunSettings,
        data: PreparedData,
        viewer: str,
        *,
        fresh: bool = False,
        owner: str = SERVER_OWNER,
        space: str = SERVER_SPACE,
    ) -> Part:
        """Join, reuse or start the computation for these inputs, with `viewer` watching it.

        A new computation is `owner`'s, made in `space`: QuotaFull when it does not fit their quotas.
        """
        fingerprint = self.fingerprint(settings, data)
        with self._lock:
            self._tidy()
            running = self._active.get(fingerprint)
            if running is not None and running.attach(viewer):
                return Part(settings, "joined", job=running)
        if running is None:
            # Another app server may be training it on the cluster (None without Ray: nothing to ask).
            elsewhere = find_running_job(f"run-{fingerprint}")
            if elsewhere is not None and elsewhere.attach(viewer):
                elsewhere.store = self.store  # the final record is saved from here too (an upsert: saving twice is safe)
                with self._lock:
                    self._active.setdefault(fingerprint, elsewhere)
                return Part(settings, "joined", job=elsewhere)
        if not fresh:
            cached = self.store.cached_result(fingerprint)
            if cached is not None:
                with self._lock:
                    model = self._models.get(fingerprint)
                return Part(settings, "cached", record=cached, model=model)
        with self._lock:
            running = self._active.get(fingerprint)  # someone may have started it meanwhile
            if running is not None and running.attach(viewer):
                return Part(settings, "joined", job=running)
            # Only a new run counts; joining and cached results cost nobody's quota. Raises QuotaFull.
            self.store.make_room(owner, space, 1)
            job, notice = self._prepared.pop(fingerprint, None), ""
            if job is not None and not job.join(0):
                job.attach(viewer)
                job.release()
            else:
                job, notice = start_job(
                    [settings],
                    data,
                    name=f"run-{fingerprint}-{uuid.uuid4().hex[:8]}",
                    viewer=viewer,
                    store=self.store,
                    fingerprints=[fingerprint],
                    slots=self.slots,
                )
            # The run exists in the store before anyone can join it (queued runs too): a joiner's space
            # refers to it at once. A few milliseconds under the lock, once per computation.
            self.store.save_run(job.planned[0], owner=owner, made_in=space)
            # Queued or training, the run is vouched for by this process while its job is active.
            self.store.leases.hold(job.planned[0].run_id, lambda job=job: job.snapshot().active)
            self.jobs_started += 1
            self._active[fingerprint] = job
            return Part(settings, "trained", job=job, notice=notice)


# One hub per server process: every session's Train goes through it.
_server_hub: Hub | None = None
_server_hub_lock = threading.Lock()


def server_hub() -> Hub:
    global _server_hub
    with _server_hub_lock:
        if _server_hub is None:
            _server_hub = Hub()
        return _server_hub


@dataclass
class _WatchState:
    parts: list[Part] = field(default_factory=list)
    state: str = "waiting"
    message: str = ""
    ended_at: float | None = None
    version: int = 0


class Watch:
    """One visitor's Train press over one or more methods; the page reads `snapshot()`.

    Same surface as a TrainingJob (start, stop, join, snapshot, stop_when,
    stop_when_collected), so the live view does not care how the figures are made.
    `owner` is whose quota new runs count against: the visitor's id (ui.classroom.visitor_id);
    by default the private space's visitor, or the server's for other spaces (scripts, tests).
    """

    def __init__(
        self,
        hub: Hub,
        settings_list: list[RunSettings],
        data: PreparedData,
        *,
        space: str,
        display_name: str = "",
        fresh: bool = False,
        owner: str | None = None,
    ):
        if not settings_list:
            raise ValueError("a watch needs at least one run")
        if owner is None:
            owner = space.removeprefix("me:") if space.startswith("me:") else SERVER_OWNER
        self.owner = owner
        self.hub = hub
        self.settings_list = [s.validate() for s in settings_list]
        self.data = data
        self.space = space
        self.display_name = display_name
        self.fresh = fresh
        self.viewer = uuid.uuid4().hex
        self.stop_event = threading.Event()
        self.started_at = time.monotonic()
        self._lock = threading.Lock()
        self._state = _WatchState()
        self._thread = threading.Thread(target=self._work, name="training-watch", daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_for_first_batch(self, timeout: float) -> bool:
        """Up to `timeout` seconds until the view has a counted batch (or has ended). True if it has."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.snapshot()
            if snap.batches_done > 0 or any(record.epochs for record in snap.records) or not snap.active:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)

    def stop_when(self, owner_gone: Callable[[], bool], check_every: float = 1.0) -> None:
        """Stop watching once `owner_gone()` says the browser session is gone for good."""

        stop_when_owner_gone(self._thread, self.stop_event, owner_gone, check_every, "training-watch-owner")

    def stop_when_collected(self, owner: object) -> None:
        weakref.finalize(owner, self.stop_event.set)

    # -- the watching thread --------------------------------------------------

    def _bump(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._state, name, value)
            self._state.version += 1

    def _work(self) -> None:
        final, message = "finished", ""
        try:
            for settings in self.settings_list:
                if self.stop_event.is_set():
                    final, message = "stopped", "Stopped by request before the next method started."
                    break
                part = self.hub.request(settings, self.data, self.viewer, fresh=self.fresh, owner=self.owner, space=self.space)
                with self._lock:
                    self._state.parts.append(part)
                self._bump(state="running")
                self._add_to_space(part)
                if part.job is not None:
                    while not part.job.join(0.2):
                        if self.stop_event.is_set():
                            part.frozen = self._stopped_watching(part)
                            part.job.detach(self.viewer)
                            break
                    else:
                        part.job.detach(self.viewer)
                    self._bump()
                status = self._part_status(part)
                if status != "finished":
                    last = self._part_snapshot(part)
                    final, message = status, last.message if last is not None else ""
                    break
        except QuotaFull as refusal:  # nothing was trained: the message names the full quota
            final, message = "failed", str(refusal)
        except Exception as error:  # noqa: BLE001 - the page must learn of any failure
            final, message = "failed", f"{type(error).__name__}: {error}"
        self._bump(state=final, message=message, ended_at=time.monotonic())

    def _add_to_space(self, part: Part) -> None:
        """List the part's run in the visitor's space; the run row is written first if this store lacks it."""
        store = self.hub.store
        try:
            if part.job is not None and store.get_run(part.run_id) is None:
                # A run another server started (Ray) and has not saved where this server looks yet.
                store.save_run(self._part_snapshot(part).records[0])
            store.add_to_space(self.space, part.run_id, self.display_name, part.how)
        except Exception:  # noqa: BLE001 - the run still shows; only the list of saved runs misses it
            log.warning("could not add run %s to space %s", part.run_id, self.space, exc_info=True)

    def _stopped_watching(self, part: Part) -> JobSnapshot:
        """The job as this viewer leaves it; if others still watch, it goes on for them."""
        snap = part.job.snapshot()
        others = part.job.viewers - 1
        if others > 0:
            message = f"You stopped watching; the run goes on for {others} other viewer(s) with identical settings."
        else:
            message = f"Stopped by request during epoch {max(snap.epoch, 1)}."
        for record in snap.records:
            if record.status == "running":
                record.status, record.message = "stopped", message
        return replace(snap, state="stopped", message=message, ended_at=time.monotonic())

    def _part_snapshot(self, part: Part) -> JobSnapshot | None:
        if part.frozen is not None:
            return part.frozen
        if part.job is not None:
            return part.job.snapshot()
        return None

    def _part_status(self, part: Part) -> str:
        snap = self._part_snapshot(part)
        if snap is None:  # a cached result
            return "finished"
        return snap.state if not snap.active else "running"

    # -- what the page reads --------------------------------------------------

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            parts = list(self._state.parts)
            state, message, ended_at, own_version = (
                self._state.state,
                self._state.message,
                self._state.ended_at,
                self._state.version,
            )
        records: list[RunRecord] = []
        models: dict[str, TrainedModel] = {}
        shared: dict[str, str] = {}
        notices = tuple(part.notice for part in parts if part.notice)
        version = own_version
        current: JobSnapshot | None = None
        for part in parts:
            if part.how != "trained":
                shared[part.run_id] = part.how  # by run: a sweep has one method and several runs
            snap = self._part_snapshot(part)
            if snap is None:
                record = copy.deepcopy(part.record)
                records.append(record)
                if part.model is not None:
                    models[record.run_id] = part.model
                continue
            records.extend(snap.records)
            models.update(snap.models)
            version += snap.version
            if snap.active:
                current = snap
        if ended_at is None:  # still watching: the current job's state, or "waiting" until the first is resolved
            state = current.state if current is not None else ("running" if parts else "waiting")
        return JobSnapshot(
            state=state,
            methods=tuple(s.method for s in self.settings_list),
            current_method=current.current_method if current else (parts[-1].settings.method if parts else None),
            epoch=current.epoch if current else 0,
            epochs=self.settings_list[0].epochs,
            batches_done=current.batches_done if current else 0,
            batches_per_epoch=current.batches_per_epoch if current else 0,
            seconds_left_in_epoch=current.seconds_left_in_epoch if current else None,
            records=records,
            message=message,
            version=version,
            started_at=self.started_at,
            ended_at=ended_at,
            models=models,
            queue_position=current.queue_position if current else None,
            estimated_start=current.estimated_start if current else None,
            shared=shared,
            notices=notices,
        )
