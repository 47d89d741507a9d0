"""Training jobs on a Ray cluster: one named actor per run, read through the same surface as a thread job.

`RayTrainingJob` has `core.runs.jobs.TrainingJob`'s public surface (start, stop,
join, snapshot) plus attach / detach for the viewers of a run. Its work happens
in `_JobActor`, a Ray actor that hosts a plain `TrainingJob` (one slot, no
saving) in a worker process of the cluster; the app server reads progress with
actor method calls, as Ray's actor pattern has it. Each actor is named and lives
in one namespace, so another app server finds a run with `ray.get_actor`
(`RayTrainingJob.find`). The cluster's CPUs are the cap on concurrent runs: an
actor asks for TRAINING_RAY_CPUS_PER_JOB CPUs and waits, as "waiting", until the
cluster has them. A worker that dies ends its run as failed with the finished
epochs kept (the last snapshot read is kept on the app server's side).

Importing this module imports Ray: only `core.runs.backend` does, and only when Ray
is configured.
"""

from __future__ import annotations

import copy
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError

import core
from core.data import PreparedData
from core.runs.jobs import JobSnapshot
from core.records import RunRecord
from core.settings import RunSettings
from core.store import RunStore

NAMESPACE = "three-ways-training"  # every app server of one deployment looks runs up here
CPUS_PER_JOB_ENV = "TRAINING_RAY_CPUS_PER_JOB"
DEFAULT_CPUS_PER_JOB = 1.0
KEEP_RESULT_ENV = "TRAINING_RAY_KEEP_RESULT_SECONDS"
DEFAULT_KEEP_RESULT_SECONDS = 600.0  # an ended run's actor waits this long for its viewers to read the result
# The environment variables that set TensorFlow's thread pools; Ray sets OMP_NUM_THREADS=num_cpus
# in its workers, so the worker gets the app process's values back (see _JobActor.__init__).
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")

LINGER = 5.0  # seconds an ended, released actor still answers before it goes
WORKER_LOST = "The training worker was lost."
SNAPSHOT_WAIT = 0.5  # seconds a snapshot waits for the actor before returning the last one read
CONNECT_TIMEOUT = 3.0  # seconds to reach the cluster's GCS port before calling it unreachable
STALE_AFTER = 10.0  # seconds without an answer from a running actor before checking the cluster is there

# Ray ends a driver process 60 s after it lost the cluster's GCS: that would take the app server
# down with it. A week instead; a run's page hears of the loss at once through _probe.
RECONNECT_ENV = "RAY_gcs_rpc_server_reconnect_timeout_s"
RECONNECT_SECONDS = "604800"

_connect_lock = threading.Lock()
_connected_address: str | None = None
_lost: str | None = None  # the message, once the cluster this process was connected to went away


class RayUnavailable(RuntimeError):
    """The Ray cluster cannot be reached; the message says which address and why."""


def cpus_per_job() -> float:
    try:
        cpus = float(os.environ.get(CPUS_PER_JOB_ENV, DEFAULT_CPUS_PER_JOB))
    except ValueError:
        return DEFAULT_CPUS_PER_JOB
    return cpus if cpus > 0 else DEFAULT_CPUS_PER_JOB


def _keep_result_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(KEEP_RESULT_ENV, DEFAULT_KEEP_RESULT_SECONDS)))
    except ValueError:
        return DEFAULT_KEEP_RESULT_SECONDS


def _probe(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise RayUnavailable unless the GCS port at `address` (host:port) accepts a connection.

    `ray.init` on an address nobody answers retries for minutes; a page must hear at once.
    """
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as error:
        raise RayUnavailable(f"The Ray cluster at {address} cannot be reached ({error}).") from error


def connect(address: str | None) -> None:
    """Connect this process to the cluster once (a driver per app server); RayUnavailable if unreachable.

    `address` None or "auto" means the cluster started on this machine. The
    project's `core` package is shipped to the workers (py_modules), so the
    cluster's nodes need the pinned requirements, not a copy of the code.
    """
    global _connected_address
    with _connect_lock:
        if _lost:
            raise RayUnavailable(_lost)
        if ray.is_initialized():
            if _connected_address and _connected_address != "auto":
                try:
                    _probe(_connected_address)  # a cluster that went away: new jobs hear it (and may fall back)
                except RayUnavailable as error:
                    raise RayUnavailable(_cluster_lost(str(error))) from error
            return
        if address and address != "auto":
            _probe(address)
        os.environ.setdefault(RECONNECT_ENV, RECONNECT_SECONDS)  # read by Ray when it starts this driver
        try:
            ray.init(
                address=address or "auto",
                namespace=NAMESPACE,
                log_to_driver=False,
                runtime_env={"py_modules": [core]},
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise RayUnavailable(f"The Ray cluster at {address or 'auto'} cannot be reached ({error}).") from error
        _connected_address = address


def _cluster_lost(reason: str) -> str:
    """Remember that the cluster went away; the message every later start gets.

    `ray.shutdown()` hangs without a GCS to talk to, so this process cannot join a
    new cluster: restart the app server (one at a time behind the balancer) once
    the cluster is back.
    """
    global _lost
    _lost = f"{reason} Restart this app server to use the cluster again once it is back."
    return _lost


def disconnect() -> None:
    """Leave the cluster (tests and benchmarks that stop one and start another); runs on it go on."""
    global _connected_address
    global _lost
    with _connect_lock:
        ray.shutdown()
        _connected_address, _lost = None, None
        _data_refs.clear()  # their ObjectRefs belonged to the old connection


def _thread_settings() -> dict[str, str | None]:
    """This process's TensorFlow threading, to reproduce in the worker (None: unset here)."""
    return {name: os.environ.get(name) for name in THREAD_ENV_VARS}


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
        store_url: str | None,
    ):
        # Before TensorFlow loads here: the thread pools as in the app process. Intra-op
        # threads change the order of float reductions, so the figures depend on them.
        for name, value in threads.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from core.runs.jobs import JobSlots, TrainingJob

        settings = [RunSettings.from_dict(values) for values in settings_dicts]
        # One slot: the actor's CPUs were granted by the cluster, which is the cap.
        # The worker writes the run into the app's store itself when it can reach it (PostgreSQL, or a
        # SQLite file on this machine): epochs as they end and the final state, whoever watches. The
        # app server that started the run saves it at the end as well. The ids are the app server's.
        self.job = TrainingJob(
            settings, data, slots=JobSlots(1), fingerprints=fingerprints, run_ids=run_ids, store=_store_or_none(store_url)
        )
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

    def stop(self) -> None:
        self.job.stop()

    def pid(self) -> int:
        return os.getpid()

    def attach(self, viewer_id: str) -> None:
        with self.viewers_lock:
            self.viewers.add(viewer_id)

    def detach(self, viewer_id: str) -> None:
        """A viewer leaves; the last one leaving an active run stops it, and an ended run's actor goes."""
        with self.viewers_lock:
            self.viewers.discard(viewer_id)
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


def _store_or_none(url: str | None):
    """The app's run store as seen from a worker, or None where it cannot be reached from here."""
    if not url:
        return None
    from core.store import RunStore

    try:
        return RunStore(url)
    except Exception:  # noqa: BLE001 - another node cannot open the app server's SQLite file: its handle saves
        return None


class RayTrainingJob:
    """A run on the Ray cluster, driven from an app server like a `core.runs.jobs.TrainingJob`."""

    def __init__(
        self,
        settings_list: list[RunSettings],
        data: PreparedData | None,
        *,
        name: str | None = None,
        store: RunStore | None = None,
        fingerprints: list[str | None] | None = None,
        viewer: str | None = None,
    ):
        if not settings_list:
            raise ValueError("a job needs at least one run")
        self.settings_list = [s.validate() for s in settings_list]
        self.data = data
        # The worker saves nothing: the handle that started the run saves its records in `store`, at the end.
        self.store = store
        fingerprints = list(fingerprints) if fingerprints else [None] * len(self.settings_list)
        # The records are planned here, so the run's ids are known (and listed) before the cluster answers.
        self.planned = [
            RunRecord.start(s.method, s.to_dict(), fingerprint=f) for s, f in zip(self.settings_list, fingerprints, strict=True)
        ]
        self.name = name or f"run-{uuid.uuid4().hex}"
        # The run's first viewer: the caller's (a page's watch), or this handle itself.
        self.viewer_id = viewer or uuid.uuid4().hex
        self._actor = None
        self._pending = None  # the one snapshot call in flight
        self._pending_since = 0.0
        self._clock_offset: float | None = None  # this process's monotonic clock minus the worker's
        self._answered = False  # the actor has answered at least once: it exists and has its CPUs
        self._final: JobSnapshot | None = None
        self._lock = threading.Lock()
        self._last = JobSnapshot(
            state="waiting",
            methods=tuple(s.method for s in self.settings_list),
            current_method=None,
            epoch=0,
            epochs=self.settings_list[0].epochs,
            batches_done=0,
            batches_per_epoch=0,
            seconds_left_in_epoch=None,
            records=[],
            message="",
            version=0,
            started_at=time.monotonic(),
            ended_at=None,
        )

    # -- the job surface, as TrainingJob's -------------------------------------------

    def start(self) -> RayTrainingJob:
        """Create the run's named actor on the cluster and start it; an unreachable cluster ends it as failed."""
        try:
            connect(os.environ.get("RAY_ADDRESS"))
            actor = _JobActor.options(
                name=self.name,
                namespace=NAMESPACE,
                lifetime="detached",
                num_cpus=cpus_per_job(),
            ).remote(
                [s.to_dict() for s in self.settings_list],
                _data_ref(self.data),
                _thread_settings(),
                _keep_result_seconds(),
                [r.fingerprint for r in self.planned],
                self.run_ids,
                self.store.url if self.store is not None else None,
            )
        except RayUnavailable as error:
            self._end("failed", str(error))
            return self
        actor.attach.remote(self.viewer_id)
        actor.start.remote()
        self._actor = actor
        self.data = None  # the object store holds it now
        return self

    def snapshot(self) -> JobSnapshot:
        """The worker's snapshot; each caller gets its own copy (`JobSnapshot.own_copy`), as TrainingJob.snapshot's."""
        with self._lock:
            if self._final is not None:
                return self._final
            if self._actor is None:
                return self._last.own_copy()
            if self._pending is None:
                self._pending, self._pending_since = self._actor.snapshot.remote(), time.monotonic()
            try:
                ready, _ = ray.wait([self._pending], timeout=SNAPSHOT_WAIT)
                if not ready:  # still waiting for cluster CPUs, or busy: the last snapshot read
                    self._check_cluster()
                    return self._last.own_copy()
                answer, self._pending = self._pending, None
                snapshot, worker_now = ray.get(answer)
            except RayActorError:  # its process died: killed, out of memory, or its node went, or the cluster
                return self._end("failed", self._why_lost())
            except RayUnavailable as error:
                return self._end("failed", str(error))
            except RayError:  # a hiccup between here and the worker: ask again next time
                self._pending = None
                return self._last.own_copy()
            self._answered = True
            if self._clock_offset is None:
                self._clock_offset = time.monotonic() - worker_now
            snapshot.started_at += self._clock_offset
            if snapshot.ended_at is not None:
                snapshot.ended_at += self._clock_offset
            self._last = snapshot
            if not snapshot.active:
                self._fetch_result(snapshot)
                return self._final
            return snapshot.own_copy()

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
                self._end("stopped", "Stopped before a training slot became free.")

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
    def run_ids(self) -> list[str]:
        return [record.run_id for record in self.planned]

    @property
    def viewers(self) -> int:
        """How many viewers the run has on the cluster, over every app server (1 when it cannot tell)."""
        if self._actor is None or self._final is not None:
            return 0
        try:
            return ray.get(self._actor.viewer_count.remote(), timeout=2)
        except (RayError, GetTimeoutError):
            return 1

    def attach(self, viewer_id: str) -> bool:
        """Count `viewer_id` as watching; False when the run has already ended (or never started)."""
        if self._actor is None or not self.snapshot().active:
            return False
        self._actor.attach.remote(viewer_id)
        return True

    def detach(self, viewer_id: str | None = None) -> None:
        """A viewer leaves (this handle when None); the run stops when its last viewer leaves while it trains."""
        if self._actor is not None:
            self._actor.detach.remote(viewer_id or self.viewer_id)

    def stop_when_collected(self, owner: object) -> None:
        """As TrainingJob's: once `owner` (a browser session's token) is collected, this handle leaves the run."""
        weakref.finalize(owner, self.detach, self.viewer_id)

    def stop_when(self, owner_gone: Callable[[], bool], check_every: float = 1.0) -> None:
        """As TrainingJob's: leave the run once `owner_gone()` says True while it is active."""

        def watch() -> None:
            while self.snapshot().active:
                if owner_gone():
                    self.detach()
                    return
                time.sleep(check_every)

        threading.Thread(target=watch, name="ray-job-watch", daemon=True).start()

    def worker_pid(self) -> int:
        """The process id of the worker that trains this run (for fault tests and operators)."""
        return ray.get(self._actor.pid.remote(), timeout=60)

    @classmethod
    def find(cls, name: str, attach: bool = True) -> RayTrainingJob | None:
        """A handle on the run named `name`, started by any app server of the cluster, or None.

        With `attach`, the handle counts as one of the run's viewers; without, the caller attaches its own.
        """
        connect(os.environ.get("RAY_ADDRESS"))
        try:
            actor = ray.get_actor(name, namespace=NAMESPACE)
        except ValueError:  # no such actor (never started, or ended and read)
            return None
        try:
            settings = ray.get(actor.settings.remote(), timeout=60)
        except (RayActorError, GetTimeoutError):
            return None
        try:
            planned = ray.get(actor.planned.remote(), timeout=60)
        except (RayActorError, GetTimeoutError):
            return None
        job = cls([RunSettings.from_dict(values) for values in settings], None, name=name)  # its starter saves
        job.planned = [RunRecord.from_dict(values) for values in planned]
        job._actor, job._answered = actor, True
        if attach:
            actor.attach.remote(job.viewer_id)
        return job

    # -- internals --------------------------------------------------------------------

    def _check_cluster(self) -> None:
        """A running actor silent for long: find out whether the cluster itself went away."""
        if _lost:
            raise RayUnavailable(_lost)
        if self._answered and time.monotonic() - self._pending_since > STALE_AFTER and _connected_address:
            try:
                _probe(_connected_address)
            except RayUnavailable as error:
                raise RayUnavailable(_cluster_lost(f"The Ray cluster went away during the run: {error}")) from error

    def _why_lost(self) -> str:
        """The worker is gone: say whether the whole cluster went with it."""
        if _connected_address and _connected_address != "auto":
            try:
                _probe(_connected_address)
            except RayUnavailable as error:
                return _cluster_lost(f"The Ray cluster went away during the run: {error}")
        return WORKER_LOST

    def _fetch_result(self, snapshot: JobSnapshot) -> None:
        """Once, at the end: the trained weights, then leave so the actor can go."""
        try:
            snapshot.models = ray.get(self._actor.models.remote(), timeout=120)
        except (RayActorError, GetTimeoutError):
            snapshot.models = {}
        self._final = self._saved(snapshot)
        self._actor.detach.remote(self.viewer_id)

    def _saved(self, final: JobSnapshot) -> JobSnapshot:
        if self.store is not None:
            for record in final.records:
                try:
                    self.store.save_run(record)
                except Exception as error:  # noqa: BLE001 - a failing database must not lose the run on screen
                    record.message = (record.message + f" (not saved: {type(error).__name__}: {error})").strip()
        return final

    @classmethod
    def find_running(cls, prefix: str) -> RayTrainingJob | None:
        """A run still training whose actor name starts with `prefix` (e.g. "run-<fingerprint>"), or None."""
        connect(os.environ.get("RAY_ADDRESS"))
        from ray.util import list_named_actors

        for entry in list_named_actors(all_namespaces=True):
            name = entry["name"] if isinstance(entry, dict) else entry
            namespace = entry.get("namespace") if isinstance(entry, dict) else NAMESPACE
            if namespace != NAMESPACE or not name.startswith(prefix):
                continue
            job = cls.find(name, attach=False)
            if job is not None and job.snapshot().active:
                return job
        return None

    def _end(self, state: str, message: str) -> JobSnapshot:
        """End on this side: the last snapshot read, its epochs kept, the run in progress closed."""
        final = copy.deepcopy(self._last)
        if not final.records:
            # Never started on the cluster (stopped or unreachable while waiting): the run the hub
            # saved as queued ends here too, rather than staying "running" in the store. The planned
            # record itself: a hub that saves it after an unreachable start saves it ended.
            final.records = self.planned[:1]
        for record in final.records:
            if record.status == "running":
                record.end(state, message)
        final.state, final.message = state, message
        final.ended_at, final.version = time.monotonic(), final.version + 1
        final.seconds_left_in_epoch = None
        self._final = self._saved(final)
        return final


# Datasets already in the object store: id(data) -> (a weak reference to it, its ObjectRef).
_data_refs: dict[int, tuple[weakref.ref, object]] = {}


def _data_ref(data: PreparedData):
    """Put a dataset into the object store once per process; every run of it shares that copy."""
    key = id(data)
    known = _data_refs.get(key)
    if known is not None and known[0]() is data:
        return known[1]
    ref = ray.put(data)
    _data_refs[key] = (weakref.ref(data, lambda _: _data_refs.pop(key, None)), ref)
    return ref
