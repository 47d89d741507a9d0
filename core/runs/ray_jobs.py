"""Training jobs on a Ray cluster: one named actor per run, read through the same surface as a thread job.

`RayTrainingJob` answers the run-handle protocols (core.runs.handle) as
`core.runs.jobs.TrainingJob` does: start, stop, join, snapshot, and attach /
detach for the viewers of a run. Its work happens in `_JobActor`, a Ray actor
that hosts a plain `TrainingJob` (one slot, no recorder: the worker writes
nothing) in a worker process of the cluster; the app server reads progress with
actor method calls, as Ray's actor pattern has it, and reports what it reads to
its recorder, the one writer of runs (core.runs.recorder). Each actor is named
and lives in one namespace, so another app server finds a run with
`ray.get_actor` (`RayTrainingJob.find`). The cluster's CPUs are the cap on
concurrent runs: an actor asks for TRAINING_RAY_CPUS_PER_JOB CPUs and waits, as
"waiting", until the cluster has them. A worker that dies ends its run as
failed with the finished epochs kept (the last snapshot read is kept on the app
server's side).

Importing this module imports Ray: only `core.runs.backend` does, and only when
Ray is configured.
"""

from __future__ import annotations

import copy
import os
import threading
import time
import uuid
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError

from core.config import environment
from core.data import PreparedData
from core.records import RunRecord
from core.runs.handle import JobSnapshot, PlannedRuns, SharedRun, checked_settings, job_snapshot, plan_records
from core.runs.ray_cluster import NAMESPACE, WORKER_LOST, RayUnavailable, connect, data_ref, disconnect, raise_if_gone, why_lost
from core.runs.recorder import Recorder
from core.settings import RunSettings
from core.states import JobState, MessageCode, RunMessage, RunStatus
from core.store import RunStore

# What callers of this module use from the connection's (tests and benchmarks connect and disconnect).
__all__ = ["WORKER_LOST", "RayTrainingJob", "RayUnavailable", "connect", "disconnect"]

LINGER = 5.0  # seconds an ended, released actor still answers before it goes
SNAPSHOT_WAIT = 0.5  # seconds a snapshot waits for the actor before returning the last one read


@ray.remote(max_restarts=0, max_concurrency=8)
class _JobActor:
    """One run (or one comparison) in a Ray worker process: a plain TrainingJob, its viewers, its end."""

    def __init__(
        self,
        settings_dicts: list[dict],
        data: PreparedData,
        threads: dict[str, str | None],
        keep: float,
        fingerprints: list[str | None],
        run_ids: list[str],
    ):
        # Before TensorFlow loads here: the thread pools as in the app process. Intra-op
        # threads change the order of float reductions, so the figures depend on them.
        for name, value in threads.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from core.runs.jobs import TrainingJob
        from core.runs.slots import JobSlots

        settings = [RunSettings.from_dict(values) for values in settings_dicts]
        # One slot: the actor's CPUs were granted by the cluster, which is the cap. No store: the app
        # server that reads this actor reports the run to its recorder. The ids are the app server's.
        self.job = TrainingJob(settings, data, slots=JobSlots(1), fingerprints=fingerprints, run_ids=run_ids)
        self.viewers: set[str] = set()
        self.viewers_lock = threading.Lock()
        self.released = threading.Event()
        self.keep = keep

    def start(self) -> None:
        self.job.start()
        threading.Thread(target=self._end_when_read, name="ray-job-reaper", daemon=True).start()

    def snapshot(self) -> tuple[JobSnapshot, float]:
        """The job's snapshot without the trained weights (fetched once, by models()), and this process's clock."""
        snapshot = self.job.snapshot()
        snapshot.models = {}
        return snapshot, time.monotonic()

    def settings(self) -> list[dict]:
        return [s.to_dict() for s in self.job.settings_list]

    def planned(self) -> list[dict]:
        """The run records as planned (ids, fingerprints, settings), for a handle made by `find`."""
        return [record.to_dict() for record in self.job.planned]

    def viewer_count(self) -> int:
        with self.viewers_lock:
            return len(self.viewers)

    def models(self) -> dict:
        return self.job.snapshot().models

    def callback_files(self) -> dict[str, dict[str, bytes]]:
        return self.job.callback_files()

    def stop(self) -> None:
        self.job.stop()

    def pid(self) -> int:
        return os.getpid()

    def attach(self, viewer: str) -> None:
        with self.viewers_lock:
            self.viewers.add(viewer)

    def detach(self, viewer: str) -> None:
        """A viewer leaves; the last one leaving an active run stops it, and an ended run's actor goes."""
        with self.viewers_lock:
            self.viewers.discard(viewer)
            if self.viewers:
                return
        if self.job.snapshot().active:
            self.job.stop()
        self.released.set()

    def _end_when_read(self) -> None:
        # The actor is detached (it outlives the app server that started it, so others can join
        # the run): it ends itself once the run ended and its viewers read the result, or
        # after the grace period when they never do.
        self.job.join()
        if self.released.wait(self.keep):
            time.sleep(LINGER)  # handles still polling (another server's page) read the final state too
        ray.kill(ray.get_runtime_context().current_actor, no_restart=True)


class RayTrainingJob(PlannedRuns):
    """A run on the Ray cluster, driven from an app server like a `core.runs.jobs.TrainingJob`.

    With a `store`, this handle reports what it reads to a recorder: each record as its epochs
    arrive (whenever a page or the run's lease reads it) and the final records at the end.
    """

    def __init__(
        self,
        settings_list: list[RunSettings],
        data: PreparedData | None,
        *,
        name: str | None = None,
        store: RunStore | None = None,
        fingerprints: list[str | None] | None = None,
        viewer: str | None = None,
        planned: list[RunRecord] | None = None,
    ):
        self.settings_list = checked_settings(settings_list)
        self.data = data
        self._recorder = Recorder(store) if store is not None else None
        # Planned here (or read from the actor by `find`), so the run's ids are known before the cluster answers.
        self.planned = planned or plan_records(self.settings_list, fingerprints)
        self.name = name or f"run-{uuid.uuid4().hex}"
        # The run's first viewer: the caller's (a page's watch), or this handle itself.
        self.viewer_id = viewer or uuid.uuid4().hex
        self._actor: Any = None  # the actor's handle (Ray's types do not describe its methods)
        self._pending: Any = None  # the one snapshot call in flight
        self._pending_since = 0.0
        self._clock_offset: float | None = None  # this process's monotonic clock minus the worker's
        self._answered = False  # the actor has answered at least once: it exists and has its CPUs
        self._final: JobSnapshot | None = None
        self._reported: dict[str, tuple[int, RunStatus]] = {}  # run_id -> (epochs, status) last reported to the recorder
        self._here: set[str] = set()  # the viewers attached through this handle and not yet gone (see _read)
        self._lock = threading.Lock()
        self._last = job_snapshot(self.settings_list, state=JobState.WAITING, records=[], version=0, started_at=time.monotonic())

    # -- the run handle ---------------------------------------------------------------

    def start(self) -> RayTrainingJob:
        """Create the run's named actor on the cluster and start it; an unreachable cluster ends it as failed."""
        assert self.data is not None, "a run found on the cluster was started by another handle"
        env = environment()
        try:
            connect(env.ray_address)
            actor = _JobActor.options(  # type: ignore[attr-defined]  # @ray.remote made it an actor class
                name=self.name,
                namespace=NAMESPACE,
                lifetime="detached",
                num_cpus=env.ray_cpus_per_job,
            ).remote(
                [s.to_dict() for s in self.settings_list],
                data_ref(self.data),
                # Ray sets OMP_NUM_THREADS=num_cpus in its workers: the worker gets this process's back.
                env.thread_settings,
                env.ray_keep_result_seconds,
                [r.fingerprint for r in self.planned],
                self.run_ids,
            )
        except RayUnavailable as error:
            self._end(JobState.FAILED, RunMessage.plain(str(error)))
            return self
        actor.attach.remote(self.viewer_id)
        self._here.add(self.viewer_id)
        actor.start.remote()
        self._actor = actor
        self.data = None  # the object store holds it now
        return self

    def snapshot(self) -> JobSnapshot:
        """The worker's snapshot; each caller gets its own copy (`JobSnapshot.own_copy`), as TrainingJob.snapshot's."""
        with self._lock:
            snapshot = self._read()
        self._report(snapshot)
        return snapshot if snapshot is self._final else snapshot.own_copy()

    def stop(self) -> None:
        """Stop within one batch; a run still waiting for cluster CPUs is cancelled at once."""
        with self._lock:
            actor, answered = self._actor, self._answered
        if actor is None:
            return
        if not answered:  # an actor that exists answers at once; one still waiting for CPUs does not
            answered = bool(ray.wait([actor.pid.remote()], timeout=1.0)[0])
        if answered:
            actor.stop.remote()
            return
        ray.kill(actor, no_restart=True)  # never got its CPUs, so never trained: nothing to keep
        with self._lock:
            if self._final is None:
                self._end(JobState.STOPPED, RunMessage(MessageCode.STOPPED_WAITING))

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.snapshot().active:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    # -- viewers and cross-server joining --------------------------------------------

    @property
    def ended(self) -> bool:
        """True once this handle has the run's final state; never blocks (snapshot() moves it on)."""
        return self._final is not None

    @property
    def viewers(self) -> int:
        """How many viewers the run has on the cluster, over every app server (1 when it cannot tell)."""
        if self._actor is None or self._final is not None:
            return 0
        try:
            return ray.get(self._actor.viewer_count.remote(), timeout=2)
        except (RayError, GetTimeoutError):
            return 1

    def attach(self, viewer: str) -> bool:
        """Count `viewer` as watching; False when the run has already ended (or never started)."""
        if self._actor is None or not self.snapshot().active:
            return False
        self._actor.attach.remote(viewer)
        self._here.add(viewer)
        return True

    def detach(self, viewer: str | None = None) -> None:
        """A viewer leaves (this handle when None); the run stops when its last viewer leaves while it trains."""
        self._here.discard(viewer or self.viewer_id)
        if self._actor is None:
            return
        self._actor.detach.remote(viewer or self.viewer_id)
        if not self._here and self._final is None:
            # The last viewer here may be the run's last: the actor then stops the run and lingers
            # LINGER seconds for its handles to read the end. Read it, so the recorder saves the
            # true ending rather than leaving the lease to guess.
            threading.Thread(target=self._follow_to_the_end, name="ray-job-last-read", daemon=True).start()

    def _follow_to_the_end(self) -> None:
        deadline = time.monotonic() + 2 * LINGER
        while self._final is None and time.monotonic() < deadline:
            self.snapshot()
            time.sleep(0.2)

    def worker_pid(self) -> int:
        """The process id of the worker that trains this run (for fault tests and operators)."""
        return ray.get(self._actor.pid.remote(), timeout=60)

    @classmethod
    def find(cls, name: str, attach: bool = True, store: RunStore | None = None) -> RayTrainingJob | None:
        """A handle on the run named `name`, started by any app server of the cluster, or None.

        With `attach`, the handle counts as one of the run's viewers; without, the caller attaches its own.
        With `store`, this handle reports the run there too (saving a run twice is an upsert).
        """
        connect(environment().ray_address)
        try:
            actor = ray.get_actor(name, namespace=NAMESPACE)
        except ValueError:  # no such actor (never started, or ended and read)
            return None
        try:
            settings = ray.get(actor.settings.remote(), timeout=60)
            planned = ray.get(actor.planned.remote(), timeout=60)
        except (RayActorError, GetTimeoutError):
            return None
        job = cls(
            [RunSettings.from_dict(values) for values in settings],
            None,
            name=name,
            store=store,
            planned=[RunRecord.from_dict(values) for values in planned],
        )
        job._actor, job._answered = actor, True
        if attach:
            actor.attach.remote(job.viewer_id)
            job._here.add(job.viewer_id)
        return job

    @classmethod
    def find_running(cls, prefix: str, store: RunStore | None = None) -> RayTrainingJob | None:
        """A run still training whose actor name starts with `prefix` (e.g. "run-<fingerprint>"), or None."""
        connect(environment().ray_address)
        from ray.util import list_named_actors

        for entry in list_named_actors(all_namespaces=True):
            name = entry["name"] if isinstance(entry, dict) else entry
            namespace = entry.get("namespace") if isinstance(entry, dict) else NAMESPACE
            if namespace != NAMESPACE or not name.startswith(prefix):
                continue
            job = cls.find(name, attach=False, store=store)
            if job is not None and job.snapshot().active:
                return job
        return None

    # -- internals --------------------------------------------------------------------

    def _read(self) -> JobSnapshot:
        """The newest snapshot this handle has (lock held): the final one, the actor's answer, or the last read."""
        if self._final is not None or self._actor is None:
            return self._final or self._last
        if self._pending is None:
            self._pending, self._pending_since = self._actor.snapshot.remote(), time.monotonic()
        try:
            ready, _ = ray.wait([self._pending], timeout=SNAPSHOT_WAIT)
            if not ready:  # still waiting for cluster CPUs, or busy: the last snapshot read
                raise_if_gone(time.monotonic() - self._pending_since if self._answered else 0.0)
                return self._last
            answer, self._pending = self._pending, None
            snapshot, worker_now = ray.get(answer)
        except RayActorError:  # its process died: killed, out of memory, or its node went, or the cluster
            if not self._here:
                # Every viewer of this handle had left: the actor may have ended normally once the run's
                # last viewer (maybe on another server) read its end, and recorded it. Guessing "lost" here
                # would overwrite that true ending; when nobody recorded one, the lease lapses to interrupted.
                return self._end(JobState.FAILED, why_lost(), report=False)
            return self._end(JobState.FAILED, why_lost())
        except RayUnavailable as error:
            return self._end(JobState.FAILED, RunMessage.plain(str(error)))
        except RayError:  # a hiccup between here and the worker: ask again next time
            self._pending = None
            return self._last
        self._answered = True
        if self._clock_offset is None:
            self._clock_offset = time.monotonic() - worker_now
        snapshot.started_at += self._clock_offset
        if snapshot.ended_at is not None:
            snapshot.ended_at += self._clock_offset
        self._last = snapshot
        if not snapshot.active:
            return self._fetch_result(snapshot)
        return snapshot

    def _report(self, snapshot: JobSnapshot) -> None:
        """Tell the recorder about each running record whose epochs or status moved since last told."""
        if self._recorder is None or snapshot is self._final:
            return  # the final records were reported by _end / _fetch_result
        for record in snapshot.records:
            seen = (len(record.epochs), record.status)
            if record.status == RunStatus.RUNNING and self._reported.get(record.run_id) != seen:
                self._reported[record.run_id] = seen
                # While it runs, the lease is held by reading the actor: that keeps reporting too.
                self._recorder.run(record, lambda: self.snapshot().active)

    def _fetch_result(self, snapshot: JobSnapshot) -> JobSnapshot:
        """Once, at the end: the trained weights, then leave so the actor can go."""
        try:
            snapshot.models = ray.get(self._actor.models.remote(), timeout=120)
            files = ray.get(self._actor.callback_files.remote(), timeout=120) if self._recorder is not None else {}
        except (RayActorError, GetTimeoutError):
            snapshot.models, files = {}, {}
        self._final = self._recorded(snapshot, files)
        self._actor.detach.remote(self.viewer_id)
        return self._final

    def _recorded(self, final: JobSnapshot, files: dict[str, dict[str, bytes]] | None = None) -> JobSnapshot:
        if self._recorder is not None:
            self._recorder.ended(final.records, files)
        return final

    def _end(self, state: JobState, message: RunMessage, report: bool = True) -> JobSnapshot:
        """End on this side: the last snapshot read, its epochs kept, the run in progress closed."""
        final = copy.deepcopy(self._last)
        if not final.records:
            # Never started on the cluster (stopped or unreachable while waiting): the run the hub
            # saved as queued ends here too, rather than staying running in the store. The planned
            # record itself: a hub that saves it after an unreachable start saves it ended.
            final.records = self.planned[:1]
        for record in final.records:
            if record.status == RunStatus.RUNNING:
                record.end(RunStatus(state), message)
        final.state, final.message = state, message
        final.ended_at, final.version = time.monotonic(), final.version + 1
        final.seconds_left_in_epoch = None
        self._final = self._recorded(final) if report else final
        return final


_: type[SharedRun] = RayTrainingJob  # mypy checks the Ray job against the protocol the hub relies on
