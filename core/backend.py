"""Where a training job runs: in a thread of this server (the default) or on a Ray cluster.

`start_job` is the one way the app starts a job. Without configuration it is a
`core.jobs.TrainingJob` in a worker thread, as on Streamlit Community Cloud, and
Ray is never imported. With RAY_ADDRESS set, or TRAINING_BACKEND=ray, each job
is a `core.ray_jobs.RayTrainingJob` on the cluster; both answer the same calls
(start, snapshot, stop, join). When the cluster cannot be reached, the job ends
as failed with a message saying so, or, with TRAINING_RAY_FALLBACK=local, trains
in a thread here and the notice says why.
"""

from __future__ import annotations

import os

from core.data import PreparedData
from core.jobs import TrainingJob
from core.settings import RunSettings

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


def start_job(settings_list: list[RunSettings], data: PreparedData, *, name: str | None = None, **thread_options):
    """Start a job for `settings_list` on the configured backend; return (job, notice).

    `name` names the run's actor on Ray (e.g. "run-<fingerprint>") so other app
    servers can find it; threads ignore it. `thread_options` go to TrainingJob
    (slots, runs_folder, save); on Ray, save and runs_folder apply (the app server
    saves the records when the run ends). The notice is "" unless something the page should
    say happened (the fallback to local training).
    """
    if not ray_configured():
        return TrainingJob(settings_list, data, **thread_options).start(), ""
    from core import ray_jobs  # Ray loads only here

    try:
        ray_jobs.connect(os.environ.get(RAY_ADDRESS_ENV) or None)
    except ray_jobs.RayUnavailable as error:
        if falls_back_to_local():
            notice = f"{error} Training on this server instead ({FALLBACK_ENV}=local)."
            return TrainingJob(settings_list, data, **thread_options).start(), notice
        # The job ends at once as failed with the message: the page shows it as any failed run.
    saving = {k: v for k, v in thread_options.items() if k in ("save", "runs_folder")}  # a cluster has no local slots
    return ray_jobs.RayTrainingJob(settings_list, data, name=name, **saving).start(), ""


def find_job(name: str):
    """The running job named `name` that any app server started on the cluster, or None (always with threads)."""
    if not ray_configured():
        return None
    from core import ray_jobs

    try:
        return ray_jobs.RayTrainingJob.find(name)
    except ray_jobs.RayUnavailable:
        return None
