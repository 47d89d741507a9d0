"""Where a training job runs: in a thread of this server (the default) or on a Ray cluster.

`start_job` is the one way the app starts a job. Without configuration it is a
`core.runs.jobs.TrainingJob` in a worker thread, as on Streamlit Community Cloud, and
Ray is never imported. With RAY_ADDRESS set, or TRAINING_BACKEND=ray, each job
is a `core.runs.ray_jobs.RayTrainingJob` on the cluster; both answer the same calls
(start, snapshot, stop, join). When the cluster cannot be reached, the job ends
as failed with a message saying so, or, with TRAINING_RAY_FALLBACK=local, trains
in a thread here and the notice says why.
"""

from __future__ import annotations

import os

from core.data import PreparedData
from core.runs.jobs import JobSlots, TrainingJob
from core.settings import RunSettings
from core.store import RunStore

BACKEND_ENV = "TRAINING_BACKEND"  # "threads" (default) or "ray"
RAY_ADDRESS_ENV = "RAY_ADDRESS"  # Ray's own variable: host:port of the cluster's head (GCS)
FALLBACK_ENV = "TRAINING_RAY_FALLBACK"  # "local": train in this server when the cluster is unreachable


def ray_configured() -> bool:
    backend = os.environ.get(BACKEND_ENV, "").strip().lower()
    if backend in ("threads", "thread", "local"):
        return False
    return backend == "ray" or bool(os.environ.get(RAY_ADDRESS_ENV, "").strip())


def falls_back_to_local() -> bool:
    return os.environ.get(FALLBACK_ENV, "").strip().lower() == "local"


def start_job(
    settings_list: list[RunSettings],
    data: PreparedData,
    *,
    name: str | None = None,
    viewer: str | None = None,
    store: RunStore | None = None,
    fingerprints: list[str | None] | None = None,
    slots: JobSlots | None = None,
):
    """Start a job for `settings_list` on the configured backend; return (job, notice).

    `name` names the run's actor on Ray (e.g. "run-<fingerprint>-<n>") so other app
    servers can find it; threads ignore it. `viewer` is counted as watching from the
    start (the run stops when its last viewer leaves). `store` receives the records
    (a thread job writes epochs as they end; a Ray job's records are saved by this
    server when the run ends). `slots` is the local cap (a cluster has its own). The
    notice is "" unless something the page should say happened (the fallback to local
    training).
    """

    def local() -> TrainingJob:
        job = TrainingJob(settings_list, data, slots=slots, store=store, fingerprints=fingerprints)
        if viewer is not None:
            job.attach(viewer)
        return job.start()

    if not ray_configured():
        return local(), ""
    from core.runs import ray_jobs  # Ray loads only here

    try:
        ray_jobs.connect(os.environ.get(RAY_ADDRESS_ENV) or None)
    except ray_jobs.RayUnavailable as error:
        if falls_back_to_local():
            return local(), f"{error} Training on this server instead ({FALLBACK_ENV}=local)."
        # The job ends at once as failed with the message: the page shows it as any failed run.
    job = ray_jobs.RayTrainingJob(settings_list, data, name=name, store=store, fingerprints=fingerprints, viewer=viewer)
    return job.start(), ""


def find_running_job(prefix: str):
    """A job still training whose name starts with `prefix`, started by any app server on the cluster; None with threads."""
    if not ray_configured():
        return None
    from core.runs import ray_jobs

    try:
        return ray_jobs.RayTrainingJob.find_running(prefix)
    except ray_jobs.RayUnavailable:
        return None
