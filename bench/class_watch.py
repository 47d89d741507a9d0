"""A class watching runs: N viewers on one `streamlit run` server, each a websocket session driven as the browser drives it.

    REUTERS_NPZ_PATH=/work/shared/data/reuters.npz python bench/class_watch.py                 # every row
    REUTERS_NPZ_PATH=... python bench/class_watch.py --rows 1,10,30 --timeout 480                # some rows
    REUTERS_NPZ_PATH=... python bench/class_watch.py --root /path/to/other/checkout               # another checkout's app.py
    REUTERS_NPZ_PATH=tiny.npz python bench/class_watch.py --quick                                 # 1 and 2 viewers, 1 epoch

Every row starts a fresh server (`python -m streamlit run app.py` in the checkout named by --root,
with that checkout's `.streamlit/config.toml`, an empty runs store, the data through
REUTERS_NPZ_PATH), opens its sessions (bench/watch_client.py: page load, the widget states and
forward-message cache hashes the browser sends, the browser's fragment auto-rerun timer), waits
until every page has loaded, then the viewers press Train on `/fit?epochs=E&class=...` within
--spread seconds (identical settings: the app trains once and the others join), and the row
lasts until every viewer has seen the run end, or --timeout. Rows:

- `N` (1, 10, 30, 60): N viewers of one run;
- `30x3`: 30 viewers over 3 distinct runs (seeds 0, 1, 2);
- `compare`: 10 viewers of one run and a teacher on the class's Compare page, who opens it after
  Train and reruns it every 5 s (the class list while it trains);
- `idle`: 100 sessions on the fit page, nothing training: server CPU over --idle-seconds.
- `ray30`: 30 viewers of one run trained on a local Ray cluster (`ray start --head`, 2 CPUs) that the
  server reaches through RAY_ADDRESS: the app's process only relays the run to its viewers.

The baseline, measured in the same run under the same N, is a bare app written to a temporary
folder with the same server config: a title, a Train button, and a fragment with `run_every=1`
showing one progress bar advanced by a background thread (the floor of Streamlit's own cost).

Per row: the run's time (Train to the last viewer seeing it end) against the 1-viewer row; the
median and p95 gap between progress updates a viewer receives (a new value or text of the progress
bar); Train -> first progress bar (median, p95); websocket bytes received per second per viewer;
server CPU (% of one core, /proc of the server process, over the row) and peak RSS; sessions failed
(the page never loaded, or had no Train button) or dropped; the fragment runs the viewers asked for and how they ended.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import common  # noqa: F401 - sets up sys.path
from common import load_average, machine_line, markdown_table, progress, summary_item, write_summary
from watch_client import Session

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CLASS_CODE = "watchbench"

BASELINE_APP = '''"""The floor: a title, a Train button, a fragment with run_every=1 showing one progress bar."""
import os
import threading
import time

import streamlit as st

STEPS = int(os.environ.get("WATCH_BASELINE_STEPS", "40"))
STEP_SECONDS = float(os.environ.get("WATCH_BASELINE_STEP_SECONDS", "0.5"))


def train():
    job = {"done": 0, "active": True}
    st.session_state.job = job

    def work():  # the "training": a background thread that advances a counter
        for step in range(STEPS):
            time.sleep(STEP_SECONDS)
            job["done"] = step + 1
        job["active"] = False

    threading.Thread(target=work, daemon=True).start()


st.title("Baseline")
st.button("Train", key="train_fit", on_click=train)
job = st.session_state.get("job")
if job is not None:
    was_active = job["active"]

    @st.fragment(run_every=1 if was_active else None)
    def live():
        st.progress(job["done"] / STEPS, text=f"step {job['done']} of {STEPS}")
        if was_active and not job["active"]:
            st.rerun()

    live()
'''


# --- the server under test ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`streamlit run <script>` from `cwd` (whose .streamlit/config.toml applies), in its own process group."""

    def __init__(self, script: Path, cwd: Path, env: dict[str, str], log: Path, timeout: float = 120):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
                    "--server.address", "127.0.0.1", "--server.headless", "true",
                    "--browser.gatherUsageStats", "false",
                ],
                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start; log: {log.read_text()[-2000:]}")
            time.sleep(0.3)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        """Stop the server and all it started (its process group): politely, then for sure."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass


# --- one row -----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    app: str  # "app" or "baseline"
    viewers: int
    sessions: list[Session] = field(default_factory=list)
    run_seconds: float | None = None
    timed_out: bool = False
    window_seconds: float = 0.0
    cpu_percent: float = 0.0
    cpu_seconds: float = 0.0  # the server's, over the row
    client_cpu_percent: float = 0.0  # this bench's own (all sessions), to show the client kept up
    peak_rss_mb: float = 0.0
    failed: int = 0  # the page never loaded, or had no Train button
    teacher_loads: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def watching(self) -> list[Session]:
        return [s for s in self.sessions if s.clicked_at is not None]

    def gaps(self) -> list[float]:
        return [gap for s in self.watching for gap in s.gaps()]

    def firsts(self) -> list[float]:
        return [f for f in (s.first_progress() for s in self.watching) if f is not None]

    def updates(self) -> int:
        return sum(1 + len(s.gaps()) for s in self.watching if s.first_progress() is not None)

    def dropped(self) -> int:
        return sum(1 for s in self.sessions if s.dropped) - self.failed

    def bytes_per_viewer_second(self) -> float:
        total = sum(s.window_bytes() for s in self.sessions)
        return total / max(len(self.sessions), 1) / max(self.window_seconds, 1e-9)

    def fragment_runs(self) -> tuple[int, int, int]:
        asked = sum(s.fragment_requests for s in self.sessions)
        done = sum(s.finished.get("FINISHED_FRAGMENT_RUN_SUCCESSFULLY", 0) for s in self.sessions)
        early = sum(s.finished.get("FINISHED_EARLY_FOR_RERUN", 0) for s in self.sessions)
        return asked, done, early


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def open_all(sessions: list[Session], timeout: float) -> int:
    """Open every session (at most 10 connecting at once, as a class arrives); returns how many failed."""
    gate = asyncio.Semaphore(10)

    async def one(session: Session) -> bool:
        async with gate:
            try:
                await session.open(timeout)
            except Exception as problem:  # noqa: BLE001 - a session that cannot load is counted
                session._fail(f"page did not load: {problem!r}")
            return session.error is None

    loaded = await asyncio.gather(*(one(s) for s in sessions))
    return loaded.count(False)


async def watch_row(row: Row, server: Server, paths: list[str], spread: float, timeout: float, teacher: str | None) -> None:
    """Open the viewers, press Train within `spread` seconds, wait until all saw the end or `timeout`."""
    row.sessions = [Session(server.url, path, name=f"viewer {i + 1}") for i, path in enumerate(paths)]
    row.failed = await open_all(row.sessions, timeout=min(timeout, 180))
    live = [s for s in row.sessions if s.error is None]
    for session in row.sessions:
        session.start_window()
    started_cpu, started, client_cpu = server.cpu_seconds(), time.monotonic(), time.process_time()
    deadline = started + timeout
    for index, session in enumerate(live):
        await asyncio.sleep(max(0.0, started + spread * index / max(len(live), 1) - time.monotonic()))
        try:
            await session.click("train_fit")
        except RuntimeError as problem:  # no Train button with that key: the checkout's page differs
            session._fail(str(problem))
            row.failed += 1
    teacher_task = asyncio.create_task(teach(server, teacher, row, deadline)) if teacher else None
    while time.monotonic() < deadline:
        if all(s.done_at() is not None or s.error is not None for s in live):
            break
        await asyncio.sleep(0.2)
    else:
        row.timed_out = True
    ends = [s.done_at() for s in live if s.done_at() is not None]
    if ends and not row.timed_out:
        row.run_seconds = max(ends) - started
    measure(row, server, started, started_cpu, client_cpu)
    if teacher_task is not None:
        teacher_task.cancel()
    await asyncio.gather(*(s.close() for s in row.sessions))


def measure(row: Row, server: Server, started: float, started_cpu: float, client_cpu: float) -> None:
    row.window_seconds = time.monotonic() - started
    row.cpu_seconds = server.cpu_seconds() - started_cpu
    row.cpu_percent = 100 * row.cpu_seconds / row.window_seconds
    row.client_cpu_percent = 100 * (time.process_time() - client_cpu) / row.window_seconds
    row.peak_rss_mb = server.peak_rss_mb()


async def teach(server: Server, path: str, row: Row, deadline: float) -> None:
    """The teacher's Compare page: opened once the class trains, rerun every 5 s; records each load's seconds."""
    session = Session(server.url, path, name="teacher")
    try:
        began = time.monotonic()
        try:
            await session.open(timeout=max(1.0, deadline - began))
        except Exception as problem:  # noqa: BLE001 - reported with the row
            session._fail(f"page did not load: {problem!r}")
        if session.error is None:
            row.teacher_loads.append(time.monotonic() - began)
        while time.monotonic() < deadline and session.error is None:
            await asyncio.sleep(5)
            runs = len(session.full_runs)
            began = time.monotonic()
            await session._send_rerun()
            while len(session.full_runs) == runs and time.monotonic() < deadline and session.error is None:
                await asyncio.sleep(0.05)
            if len(session.full_runs) > runs:
                row.teacher_loads.append(time.monotonic() - began)
    finally:
        if session.error:
            row.note = f"the teacher's session failed: {session.error}"
        await session.close()


async def idle_row(row: Row, server: Server, path: str, seconds: float, settle: float) -> None:
    """`row.viewers` sessions that load the page and do nothing: the server's CPU while they are connected."""
    row.sessions = [Session(server.url, path, name=f"idle {i + 1}") for i in range(row.viewers)]
    row.failed = await open_all(row.sessions, timeout=180)
    await asyncio.sleep(settle)  # what loading the page started (the app prepares a run ahead) settles first
    for session in row.sessions:
        session.start_window()
    started_cpu, started, client_cpu = server.cpu_seconds(), time.monotonic(), time.process_time()
    await asyncio.sleep(seconds)
    measure(row, server, started, started_cpu, client_cpu)
    await asyncio.gather(*(s.close() for s in row.sessions))


# --- the rows of one measurement -----------------------------------------------------------------


def fit_path(epochs: int, seed: int | None = None, page: str = "fit") -> str:
    query = f"epochs={epochs}" + (f"&seed={seed}" if seed is not None else "") + f"&class={CLASS_CODE}"
    return f"{page}?{query}"


def run_row(kind: str, app: str, args, folder: Path) -> Row:
    """One row on a fresh server: `kind` is a viewer count, "30x3", "compare", "idle" or "ray30"."""
    if kind == "ray30" and app == "app":
        # Training on a real local Ray cluster (tests/engines.py: `ray start --head`, 2 CPUs, no dashboard): the app's
        # server only relays the run's progress to its 30 viewers, one remote read per run and tick.
        from engines import ray_cluster

        with ray_cluster(num_cpus=2) as address:
            return _run_row(kind, app, args, folder, {"RAY_ADDRESS": address})
    return _run_row(kind, app, args, folder, {})


def _run_row(kind: str, app: str, args, folder: Path, extra_env: dict[str, str]) -> Row:
    viewers = {"30x3": 30, "compare": 10, "idle": args.idle_sessions, "ray30": 30}.get(kind) or int(kind)
    row = Row(label=kind, app=app, viewers=viewers)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["TRAINING_RUNS_DIR"] = tempfile.mkdtemp(prefix="runs-", dir=folder)
    env.update(extra_env)
    if app == "app":
        script, cwd = args.root / "app.py", args.root
    else:
        cwd = folder / "baseline"
        script = cwd / "baseline_app.py"
        env["WATCH_BASELINE_STEPS"] = str(args.baseline_steps)
    progress(f"class_watch: {app} row {kind} ({viewers} sessions), starting a server")
    server = Server(script, cwd, env, folder / f"server-{app}-{kind}.log")
    try:
        # Every wait inside a row is bounded; this bounds the row as a whole too.
        guard = args.timeout + 600
        if kind == "idle":
            asyncio.run(
                asyncio.wait_for(idle_row(row, server, fit_path(args.epochs), args.idle_seconds, args.idle_settle), guard)
            )
        else:
            if kind == "30x3":
                paths = [fit_path(args.epochs, seed=i % 3) for i in range(viewers)]
            else:
                paths = [fit_path(args.epochs)] * viewers
            teacher = fit_path(args.epochs, page="compare") if kind == "compare" and app == "app" else None
            asyncio.run(asyncio.wait_for(watch_row(row, server, paths, args.spread, args.timeout, teacher), guard))
    finally:
        server.stop()
    asked, done, early = row.fragment_runs()
    progress(
        f"class_watch: {app} row {kind}: run {row.run_seconds}, timed out {row.timed_out}, cpu {row.cpu_percent:.0f}%, "
        f"updates {row.updates()}, fragment runs asked {asked} finished {done} early {early}, failed {row.failed}, "
        f"dropped {row.dropped()}" + "".join(f"\n  {s.name}: {s.error}" for s in row.sessions if s.error)[:2000]
    )
    return row


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def table(rows: list[Row], reference: dict[str, float | None], floor: dict[str, Row]) -> str:
    headers = [
        "app", "row", "viewers", "run time", "vs 1 viewer", "gap between progress updates (median / p95)",
        "Train → first progress (median / p95)", "bytes/s per viewer", "server CPU", "CPU per viewer",
        "server CPU ms per update delivered", "peak RSS", "failed / dropped",
        "fragment runs asked / finished / early for rerun", "bench client CPU",
    ]  # fmt: skip
    lines = []
    for row in rows:
        gaps, firsts = row.gaps(), row.firsts()
        one = reference.get(row.app)
        if row.label == "idle":
            run, ratio = "–", "–"
        elif row.timed_out:
            run, ratio = f"**over {seconds(row.window_seconds)}** (timeout)", f"> {row.window_seconds / one:.1f}×" if one else "–"
        else:
            run = seconds(row.run_seconds)
            ratio = f"{row.run_seconds / one:.2f}×" if one and row.run_seconds else "–"
        per_viewer = per_viewer_cpu(row, floor)
        asked, done, early = row.fragment_runs()
        lines.append(
            [
                row.app,
                row.label,
                row.viewers,
                run,
                ratio,
                "–" if not gaps else f"{seconds(statistics.median(gaps))} / {seconds(percentile(gaps, 0.95))}",
                "–" if not firsts else f"{seconds(statistics.median(firsts))} / {seconds(percentile(firsts, 0.95))}",
                f"{row.bytes_per_viewer_second() / 1000:.1f} kB/s",
                f"{row.cpu_percent:.0f}%",
                per_viewer,
                f"{1000 * row.cpu_seconds / row.updates():.0f}" if row.updates() else "–",
                f"{row.peak_rss_mb:,.0f} MB",
                f"{row.failed} / {row.dropped()}",
                "–" if row.label == "idle" else f"{asked} / {done} / {early}",
                f"{row.client_cpu_percent:.0f}%",
            ]
        )
    return markdown_table(headers, lines)


def per_viewer_cpu(row: Row, floor: dict[str, Row]) -> str:
    """% of a core per viewer: the baseline's over all its viewers; the app's above its 1-viewer row, and over the floor's."""
    if row.app == "baseline" or row.label == "idle":
        return f"{row.cpu_percent / max(row.viewers, 1):.2f}%"
    one = floor.get("app-1")
    if one is None or row.viewers <= 1:
        return "–"
    mine = (row.cpu_percent - one.cpu_percent) / (row.viewers - 1)
    base = floor.get(f"baseline-{row.label}")
    if base is None or base.cpu_percent <= 0:
        return f"{mine:.2f}%"
    return f"{mine:.2f}% ({mine / (base.cpu_percent / base.viewers):.1f}× the floor's)"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=common.ROOT, help="the checkout whose app.py the server runs")
    parser.add_argument(
        "--rows",
        help="comma-separated, of 1,10,30,60,30x3,compare,idle,ray30 (default all; --quick: 1,2,idle); 1 is always run",
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a row may last before it is reported as such")
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which the viewers press Train")
    parser.add_argument("--idle-sessions", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument(
        "--idle-settle", type=float, default=15, help="seconds between the last page load and the idle measurement"
    )
    parser.add_argument("--baseline-steps", type=int, default=40, help="the bare app's run: steps of 0.5 s")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare app's rows")
    parser.add_argument("--quick", action="store_true", help="rows 1 and 2 (and 4 idle sessions), 1 epoch: a smoke test")
    parser.add_argument("--summary-json", help="write the headline figures here (for run_all)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = args.rows or "1,2,idle"
        args.epochs, args.idle_sessions, args.idle_seconds, args.idle_settle = 1, 4, 3, 2
        args.baseline_steps, args.timeout = min(args.baseline_steps, 8), min(args.timeout, 240)
    args.rows = args.rows or "1,10,30,60,30x3,compare,idle,ray30"
    args.root = args.root.resolve()
    if not (args.root / "app.py").is_file():
        raise SystemExit(f"--root {args.root}: no app.py there")
    if not os.environ.get("REUTERS_NPZ_PATH"):
        raise SystemExit("set REUTERS_NPZ_PATH (the real reuters.npz, or a fixture-size file for --quick)")
    kinds = ["1", *[k for k in args.rows.split(",") if k and k != "1"]]
    load_before = load_average()

    folder = Path(tempfile.mkdtemp(prefix="class-watch-"))
    (folder / "baseline" / ".streamlit").mkdir(parents=True)
    (folder / "baseline" / "baseline_app.py").write_text(BASELINE_APP, encoding="utf-8")
    config = args.root / ".streamlit" / "config.toml"
    if config.is_file():  # the same server settings as the app under test
        shutil.copy(config, folder / "baseline" / ".streamlit" / "config.toml")

    rows: list[Row] = []
    try:
        for kind in kinds:
            rows.append(run_row(kind, "app", args, folder))
            if not args.no_baseline:
                rows.append(run_row(kind, "baseline", args, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    reference = {r.app: r.run_seconds for r in rows if r.label == "1"}
    floor = {f"{r.app}-{r.label}": r for r in rows}
    text = report(rows, reference, floor, args, load_before, data_source(Path(os.environ["REUTERS_NPZ_PATH"])))
    print(text)
    write_summary(args.summary_json, summary(rows, reference))
    return text


def report(rows, reference, floor, args, load_before: str, source: str) -> str:
    details = (
        f"app: `{args.root}` ({git_describe(args.root)}) · `/fit?epochs={args.epochs}&class=...`, viewers press Train within "
        f"{args.spread:g} s · row timeout {args.timeout:g} s · baseline: the bare app, {args.baseline_steps} steps of 0.5 s"
    )
    lines = [
        "### Class watch: viewers of a run, over Streamlit's websocket protocol",
        "",
        f"{machine_line()} · data: {source} · {details}",
        "",
        f"Machine load: {load_before} before, {load_average()} after.",
        "",
        table(rows, reference, floor),
        "",
        "Run time: Train (first viewer) to the last viewer seeing the run end. Gaps: between successive changes of the "
        "progress bar a viewer received, pooled over viewers. Bytes: all websocket messages received from Train on (not "
        "the page load), per viewer and second of the row. Server CPU: the server process, % of one core over the row. CPU per viewer: the bare app's "
        "CPU over its viewers; the app's above its 1-viewer row, per extra viewer, and against the floor's. Fragment "
        "runs: the auto-rerun ticks the viewers sent, the fragment runs that finished, and the runs cut short by the "
        "next request ('early for rerun').",
    ]
    for row in rows:
        kinds: dict[str, int] = {}
        for session in row.sessions:
            for kind, size in session.window_bytes_by_kind().items():
                kinds[kind] = kinds.get(kind, 0) + size
        total = sum(kinds.values()) or 1
        top = sorted(kinds.items(), key=lambda item: -item[1])[:4]
        refs = sum(s.cache_hits for s in row.sessions)
        lines.append(
            f"\n{row.app} {row.label}: bytes by element, "
            + ", ".join(f"{kind} {100 * size / total:.0f}%" for kind, size in top)
            + f"; {refs} elements sent as cache references"
        )
    for row in rows:
        loads = row.teacher_loads
        if loads:
            lines.append(
                f"\nThe teacher's Compare page: {len(loads)} loads while the class trained, "
                f"median {seconds(statistics.median(loads))}, slowest {seconds(max(loads))}. {row.note}"
            )
        elif row.note:
            lines.append(f"\nThe teacher's Compare page: no load completed; {row.note}")
    return "\n".join(lines) + "\n"


def data_source(path: Path) -> str:
    """Only the file Keras downloads is called real: a table must not pass off other data as Reuters."""
    import hashlib

    from core.data import KERAS_SHA256

    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == KERAS_SHA256:
        return "Reuters (real)"
    return f"{path.name} (not the Keras Reuters file: not the real figures)"


def git_describe(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip()[:60] or "not a git checkout"
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"


def summary(rows: list[Row], reference: dict[str, float | None]) -> list[dict]:
    items = []
    for row in rows:
        if row.app != "app":
            continue
        gaps, firsts = row.gaps(), row.firsts()
        if row.label == "idle":
            items.append(
                summary_item(f"{row.viewers} idle sessions: server CPU", f"{row.cpu_percent:.1f}%", "< 5%", row.cpu_percent < 5)
            )
            continue
        one = reference.get("app")
        ratio = row.run_seconds / one if one and row.run_seconds else None
        items.append(
            summary_item(
                f"{row.label} viewers: run time vs 1 viewer",
                "timeout" if row.timed_out else f"{ratio:.2f}×" if ratio else "–",
                "≤ 1.15× (30), ≤ 1.3× (60)",
                None if ratio is None and not row.timed_out else bool(ratio and ratio <= (1.3 if row.label == "60" else 1.15)),
            )
        )
        if gaps:
            items.append(
                summary_item(
                    f"{row.label} viewers: median gap between progress updates",
                    f"{statistics.median(gaps):.2f} s",
                    "≤ 1.2 s",
                    statistics.median(gaps) <= 1.2,
                )
            )
        if firsts:
            items.append(
                summary_item(
                    f"{row.label} viewers: Train → first progress (median)",
                    f"{statistics.median(firsts):.2f} s",
                    "≤ 1.0 s",
                    statistics.median(firsts) <= 1.0,
                )
            )
        kb = row.bytes_per_viewer_second() / 1000
        items.append(summary_item(f"{row.label} viewers: kB/s per viewer", f"{kb:.1f}", "≤ 4", kb <= 4))
        items.append(summary_item(f"{row.label} viewers: progress updates received", str(row.updates())))
        saw = sum(1 for s in row.watching if s.first_progress() is not None)
        items.append(
            summary_item(
                f"{row.label} viewers: viewers who received progress",
                f"{saw} of {row.viewers}",
                str(row.viewers),
                saw == row.viewers,
            )
        )
        items.append(
            summary_item(
                f"{row.label} viewers: sessions failed or dropped",
                str(row.failed + row.dropped()),
                "0",
                row.failed + row.dropped() == 0,
            )
        )
    return items  # fmt: skip


if __name__ == "__main__":
    main()
