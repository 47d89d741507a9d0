"""Training jobs on a real Ray cluster: same figures as threads, Stop, a killed worker, joining, fallback.

One 2-CPU cluster for the module (tests/engines.py); this test process is its
driver, as an app server would be. Waits poll snapshots until a condition holds;
the deadlines only stop a hung test, nothing asserts how long anything took.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from engines import EngineUnavailable, free_port, ray_address, ray_command, ray_logs, skip_or_fail  # noqa: F401 - ray_address is a pytest fixture
from support import figures

from core.config import CPUS_PER_JOB_ENV
from core.methods import names
from core.runs.jobs import TrainingJob
from core.runs.slots import JobSlots
from core.states import MessageCode
from core.store import RunStore

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 180.0  # seconds: far beyond any tiny run, only there so a hang fails instead of blocking


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def ray_jobs(ray_address):  # noqa: F811 - the fixture
    """core.runs.ray_jobs connected to the module's cluster; disconnected before the cluster stops."""
    from core.runs import ray_jobs

    saved = os.environ.get("RAY_ADDRESS")
    os.environ["RAY_ADDRESS"] = ray_address
    try:  # restored even when connecting fails: a leaked RAY_ADDRESS sends every later test's runs to Ray
        try:
            ray_jobs.connect(ray_address)
        except ray_jobs.RayUnavailable as error:
            raise AssertionError(f"{error}\n{ray_logs(ray_address)}") from error
        yield ray_jobs
        ray_jobs.disconnect()
    finally:
        if saved is None:
            os.environ.pop("RAY_ADDRESS", None)
        else:
            os.environ["RAY_ADDRESS"] = saved


def epochs_done(job) -> int:
    records = job.snapshot().records
    return len(records[0].epochs) if records else 0


def trains_on(handle) -> None:
    """`handle`'s run goes on: it trains three batches past now, more than a stop lets it (one batch)."""
    now = handle.snapshot()
    mark = (now.epoch, now.batches_done + 3)

    def moved_on_or_ended() -> bool:
        later = handle.snapshot()
        return not later.active or (later.epoch, later.batches_done) >= mark

    wait_for(moved_on_or_ended, "the run to train on")
    assert handle.snapshot().state == "running"


@pytest.mark.ray
def test_the_three_methods_through_ray_give_the_thread_figures(ray_jobs, tiny_data, tiny_settings):
    settings = [tiny_settings.with_method(m) for m in names()]
    local = TrainingJob(settings, tiny_data, slots=JobSlots(1)).start()
    assert local.join(HANG_GUARD)
    remote = ray_jobs.RayTrainingJob(settings, tiny_data).start()
    assert remote.join(HANG_GUARD)

    here, there = local.snapshot(), remote.snapshot()
    assert there.state == "finished", there.message
    assert [r.method for r in there.records] == list(names())
    for a, b in zip(here.records, there.records, strict=True):
        assert b.status == "finished" and len(b.epochs) == tiny_settings.epochs
        assert figures(b, 6) == figures(a, 6), b.method
    # The weights come once, at the end, and are the thread run's to float precision.
    assert len(there.models) == len(names())
    for a, b in zip(here.records, there.records, strict=True):
        for wa, wb in zip(here.models[a.run_id].weights, there.models[b.run_id].weights, strict=True):
            np.testing.assert_allclose(wa, wb, rtol=0, atol=1e-5)
    # On this side's clock, like a thread job's.
    assert there.started_at <= there.ended_at <= time.monotonic()


@pytest.mark.ray
def test_stop_through_ray_keeps_the_finished_epochs_and_the_actor_goes(ray_jobs, tiny_data, tiny_settings, tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")
    job = ray_jobs.RayTrainingJob([replace(tiny_settings, epochs=200)], tiny_data, name="run-test-stop", store=store).start()
    wait_for(lambda: epochs_done(job) >= 1 and job.snapshot().batches_done > 0, "an epoch and a batch of the next")
    live = job.snapshot()
    assert live.state == "running" and live.batches_per_epoch == 12 and live.current_method == "fit"
    job.stop()
    assert job.join(HANG_GUARD)
    last = job.snapshot()
    assert last.state == "stopped" and last.message.code is MessageCode.STOPPED_DURING
    (record,) = last.records
    assert record.status == "stopped" and 1 <= len(record.epochs) < 200
    assert list(last.models) == [record.run_id]  # a stopped run's weights are kept, as with threads
    assert store.get_run(record.run_id) == record  # saved by this side
    # Its result read, the actor ends and its name is free again.
    wait_for(lambda: ray_jobs.RayTrainingJob.find("run-test-stop") is None, "the ended run's actor to go")


@pytest.mark.ray
def test_a_killed_worker_fails_the_run_keeps_its_epochs_and_frees_the_cpus(
    ray_jobs, tiny_data, tiny_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv(CPUS_PER_JOB_ENV, "2")  # the whole cluster: nothing else runs until it is freed
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")
    job = ray_jobs.RayTrainingJob([replace(tiny_settings, epochs=200)], tiny_data, store=store).start()
    wait_for(lambda: epochs_done(job) >= 1, "a finished epoch")
    os.kill(job.worker_pid(), signal.SIGKILL)
    assert job.join(HANG_GUARD)
    last = job.snapshot()
    assert last.state == "failed" and last.message == ray_jobs.WORKER_LOST
    (record,) = last.records
    assert record.status == "failed" and record.message == ray_jobs.WORKER_LOST and len(record.epochs) >= 1
    assert store.get_run(record.run_id) == record
    # The cluster got its 2 CPUs back: a job that needs all of them runs to the end.
    after = ray_jobs.RayTrainingJob([replace(tiny_settings, epochs=1)], tiny_data).start()
    assert after.join(HANG_GUARD)
    assert after.snapshot().state == "finished"


@pytest.mark.ray
def test_a_second_handle_finds_the_run_and_the_last_viewer_leaving_stops_it(ray_jobs, tiny_data, tiny_settings):
    assert ray_jobs.RayTrainingJob.find("run-nobody-started") is None
    first = ray_jobs.RayTrainingJob([replace(tiny_settings, epochs=200)], tiny_data, name="run-test-find").start()
    wait_for(lambda: epochs_done(first) >= 1, "a finished epoch")
    second = ray_jobs.RayTrainingJob.find("run-test-find")  # as another app server would
    assert second is not None and second.settings_list == first.settings_list
    wait_for(lambda: second.snapshot().state == "running", "the second handle to read the run")
    assert second.snapshot().records[0].run_id == first.snapshot().records[0].run_id
    assert epochs_done(second) >= 1

    first.detach()  # one viewer left: the run goes on for the other
    wait_for(lambda: second.viewers == 1, "the actor to count the first viewer gone")
    trains_on(second)
    second.detach()  # the last viewer left: the run stops
    assert first.join(HANG_GUARD) and second.join(HANG_GUARD)
    assert first.snapshot().state == second.snapshot().state == "stopped"


@pytest.mark.ray
def test_a_job_waits_while_the_cluster_is_full_and_stop_cancels_it_and_saves_it_stopped(
    ray_jobs, tiny_data, tiny_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv(CPUS_PER_JOB_ENV, "3")  # more than the cluster has: never scheduled
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")
    job = ray_jobs.RayTrainingJob([tiny_settings], tiny_data, store=store).start()
    store.save_run(job.planned[0], owner="ann", made_in="me:ann")  # as the hub saves a queued run
    # The cluster places and runs a task that fits after the job asked for its CPUs (so it is up and
    # scheduling), while the job, asking for more CPUs than the cluster has, still waits.
    import ray

    @ray.remote(num_cpus=1)
    def fits() -> int:
        return os.getpid()

    ray.get(fits.remote(), timeout=HANG_GUARD)
    assert job.snapshot().state == "waiting"
    job.stop()
    assert job.join(10) and job.snapshot().state == "stopped"
    # The queued run does not stay "running" in the store.
    assert store.get_run(job.run_ids[0]).status == "stopped"


BACKEND_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from fixture_data import write_fixture_npz
    from core.data import prepare_data
    from core.settings import RunSettings
    data = prepare_data(max_len=40, path=write_fixture_npz({npz!r}), download=False)
    settings = [RunSettings(epochs=1, batch_size=16, max_len=40)]
    from core.runs import backend
    {body}
    """
)


def run_script(tmp_path, body: str, **env) -> list[str]:
    script = BACKEND_SCRIPT.format(root=str(ROOT), tests=str(ROOT / "tests"), npz=str(tmp_path / "r.npz"), body=body)
    environment = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "TRAINING_BACKEND")} | env
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()


def test_the_thread_backend_never_imports_ray(tmp_path):
    lines = run_script(
        tmp_path,
        textwrap.dedent(
            """
            job, notice = backend.start_job(settings, data, name="run-x")
            assert job.join(120) and job.snapshot().state == "finished", job.snapshot().message
            print(type(job).__name__, repr(notice), backend.find_running_job("run-x"), "ray" in sys.modules)
            """
        ),
    )
    assert lines[-1] == "TrainingJob '' None False"


def need_ray() -> None:
    try:
        ray_command()
    except EngineUnavailable as error:
        skip_or_fail(str(error))


@pytest.mark.ray
def test_an_unreachable_cluster_fails_clearly_or_falls_back_to_local(tmp_path):
    need_ray()
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    lines = run_script(
        tmp_path,
        textwrap.dedent(
            """
            job, notice = backend.start_job(settings, data)
            print(type(job).__name__, job.snapshot().state, job.snapshot().message)
            os.environ["TRAINING_RAY_FALLBACK"] = "local"
            job, notice = backend.start_job(settings, data)
            assert job.join(120)
            print(type(job).__name__, job.snapshot().state, notice)
            """
        ),
        RAY_ADDRESS=address,
    )
    assert lines[-2].startswith(f"RayTrainingJob failed The Ray cluster at {address} cannot be reached")
    assert lines[-1].startswith(f"TrainingJob finished The Ray cluster at {address} cannot be reached")
    assert lines[-1].endswith("Training on this server instead (TRAINING_RAY_FALLBACK=local).")


@pytest.mark.ray
def test_a_cluster_that_goes_away_fails_its_run_and_the_app_server_lives_on(tmp_path):
    need_ray()
    lines = run_script(
        tmp_path,
        textwrap.dedent(
            """
            import time
            from dataclasses import replace
            from engines import ray_cluster
            with ray_cluster() as address:
                os.environ["RAY_ADDRESS"] = address
                job, notice = backend.start_job([replace(settings[0], epochs=200)], data)
                while not (job.snapshot().records and job.snapshot().records[0].epochs):
                    time.sleep(0.2)
            lost_at = time.monotonic()  # the whole cluster is gone: GCS, raylet, the worker
            assert job.join(120)
            last = job.snapshot()
            print(last.state, len(last.records[0].epochs) >= 1, last.message)
            os.environ["TRAINING_RAY_FALLBACK"] = "local"
            local, notice = backend.start_job(settings, data)
            print(type(local).__name__, local.join(120) and local.snapshot().state)
            time.sleep(max(0.0, 65 - (time.monotonic() - lost_at)))  # Ray ends a driver 60 s after the loss by default
            print("still serving")
            """
        ),
    )
    assert lines[-3].startswith("failed True The Ray cluster went away during the run")
    assert lines[-2] == "TrainingJob finished"
    assert lines[-1] == "still serving"


@pytest.mark.ray
def test_two_app_servers_share_one_computation_through_the_cluster(ray_jobs, tiny_data, tiny_settings, tmp_path):
    """Two hubs (two app servers) on one store and one cluster: the second server's press joins the first's run."""
    from core.runs.hub import Hub
    from core.runs.watch import Watch

    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite3")
    server_1, server_2 = Hub(store, JobSlots(2)), Hub(store, JobSlots(2))
    long = replace(tiny_settings, epochs=200, seed=5)
    ann = Watch(server_1, [long], tiny_data, space="class:ray").start()
    wait_for(lambda: any(r.epochs for r in ann.snapshot().records), "ann's first epoch on the cluster")
    run_on_cluster = ray_jobs.RayTrainingJob.find_running(f"run-{server_1.fingerprint(long, tiny_data)}")
    assert run_on_cluster is not None  # the computation is an actor, found as another server finds it
    bob = Watch(server_2, [long], tiny_data, space="class:ray").start()
    wait_for(lambda: bob.snapshot().shared_by_method() == {"fit": "joined"}, "bob, on the other server, to join")
    assert server_2.jobs_started == 0 and server_1.jobs_started == 1
    wait_for(lambda: bob.snapshot().records and bob.snapshot().records[0].epochs, "bob to see epochs live")
    assert bob.snapshot().records[0].run_id == ann.snapshot().records[0].run_id
    ann.stop()
    assert ann.join(HANG_GUARD)
    wait_for(lambda: run_on_cluster.viewers == 1, "the actor to count ann gone")
    trains_on(bob)  # Bob still watches: the run goes on
    bob.stop()
    assert bob.join(HANG_GUARD)
    (run,) = store.space_runs("class:ray")
    wait_for(lambda: store.get_run(run.record.run_id).status != "running", "the run to stop once nobody watches")
    final = store.get_run(run.record.run_id)
    assert final.status == "stopped" and final.epochs, (final.status, final.message)


@pytest.mark.ray
def test_a_cluster_with_token_authentication_trains_for_an_app_server_given_the_token(tmp_path):
    """Ray 2.60's token authentication, as deploy/ sets it up: the app's driver needs the mode and the token."""
    need_ray()
    from engines import ray_cluster

    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    body = textwrap.dedent(
        """
        job, notice = backend.start_job(settings, data)
        assert job.join(240)
        print(type(job).__name__, job.snapshot().state, job.snapshot().message)
        """
    )
    with ray_cluster(env=token) as address:
        (trained,) = run_script(tmp_path, body, RAY_ADDRESS=address, **token)[-1:]
        (refused,) = run_script(tmp_path, body, RAY_ADDRESS=address, RAY_AUTH_MODE="disabled")[-1:]
    assert trained.startswith("RayTrainingJob finished")
    assert refused.startswith(f"RayTrainingJob failed The Ray cluster at {address} asks for a token"), refused
    assert "RAY_AUTH_MODE=token" in refused and "RAY_AUTH_TOKEN" in refused
