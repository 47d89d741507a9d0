"""One computation per distinct run: the hub that joins identical Train presses.

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
  anything trains. While it is queued or trains, this process holds its lease.

A visitor's Train press is a `core.runs.watch.Watch` over the hub's computations.
The hub reports each new run to its recorder (core.runs.recorder), the one writer.
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.config import environment
from core.data import PreparedData
from core.fingerprint import run_fingerprint
from core.predictions import TrainedModel
from core.records import RunRecord
from core.runs.backend import find_running_job, ray_configured, start_job
from core.runs.handle import JobSnapshot, SharedRun
from core.runs.jobs import TrainingJob
from core.runs.recorder import Recorder
from core.runs.slots import SERVER_SLOTS, JobSlots
from core.settings import RunSettings
from core.states import JobState, MessageCode, RunMessage, RunStatus, Source
from core.store import SERVER_OWNER, SERVER_SPACE, RunStore, store_from_environment

PREPARED_RUNS = 2  # prepared (held) runs kept per server: each is a model, its optimizer and a traced step
MODELS_BY_FINGERPRINT = 16  # trained weights kept for cached results (~1.3 MB each at the chapter's sizes)


@dataclass
class Part:
    """One method of a watch: a live job (trained by us or joined) or a finished result from the store."""

    settings: RunSettings
    how: Source  # trained, joined or cached
    job: SharedRun | None = None
    record: RunRecord | None = None  # the cached result; or, once we stopped watching, the run as we last saw it
    model: TrainedModel | None = None
    frozen: JobSnapshot | None = None  # the job as it was when this viewer stopped watching
    notice: str = ""  # something the page should say about how it runs (the cluster fell back to local)

    @property
    def run_id(self) -> str:
        if self.job is not None:
            return self.job.run_ids[0]
        assert self.record is not None  # a part is a job or a cached record
        return self.record.run_id

    def snapshot(self) -> JobSnapshot | None:
        """The job as this viewer sees it (as it left it, once it stopped watching); None for a cached result."""
        if self.frozen is not None:
            return self.frozen
        return self.job.snapshot() if self.job is not None else None

    def status(self) -> JobState:
        """Finished for a cached result, running while the job is active, else how it ended for this viewer."""
        snap = self.snapshot()
        if snap is None:
            return JobState.FINISHED
        return snap.state if not snap.active else JobState.RUNNING

    def leave(self, viewer: str) -> None:
        """`viewer` stops watching before the job ended: keep the job as they leave it; it goes on for the others."""
        assert self.job is not None  # only a live part is watched
        snap = self.job.snapshot()
        others = self.job.viewers - 1
        if others > 0:
            message = RunMessage(MessageCode.LEFT_WATCHING, {"others": others})
        else:
            message = RunMessage(MessageCode.STOPPED_DURING, {"epoch": max(snap.epoch, 1)})
        for record in snap.records:
            if record.status == RunStatus.RUNNING:
                record.status, record.message = RunStatus.STOPPED, message
        self.frozen = replace(snap, state=JobState.STOPPED, message=message, ended_at=time.monotonic())
        self.job.detach(viewer)


class Hub:
    """Per process: computations by fingerprint, prepared runs, and weights of recent results."""

    def __init__(
        self,
        store: RunStore | Callable[[], RunStore] = store_from_environment,
        slots: JobSlots | None = None,
        prepared_runs: int = PREPARED_RUNS,
    ):
        self.recorder = Recorder(store)  # every run this hub starts is reported here
        self.slots = slots or SERVER_SLOTS
        self.prepared_runs = prepared_runs
        self._lock = threading.Lock()
        self._active: dict[str, SharedRun] = {}
        self._prepared: collections.OrderedDict[str, TrainingJob] = collections.OrderedDict()
        self._models: collections.OrderedDict[str, TrainedModel] = collections.OrderedDict()
        self.jobs_started = 0  # computations this hub started: the class benchmark counts them

    @property
    def store(self) -> RunStore:
        return self.recorder.store

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
        if not environment().prepare_ahead or ray_configured():
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

    def prepared_for(self, settings: RunSettings, data: PreparedData) -> TrainingJob | None:
        """The prepared run for these inputs, still tracing or holding; None when there is none."""
        fingerprint = self.fingerprint(settings, data)
        with self._lock:
            return self._prepared.get(fingerprint)

    def is_prepared(self, settings: RunSettings, data: PreparedData) -> bool:
        """True when a prepared run for these inputs holds, ready to count its first batch on Train."""
        job = self.prepared_for(settings, data)
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
                return Part(settings, Source.JOINED, job=running)
        if running is None:
            # Another app server may be training it on the cluster (None without Ray: nothing to ask).
            elsewhere = find_running_job(f"run-{fingerprint}", store=self.store)
            if elsewhere is not None and elsewhere.attach(viewer):
                with self._lock:
                    self._active.setdefault(fingerprint, elsewhere)
                return Part(settings, Source.JOINED, job=elsewhere)
        if not fresh:
            cached = self.store.cached_result(fingerprint)
            if cached is not None:
                with self._lock:
                    model = self._models.get(fingerprint)
                return Part(settings, Source.CACHED, record=cached, model=model)
        with self._lock:
            running = self._active.get(fingerprint)  # someone may have started it meanwhile
            if running is not None and running.attach(viewer):
                return Part(settings, Source.JOINED, job=running)
            # Only a new run counts; joining and cached results cost nobody's quota. Raises QuotaFull.
            self.store.make_room(owner, space, 1)
            job: SharedRun
            prepared, notice = self._prepared.pop(fingerprint, None), ""
            if prepared is not None and not prepared.join(0):
                prepared.attach(viewer)
                prepared.release()
                job = prepared
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
            # Queued or training, the run is vouched for by this process while its job is active.
            self.recorder.new_run(job.planned[0], owner=owner, space=space, alive=lambda: job.snapshot().active)
            self.jobs_started += 1
            self._active[fingerprint] = job
            return Part(settings, Source.TRAINED, job=job, notice=notice)


# One hub per server process: every session's Train goes through it.
_server_hub: Hub | None = None
_server_hub_lock = threading.Lock()


def server_hub() -> Hub:
    global _server_hub
    with _server_hub_lock:
        if _server_hub is None:
            _server_hub = Hub()
        return _server_hub


def replace_server_hub(hub: Hub | None) -> None:
    """Make `hub` the process's hub; None: the next `server_hub()` builds a fresh one, as a restarted server has.

    For tests and benchmarks that start each case as a fresh server (another cap, another store).
    """
    global _server_hub
    with _server_hub_lock:
        _server_hub = hub
