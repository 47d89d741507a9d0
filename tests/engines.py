"""Real engines for tests and benchmarks: a local Ray cluster and a throwaway PostgreSQL server.

Each is a context manager that starts the real thing in a temporary folder on
free ports, yields its address, and always stops it and removes the folder,
killing by process id only what it started. Tests never mock the cluster or the
database. The pytest fixtures below skip with the reason when an engine is not
installed, unless REQUIRE_ENGINES=1 (set by .ci/run) turns that into a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

REQUIRE_ENGINES_ENV = "REQUIRE_ENGINES"
# Ray 2.60 turns token authentication on for `ray start --head` when ~/.ray/auth_token exists, and any
# local `ray.init()` writes that file; a driver given an explicit address uses a token only with
# RAY_AUTH_MODE=token. So one stray `ray.init()` on the machine made every later test cluster refuse the
# app's driver ("cannot be reached": CI's Ray failures). The clusters here are loopback-only and
# throwaway: authentication is off for them and for every driver and server the tests start
# (they inherit this), unless the shell asks for it. One test in tests/test_ray_jobs.py runs a cluster
# with a token, as deploy/ sets one up.
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
RAY_CPUS = 2  # the machine's cores: what the cluster is sized to
START_TIMEOUT = 90.0  # seconds; only there so a broken engine fails instead of hanging the suite


class EngineUnavailable(RuntimeError):
    """The engine's binaries or Python package are not installed here."""


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _kill_group(process: subprocess.Popen, grace: float = 3.0) -> None:
    """SIGTERM the process's own group (it was started in a new session), SIGKILL what is left after `grace`.

    A throwaway cluster needs no clean shutdown: Ray's GCS and raylet took over 20 s
    to honour SIGTERM, and its workers exit by themselves once their raylet is gone.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# -- Ray ------------------------------------------------------------------------


def ray_command() -> list[str]:
    """The `ray` command of this Python (the package's console script), or EngineUnavailable."""
    try:
        import ray  # noqa: F401 - only to know it is installed
    except ImportError as error:
        raise EngineUnavailable(f"the ray package is not installed ({error}); pip install -r requirements-scale.txt") from error
    script = Path(sys.executable).with_name("ray")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]


_CLUSTER_FOLDERS: dict[str, str] = {}  # address -> temp folder of each cluster ray_cluster() runs now


def ray_logs(address: str, lines: int = 40) -> str:
    """The last lines of a running test cluster's own logs (start, GCS, raylet): for a failure's message."""
    folder = _CLUSTER_FOLDERS.get(address)
    if folder is None:
        return f"(no logs: {address} is not a cluster started by ray_cluster())"
    paths = [Path(folder) / "ray-start.log", *sorted(Path(folder).glob("session_*/logs/gcs_server.*")),
             *sorted(Path(folder).glob("session_*/logs/raylet.*"))]  # fmt: skip
    tails = []
    for path in paths:
        if path.is_file() and not path.is_symlink():
            text = path.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {path.name}\n" + "\n".join(text))
    return "\n".join(tails)


@contextmanager
def ray_cluster(num_cpus: int = RAY_CPUS, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real single-node Ray cluster with `num_cpus` CPUs and no dashboard; yields its address.

    `ray start --block` stays in the foreground and takes its processes (GCS,
    raylet, workers) down when it gets SIGTERM, so stopping it never touches
    another cluster on the machine, as `ray stop` would. The temp folder is short
    because Ray's unix socket paths must fit in 107 characters.
    """
    command = ray_command()
    folder = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    port = free_port()
    # Every port Ray would otherwise take at a fixed default (10001, 8265, 52365) is chosen free,
    # so two clusters (or another helper's) can run side by side.
    args = [
        *command, "start", "--head", "--block", f"--num-cpus={num_cpus}", "--include-dashboard=false",
        "--disable-usage-stats", "--node-ip-address=127.0.0.1", f"--port={port}",
        f"--ray-client-server-port={free_port()}", f"--dashboard-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}", f"--temp-dir={folder}",
    ]  # fmt: skip
    log_path = Path(folder) / "ray-start.log"
    with open(log_path, "wb") as log:
        # One node on loopback only: Ray would otherwise advertise the machine's network address.
        # `env`: more variables for the cluster's processes (RAY_AUTH_MODE=token and its token, say).
        environment = dict(os.environ, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0") | (env or {})
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=environment)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        # Up means: `ray start` says so and its GCS takes connections (a driver connects there first).
        while b"Ray runtime started" not in log_path.read_bytes() or not _accepts_connections(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start did not come up:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        _CLUSTER_FOLDERS[f"127.0.0.1:{port}"] = folder
        yield f"127.0.0.1:{port}"
    finally:
        _CLUSTER_FOLDERS.pop(f"127.0.0.1:{port}", None)
        _kill_group(process)
        shutil.rmtree(folder, ignore_errors=True)


# -- PostgreSQL -----------------------------------------------------------------


def postgres_bin() -> Path:
    """The folder with Debian's initdb / pg_ctl (newest version), or EngineUnavailable."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise EngineUnavailable("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)")


def as_server_user(folder: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its commands as the `postgres` system user."""
    if os.geteuid() != 0:
        return []
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    shutil.chown(folder, "postgres")
    return ["runuser", "-u", "postgres", "--"]


@contextmanager
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server in a temp folder on a free port; yields a `postgresql+psycopg://` URL.

    Trust authentication for the one local user `app`: the server only listens on
    127.0.0.1 and a socket in its own folder, and lives as long as the test.
    """
    bindir = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    data = folder / "data"
    prefix = as_server_user(folder)
    port = free_port()
    started = False
    try:
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "app", "--auth=trust", "-E", "UTF8", "--locale=C"],
            check=True, capture_output=True, timeout=START_TIMEOUT,
        )  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w",
             "-t", str(int(START_TIMEOUT)), "start"],
            check=True, capture_output=True, timeout=START_TIMEOUT + 10,
        )  # fmt: skip
        started = True
        yield f"postgresql+psycopg://app@127.0.0.1:{port}/postgres"
    except subprocess.CalledProcessError as error:
        log = (folder / "server.log").read_text(errors="replace")[-2000:] if (folder / "server.log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {error.stderr.decode(errors='replace')[-2000:]}\n{log}") from error
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server at `server_url`; returns its URL.

    Tests that share one server (started once per module) each get their own
    database, so no test sees another's runs or schema.
    """
    import uuid

    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


# -- pytest fixtures ------------------------------------------------------------


def skip_or_fail(reason: str) -> None:
    """Skip with the reason; with REQUIRE_ENGINES=1 (CI) a missing engine is a failure instead."""
    if os.environ.get(REQUIRE_ENGINES_ENV) == "1":
        pytest.fail(f"{reason} (and {REQUIRE_ENGINES_ENV}=1 requires the engines)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """One real 2-CPU Ray cluster for a test module: starting one takes seconds."""
    try:
        ray_command()
    except EngineUnavailable as error:
        skip_or_fail(str(error))
    with ray_cluster() as address:
        yield address


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """One real PostgreSQL server for a test module, as a SQLAlchemy URL."""
    try:
        postgres_bin()
        import psycopg  # noqa: F401 - the driver the URL names
    except (EngineUnavailable, ImportError) as error:
        skip_or_fail(str(error))
    with postgres_server() as url:
        yield url
