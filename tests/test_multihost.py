"""The deployment kit (deploy/) on six hosts: two students through nginx on two app servers share one run.

Each role is a host of its own, made of Linux namespaces: a network namespace with
its own address in 198.18.0.0/24 (RFC 2544's benchmarking range), cabled by a veth
pair to a bridge in a namespace of its own, and, except for the client, a PID
namespace, so that a host sees only its own processes, as Ray's search for the
node a driver runs on does (`ray._private.services.find_node_ids`): with the
processes of the whole machine in view, an app server would find the head's
raylet and pass where a real one fails. Nothing in the root namespace changes and
no packet leaves the namespaces made here.

The hosts run the kit's own scripts and files, read from deploy/: PostgreSQL set
up by postgres-setup.sh, the Ray head by ray-head.sh, a Ray node with no CPUs and
an app server on each app host by ray-node.sh and app-server.sh, their settings
named as in three-ways.env, and nginx serving nginx-three-ways.conf with only the
app servers' addresses and the log folder filled in. Chromium runs in the client
host (through a wrapper that enters its namespace); Playwright drives it from here.

Which server answered what comes from nginx's access log (its format names the
browser's route cookie and the upstream). Two browser contexts with no shared
cookie land on different servers, train once on the cluster (the database holds
one run) and both see it live; a reload keeps each on their server; an upload of
the ~2 MB archive passes nginx; SIGKILL on one app server loses no run, and its
student's reload gets a working page from the other server. Creating namespaces
needs root: where it fails, the test fails and says so (CI runs as root).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from engines import as_server_user, postgres_bin, skip_or_fail
from fixture_data import write_fixture_npz, write_fixture_word_index
from support import (
    BROWSER_HANG_GUARD_MS,
    BROWSER_NEWSWIRES,
    CHROMIUM,
    CHROMIUM_FLAGS,
    HANG_GUARD,
    no_exception,
    require_chromium,
    wait_for,
)

# The hang guard of the whole module: six hosts start on a machine that may be busy.
pytestmark = [pytest.mark.multihost, pytest.mark.browser, pytest.mark.ray, pytest.mark.postgres, pytest.mark.timeout(2400)]

require_chromium()

# It runs wherever the suite runs, CI included (as root). A developer without root, who cannot create
# namespaces, says so with RUN_MULTIHOST=0 rather than have it fail.
if os.environ.get("RUN_MULTIHOST") == "0":
    pytest.skip("RUN_MULTIHOST=0: the multi-host deployment test (root, network namespaces) is off", allow_module_level=True)

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "deploy"
SUBNET = "198.18.0"  # RFC 2544's benchmarking range, used only inside the namespaces made here
ADDRESSES = {"db": 2, "head": 3, "app1": 11, "app2": 12, "nginx": 20, "client": 30}
APP_HOSTS = ("app1", "app2")
APP_PORT = 8501
DB_PASSWORD = secrets.token_hex(12)
RAY_TOKEN = secrets.token_hex(32)  # the cluster's token, as three-ways.env asks a site to make one
CLASS_SETTINGS = "&epochs=200&max_len=200&seed=29"  # minutes of training: still going at the end
UPLOAD_NEWSWIRES = 24_000  # about 2.1 MB, as the real archive: over nginx's default limit of 1 MB
MAX_STUDENTS = 12  # contexts opened until one lands on the other server: 2**-11 that none would
CLONE_NEWNET = 0x40000000


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


def address(host: str) -> str:
    return f"{SUBNET}.{ADDRESSES[host]}"


def kit_environment() -> tuple[dict[str, str], set[str]]:
    """three-ways.env's settings (NAME=value lines, as systemd's EnvironmentFile reads them), and every name
    it mentions, the optional ones commented out (#NAME=value) included."""
    text = (KIT / "three-ways.env").read_text(encoding="utf-8")
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", text, re.M))
    return values, set(re.findall(r"^#?([A-Z_]+)=", text, re.M))


class Host:
    """One machine: a network namespace, and (but for the client) a PID namespace whose first process holds it."""

    def __init__(self, lab: Lab, name: str):
        self.name = name
        self.ip = address(name)
        self.netns = f"{lab.prefix}-{name}"
        self.folder = lab.folder / name
        self.folder.mkdir()
        self.init: subprocess.Popen | None = None
        self.processes: list[subprocess.Popen] = []

    def boot(self) -> None:
        """The host's PID 1 (`sleep infinity`): while it lives, commands can enter the host; its end ends them all."""
        self.init = subprocess.Popen(
            ["ip", "netns", "exec", self.netns, "unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
             "sleep", "infinity"],
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: self.first_process() is not None, f"{self.name}'s first process", timeout=30)

    def first_process(self) -> int | None:
        """The root namespace's id of the host's PID 1, the child `unshare --fork` made."""
        try:
            children = Path(f"/proc/{self.init.pid}/task/{self.init.pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def command(self, args: list[str]) -> list[str]:
        return ["nsenter", f"--target={self.first_process()}", "--net", "--pid", "--mount", f"--wd={ROOT}", *args]

    def environment(self, **values: str) -> dict[str, str]:
        """A clean environment, as systemd gives a unit: PATH, a home and a temp folder of this host's, then `values`."""
        return {
            "PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(self.folder), "TMPDIR": str(self.folder),
            "KERAS_HOME": str(self.folder / "keras"), **values,
        }  # fmt: skip

    def run(self, args: list[str], env: dict[str, str], stdin=None, timeout: float = HANG_GUARD) -> str:
        done = subprocess.run(self.command(args), env=env, stdin=stdin, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, args: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen:
        """A long-running command on this host, its output in `log_name` in the host's folder."""
        with open(self.folder / log_name, "wb") as log:
            process = subprocess.Popen(self.command(args), env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / name).read_text(errors="replace")

    def reboot(self) -> None:
        self.stop()
        self.processes = []
        self.boot()

    def stop(self) -> None:
        """SIGKILL to the host's PID 1: the kernel ends every process in its PID namespace with it."""
        if self.init is not None:
            first = self.first_process()
            if first is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(first, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.init.pid, signal.SIGKILL)
            self.init.wait(30)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)


class Lab:
    """The namespaces and their cabling, under a prefix of this run's own; `close` removes every one."""

    def __init__(self):
        self.prefix = f"tw{secrets.token_hex(3)}"  # parallel runs never share a name
        # Short: Ray's unix socket paths live under each host's folder and must fit in 107 characters.
        self.folder = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-", dir="/tmp"))
        self.folder.chmod(0o755)  # PostgreSQL's user walks into its host's folder
        self.switch = f"{self.prefix}-switch"
        self.hosts: dict[str, Host] = {}
        self.namespaces: list[str] = []

    def build(self) -> None:
        try:
            self._add_namespace(self.switch)
        except (subprocess.CalledProcessError, FileNotFoundError) as error:
            detail = getattr(error, "stderr", "") or str(error)
            pytest.fail(
                f"cannot create a network namespace ({detail.strip()}): this test needs root (CAP_SYS_ADMIN and "
                "CAP_NET_ADMIN) and iproute2's `ip`; CI runs it as root",
                pytrace=False,
            )
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        for name in ADDRESSES:
            host = Host(self, name)
            self.hosts[name] = host
            self._add_namespace(host.netns)
            # Both ends are made inside the namespaces: nothing appears in the root namespace, even for a moment.
            ip("-n", self.switch, "link", "add", f"to-{name}", "type", "veth", "peer", "name", "eth0", "netns", host.netns)
            ip("-n", self.switch, "link", "set", f"to-{name}", "master", "br0", "up")
            ip("-n", host.netns, "addr", "add", f"{host.ip}/24", "dev", "eth0")
            ip("-n", host.netns, "link", "set", "eth0", "up")
            ip("-n", host.netns, "link", "set", "lo", "up")
            if name != "client":  # Chromium needs no PID namespace: it finds nothing by listing processes
                host.boot()

    def _add_namespace(self, name: str) -> None:
        ip("netns", "add", name)
        self.namespaces.append(name)

    def close(self) -> None:
        for host in self.hosts.values():
            host.stop()
        for name in reversed(self.namespaces):
            # Whatever still runs in a namespace of ours (Chromium's leftovers in the client's) is ours to end.
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            # Deleting a namespace deletes its end of each veth pair, and with it the other end.
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


class ClientThread:
    """One thread of this process that lives in the client host's network: probes and database reads from there.

    A network namespace belongs to a thread (setns(2)), so the rest of the process
    stays where it was.
    """

    def __init__(self, netns: str):
        self.pool = ThreadPoolExecutor(1, initializer=self._enter, initargs=(netns,))

    @staticmethod
    def _enter(netns: str) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        with open(f"/run/netns/{netns}") as handle:
            if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {netns} failed")

    def call(self, function, *args):
        return self.pool.submit(function, *args).result(HANG_GUARD)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.read().strip() == b"ok"
    except OSError:
        return False


def open_class(url: str) -> str:
    """The teacher opens the class (as Join or open a class does on either server), from the client host; its code."""
    from core.store import RunStore

    store = RunStore(url)
    try:
        return store.open_class("Multihost", owner=None)[0]
    finally:
        store.engine.dispose()


def runs_in_database(url: str, code: str) -> tuple[int, list[tuple[str, int]]]:
    """(runs in the database, (status, epochs) of each run in the class), read from the client host."""
    from core.store import RunStore, class_space

    store = RunStore(url)
    try:
        return store.count_runs(), [(run.record.status, len(run.record.epochs)) for run in store.space_runs(class_space(code))]
    finally:
        store.engine.dispose()


RAY_ATTEMPTS = 6


def start_ray(host: Host, script: str, env: dict[str, str]) -> None:
    """The kit's Ray script on `host` until `ray start` reports the node up, as the units' Restart=always does.

    Ray 2.60's raylet gives its dashboard agent 15 s to report its port (not
    configurable: RAY_agent_register_timeout_ms does not reach it), and on a busy
    machine the agent's imports take longer: the raylet aborts ("Timed out waiting
    for file ...dashboard_agent_listen_port...") and `ray start` fails. systemd would
    stop what the attempt left (KillMode=mixed) and start it again; here the host
    reboots, which ends every process of the attempt, and the script runs again.
    The node starts at a high priority (the machine running the tests may be shared
    and busy), and everything on the host goes back to the normal one once it is up,
    so the training workers it starts later compete as equals.
    """
    failures = []
    for attempt in range(RAY_ATTEMPTS):
        if attempt:
            host.reboot()
        log_name = f"ray-{attempt}.log"
        process = host.start(["nice", "-n", "-20", str(KIT / script)], env, log_name)
        while "Ray runtime started" not in host.log(log_name):
            if process.poll() is not None:
                failures.append(host.log(log_name)[-1500:])
                break
            time.sleep(0.2)
        else:
            # /proc in the host lists only its own processes (its PID namespace).
            host.run(["sh", "-c", "renice -n 0 -p $(ls /proc | grep -E '^[0-9]+$') >/dev/null 2>&1 || true"], env)
            return
    raise AssertionError(f"{host.name}: {script} failed {RAY_ATTEMPTS} times; the last:\n{failures[-1]}")


def site_for(lab: Lab) -> str:
    """The kit's nginx site with this lab's two app servers and log folder: the only lines a site edits."""
    site = (KIT / "nginx-three-ways.conf").read_text(encoding="utf-8")
    servers = re.findall(r"^\s*server \d+\.\d+\.\d+\.\d+:\d+ .*;$", site, re.M)
    assert len(servers) == 2, "the kit's upstream names two app servers"
    for line, host in zip(servers, APP_HOSTS, strict=True):
        site = site.replace(line, re.sub(r"\d+\.\d+\.\d+\.\d+:\d+", f"{address(host)}:{APP_PORT}", line))
    assert site.count("/var/log/nginx/") == 2
    return site.replace("/var/log/nginx/", f"{lab.hosts['nginx'].folder}/")


def start_deployment(lab: Lab, stack: contextlib.ExitStack) -> dict:
    """Every role started with the kit's commands, each on its host; returns what the test needs."""
    kit, names = kit_environment()
    venv = str(Path(sys.executable).parent.parent)
    for tool in ("ray", "streamlit"):
        assert (Path(venv) / "bin" / tool).is_file(), f"no {tool} script beside {sys.executable}"
    head_address = f"{address('head')}:6379"
    database_url = f"postgresql+psycopg://app:{DB_PASSWORD}@{address('db')}/training"

    def settings(host: Host, **values: str) -> dict[str, str]:
        unknown = set(values) - names
        assert not unknown, f"three-ways.env does not name {unknown}"
        return host.environment(**{**kit, "RAY_AUTH_TOKEN": RAY_TOKEN, **values})

    # PostgreSQL: a server as the distribution's package leaves it (peer for local, password over TCP), then the kit.
    db = lab.hosts["db"]
    bindir = postgres_bin()
    as_postgres = as_server_user(db.folder)  # PostgreSQL refuses root: its own system user, and the folder is its
    db_env = db.environment(PATH=f"{bindir}:{os.environ['PATH']}", PGHOST=str(db.folder))
    db.run([*as_postgres, str(bindir / "initdb"), "-D", str(db.folder / "data"), "-U", "postgres", "--auth-local=peer",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"], db_env)  # fmt: skip
    pg_ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(db.folder / "data"), "-l", str(db.folder / "server.log"), "-w"]
    db.run([*pg_ctl, "-o", f"-k {db.folder} -c fsync=off", "start"], db_env)
    with open(KIT / "postgres-setup.sh", "rb") as script:
        db.run([*as_postgres, "sh", "-s"], dict(db_env, NODE_IP=db.ip, APP_SUBNET=f"{SUBNET}.0/24", DB_PASSWORD=DB_PASSWORD),
               stdin=script)  # fmt: skip
    db.run([*pg_ctl, "restart"], db_env)  # as the script says: now it listens on its address

    # The Ray head, then on each app host its Ray node (no CPUs) and the app server.
    head = lab.hosts["head"]
    head_env = settings(head, NODE_IP=head.ip, VENV=venv)
    head_env.pop("RAY_CPUS")  # the head trains with all its cores, as three-ways.env says
    start_ray(head, "ray-head.sh", head_env)

    data = lab.folder / "data"
    data.mkdir()
    npz = write_fixture_npz(data / "reuters.npz", newswires=BROWSER_NEWSWIRES)
    word_index = write_fixture_word_index(data / "reuters_word_index.json")
    apps = {}
    for name in APP_HOSTS:
        host = lab.hosts[name]
        env = settings(host, NODE_IP=host.ip, VENV=venv, RAY_HEAD=head_address, RAY_CPUS="0", DATABASE_URL=database_url,
                       APP_PORT=str(APP_PORT), REUTERS_NPZ_PATH=str(npz), REUTERS_WORD_INDEX_PATH=str(word_index))  # fmt: skip
        # One node at a time: two starting at once on a busy machine is how a raylet misses its agent.
        start_ray(host, "ray-node.sh", env)
        apps[name] = (host, env)
    for host, env in apps.values():
        env["TRAINING_RUNS_DIR"] = str(host.folder / "runs")
        host.start([str(KIT / "app-server.sh")], env, "app.log")

    nginx = lab.hosts["nginx"]
    (nginx.folder / "three-ways.conf").write_text(site_for(lab), encoding="utf-8")
    (nginx.folder / "nginx.conf").write_text(
        # What Debian's /etc/nginx/nginx.conf gives a site, with this host's folder for nginx's own files.
        f"daemon off;\nuser root;\nworker_processes 2;\npid {nginx.folder}/nginx.pid;\nerror_log stderr;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  client_body_temp_path {nginx.folder}/body;\n"
        f"  proxy_temp_path {nginx.folder}/proxy;\n  include {nginx.folder}/three-ways.conf;\n}}\n",
        encoding="utf-8",
    )
    nginx_binary = shutil.which("nginx") or "/usr/sbin/nginx"
    nginx.run([nginx_binary, "-t", "-c", str(nginx.folder / "nginx.conf")], nginx.environment())
    nginx.start([nginx_binary, "-c", str(nginx.folder / "nginx.conf")], nginx.environment(), "nginx.log")

    client = ClientThread(lab.hosts["client"].netns)
    stack.callback(client.close)
    for name in APP_HOSTS:
        url = f"http://{address(name)}:{APP_PORT}/_stcore/health"
        host = lab.hosts[name]
        wait_for(lambda url=url, host=host: client.call(answers_ok, url) or _alive(host), f"{name}'s app server")
    front = f"http://{address('nginx')}"
    wait_for(lambda: client.call(answers_ok, front + "/_stcore/health"), "nginx in front of the app servers")
    return {"front": front, "client": client, "database": database_url, "access_log": nginx.folder / "three-ways.access.log"}


def _alive(host: Host) -> bool:
    """False while the app server starts; raises with its log once it ended."""
    app = host.processes[-1]
    if app.poll() is not None:
        raise AssertionError(f"{host.name}'s app server ended:\n{host.log('app.log')[-3000:]}")
    return False


def app_server_pid(host: Host) -> int:
    """The root namespace's id of the app server (nsenter's child: app-server.sh exec'd into streamlit)."""
    nsenter = host.processes[-1].pid
    return int(Path(f"/proc/{nsenter}/task/{nsenter}/children").read_text().split()[0])


@pytest.fixture(scope="module")
def deployment():
    if os.environ.get("REQUIRE_ENGINES") != "1" and shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        skip_or_fail("nginx is not installed (apt-get install nginx)")
    lab = Lab()
    with contextlib.ExitStack() as stack:
        stack.callback(lab.close)
        lab.build()
        deployed = start_deployment(lab, stack)
        wrapper = lab.folder / "chromium-in-client"
        # Playwright talks to the browser over pipes, which cross namespaces: only Chromium moves to the client host.
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {lab.hosts["client"].netns} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=str(wrapper), headless=True, args=CHROMIUM_FLAGS)
        stack.callback(browser.close)
        yield dict(deployed, lab=lab, browser=browser)


# -- what nginx's access log says -------------------------------------------------

LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ route=(?P<route>\S+) upstream=(?P<upstream>.*) time='
)


def log_lines(deployment: dict) -> list[dict[str, str]]:
    text = deployment["access_log"].read_text(errors="replace") if deployment["access_log"].exists() else ""
    return [m.groupdict() for m in map(LOG_LINE.search, text.splitlines()) if m]


def route_of(context: BrowserContext) -> str:
    (route,) = [c["value"] for c in context.cookies() if c["name"] == "three_ways_route"]
    return route


def served_by(deployment: dict, route: str, path: str, after: int = 0, prefix: bool = False) -> str:
    """The app server that answered the browser's latest request for `path` (logged after line `after`).

    A page's path is matched without its query, or as the start of the request's path with `prefix`.
    """
    found: list[str] = []

    def logged() -> bool:
        found[:] = [
            line["upstream"].split(", ")[-1]  # after a failed attempt nginx lists every server it tried
            for line in log_lines(deployment)[after:]
            if line["route"] == route and (line["path"].startswith(path) if prefix else line["path"].split("?")[0] == path)
        ]
        return bool(found)

    wait_for(logged, f"nginx's log of {path} for route {route}")
    return found[-1]


class Student:
    def __init__(self, deployment: dict, path: str):
        self.deployment = deployment
        self.context = deployment["browser"].new_context(viewport={"width": 1400, "height": 1000})
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(BROWSER_HANG_GUARD_MS)
        self.server = self.open(path)
        self.route = route_of(self.context)

    def open(self, path: str, reload: bool = False) -> str:
        """Open (or reload) `path`; the app server nginx sent the page's request to."""
        mark = len(log_lines(self.deployment))
        if reload:
            self.page.reload()
        else:
            self.page.goto(self.deployment["front"] + path)
        self.page.wait_for_selector('[data-testid="stSidebar"]')
        self.page.wait_for_selector("h1")
        return served_by(self.deployment, route_of(self.context), path.split("?")[0], after=mark)

    def train(self, joined: bool) -> None:
        self.page.get_by_role("button", name="Train", exact=True).click()
        if joined:
            expect(self.page.get_by_text("you joined a run with identical settings")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
        # Through Ray the first epoch comes after a worker process starts and imports TensorFlow.
        expect(self.page.get_by_text(re.compile(r"[1-9]\d* of 200 epochs finished"))).to_be_visible(timeout=180_000)

    def epochs(self) -> int:
        text = self.page.get_by_text(re.compile(r"\d+ of 200 epochs finished")).first.inner_text()
        return int(re.search(r"(\d+) of 200 epochs finished", text).group(1))

    def sees_it_live(self) -> None:
        seen = self.epochs()
        wait_for(lambda: self.epochs() > seen, "a later epoch on the page", timeout=180)
        no_exception(self.page)


def test_two_students_through_nginx_share_one_run_on_the_cluster_and_survive_their_server(deployment):
    started = time.monotonic()
    client, database = deployment["client"], deployment["database"]
    code = client.call(open_class, database)
    class_link = f"/fit?class={code}{CLASS_SETTINGS}"

    # Students arrive on the class link; nginx spreads new browsers over the servers. Ann is the
    # first, Bob the first to land on the other server (each extra context is one more student).
    ann = Student(deployment, class_link)
    bob = Student(deployment, class_link)
    for _ in range(MAX_STUDENTS - 2):
        if bob.server != ann.server:
            break
        bob.context.close()
        bob = Student(deployment, class_link)
    assert bob.server != ann.server, f"{MAX_STUDENTS} new browsers all landed on {ann.server}"
    assert {ann.server, bob.server} == {f"{address(name)}:{APP_PORT}" for name in APP_HOSTS}
    servers = {ann.server: "Ann's", bob.server: "Bob's"}

    # One run for the class, trained once on the cluster; both pages show its epochs as they end.
    ann.train(joined=False)
    bob.train(joined=True)
    bob.sees_it_live()
    ann.sees_it_live()
    count, class_runs = client.call(runs_in_database, database, code)
    assert count == 1 and [status for status, _ in class_runs] == ["running"], (count, class_runs)

    # A reload is a new page on the same server: nginx routed it by the browser's cookie.
    for student in (ann, bob):
        assert student.open(class_link, reload=True) == student.server, "a reload moved to another server"
        student.train(joined=True)
        no_exception(student.page)

    # The ~2 MB archive through nginx to the uploader's own server (its session holds the file).
    cy = Student(deployment, f"/?class={code}")
    archive = write_fixture_npz(deployment["lab"].folder / "upload.npz", newswires=UPLOAD_NEWSWIRES)
    assert archive.stat().st_size > 2 * 1024 * 1024 * 0.95
    cy.page.get_by_text("Use another reuters.npz").click()
    cy.page.locator('input[type="file"]').set_input_files(str(archive))
    expect(cy.page.get_by_text("Using your upload")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    assert served_by(deployment, cy.route, "/_stcore/upload_file/", prefix=True) == cy.server
    no_exception(cy.page)
    cy.context.close()

    # Every request of each browser so far, the websocket's included, went to one server: theirs.
    wait_for(
        lambda: all(
            any(line["route"] == s.route and line["path"].startswith("/_stcore/stream") for line in log_lines(deployment))
            for s in (ann, bob)
        ),
        "the closed websockets of the first pages in nginx's log",
    )
    for student in (ann, bob):
        upstreams = {line["upstream"] for line in log_lines(deployment) if line["route"] == student.route}
        assert upstreams == {student.server}, f"{servers[student.server]} requests went to {upstreams}"

    # SIGKILL to Ann's app server. The run lives on the cluster: it goes on, and stays one run.
    ann_host = next(deployment["lab"].hosts[name] for name in APP_HOSTS if address(name) in ann.server)
    os.kill(app_server_pid(ann_host), signal.SIGKILL)
    _, [(_, epochs_at_kill)] = client.call(runs_in_database, database, code)
    bob.sees_it_live()

    # Ann's reload: the same cookie, her server down, nginx gives her page to Bob's server, which works.
    assert ann.open(class_link, reload=True) == bob.server
    ann.train(joined=True)
    ann.sees_it_live()

    # In the database: still the one run, training, its epochs written by the worker since the kill.
    wait_for(lambda: client.call(runs_in_database, database, code)[1][0][1] > epochs_at_kill, "epochs saved after the kill")
    count, class_runs = client.call(runs_in_database, database, code)
    assert count == 1 and [status for status, _ in class_runs] == ["running"], (count, class_runs)
    print(f"\nmultihost: from the first student to the end, {time.monotonic() - started:.0f} s")
