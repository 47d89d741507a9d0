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

from core.config import FALLBACK_ENV, environment
from core.data import PreparedData
from core.runs.handle import SharedRun
from core.runs.jobs import TrainingJob
from core.runs.slots import JobSlots
from core.settings import RunSettings
from core.store import RunStore


def ray_configured() -> bool:
    return environment().ray_configured


def start_job(
    settings_list: list[RunSettings],
    data: PreparedData,
    *,
    name: str | None = None,
    viewer: str | None = None,
    store: RunStore | None = None,
    fingerprints: list[str | None] | None = None,
    slots: JobSlots | None = None,
) -> tuple[SharedRun, str]:
    """Start a job for `settings_list` on the configured backend; return (job, notice).

    `name` names the run's actor on Ray (e.g. "run-<fingerprint>-<n>") so other app
    servers can find it; threads ignore it. `viewer` is counted as watching from the
    start (the run stops when its last viewer leaves). Both kinds report their records
    to a recorder of `store` (a thread job as its epochs end; a Ray job as this server
    reads its epochs, and at the end). `slots` is the local cap (a cluster has its own). The
    notice is "" unless something the page should say happened (the fallback to local
    training).
    """

    def local() -> TrainingJob:
        job = TrainingJob(settings_list, data, slots=slots, store=store, fingerprints=fingerprints)
        if viewer is not None:
            job.attach(viewer)
        return job.start()

    env = environment()
    if not env.ray_configured:
        return local(), ""
    from core.runs import ray_jobs  # Ray loads only here

    try:
        ray_jobs.connect(env.ray_address)
    except ray_jobs.RayUnavailable as error:
        if env.ray_fallback == "local":
            return local(), f"{error} Training on this server instead ({FALLBACK_ENV}=local)."
        # The job ends at once as failed with the message: the page shows it as any failed run.
    job = ray_jobs.RayTrainingJob(settings_list, data, name=name, store=store, fingerprints=fingerprints, viewer=viewer)
    return job.start(), ""


def find_running_job(prefix: str, store: RunStore | None = None) -> SharedRun | None:
    """A job still training whose name starts with `prefix`, started by any app server on the cluster; None with threads.

    With `store`, the handle reports the run there too (an upsert: saving it from two servers is safe).
    """
    if not ray_configured():
        return None
    from core.runs import ray_jobs

    try:
        return ray_jobs.RayTrainingJob.find_running(prefix, store=store)
    except ray_jobs.RayUnavailable:
        return None
