"""What the tests and the benchmarks share: waiting, the figures that must agree, app sessions, recorded writes.

One module of helpers, so no test or benchmark imports a test module: the
figures two runs must agree on, waits that poll (their deadlines only stop a
hang), AppTest sessions of the app, the server's cap and hub replaced for a test,
a gate that holds training, the many-sessions and killed-writer scenarios that
tests/test_reliability.py and bench/load_test.py both run, and the recording of
every file the process writes (an audit hook, installed on first use).
"""

from __future__ import annotations

import gc
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from fixture_data import write_fixture_npz
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from core import methods
from core.i18n import t
from core.runs.watch import Watch

if TYPE_CHECKING:  # Playwright is only imported by the browser tests, which need Chromium
    from playwright.sync_api import Page
from core.records import EpochRow, RunRecord
from core.runs.handle import JobSnapshot
from core.runs.slots import JobSlots
from core.states import JobState, RunMessage, RunStatus
from core.store import RunStore

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
HANG_GUARD = 120.0
# Playwright waits (ms). Only a hang guard: a busy CI machine with a Ray worker importing TensorFlow
# beside two app servers has taken over 30 s to show a page, so no browser wait is shorter than this.
BROWSER_HANG_GUARD_MS = 300_000
TINY_MAX_LEN = 40
FIGURES = ("loss", "accuracy", "top5_accuracy", "val_loss", "val_accuracy", "val_top5_accuracy", "learning_rate")


def open_page(at: AppTest, page_id: str) -> AppTest:
    """Point `at` at a page of the app by its URL path ("fit", "compare", ...; "home"); call `.run()` after.

    The pages are functions declared from the methods' registry (ui/navigation.py), and
    AppTest.switch_page only finds pages that are files (Streamlit 1.67 resolves it against the
    registered pages' script paths; a function page has none), so this is the one place a test
    sets an AppTest field that is not public: the page to run next, which switch_page sets too.
    A page's id in a session is the hash of its URL path; a name that no page has falls back
    to the home page, so callers check the title they expect.
    """
    at._page_hash = calc_hash(page_id)  # AppTest's own field for the page to run next (see switch_page)
    return at


def nav_title(page_id: str, language: str = "en") -> str:
    """A page's entry in the navigation as ui/navigation.py numbers it: "1 · model.fit", "5 · Compare"."""
    if page_id == "home":
        return t("nav.home", language)
    place = methods.compare_number() if page_id == "compare" else methods.number(page_id)
    return methods.numbered(place, t(f"nav.{page_id}", language))


def figures(record, decimals: int = 6) -> list[tuple[float, ...]]:
    """Every epoch's figures, rounded: what must agree between two runs of the same math."""
    return [tuple(round(getattr(row, name), decimals) for name in FIGURES) for row in record.epochs]


def live_job_threads() -> list[threading.Thread]:
    """Training jobs and the watches of visitors over them (core.runs.jobs, core.runs.hub)."""
    return [t for t in threading.enumerate() if t.name in ("training-job", "training-watch") and t.is_alive()]


def wait_for(condition, what: str, timeout: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "info", "success", "warning", "error", "caption") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def collect_until(condition, what: str, timeout: float = HANG_GUARD) -> None:
    """Run full garbage collections until `condition` holds, as a server's collector eventually would.

    A dropped AppTest can stay referenced for a moment by the frames of its
    script thread as it winds down; a single gc.collect() may run before that.
    """
    wait_for(lambda: gc.collect() >= 0 and condition(), what, timeout)


def state(at: AppTest, key: str):
    try:
        return at.session_state[key]
    except KeyError:
        return None


# Every file this process opens for writing, renames or removes, and every SQLite database it opens
# (SQLite opens its files in C, out of sight of the "open" event: the connect names the file), while recording.
_writes: list[str] | None = None
_writes_lock = threading.Lock()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple) -> None:
    if _writes is None:
        return
    target = None
    if event == "open" and len(args) == 3 and isinstance(args[0], (str, bytes, os.PathLike)):
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
        ):
            target = path
    elif event in ("os.rename", "os.replace", "os.link", "os.symlink") and len(args) >= 2:
        target = args[1]
    elif (
        event in ("os.remove", "os.rmdir", "os.truncate", "os.chmod") and args and isinstance(args[0], (str, bytes, os.PathLike))
    ):
        target = args[0]
    elif event == "sqlite3.connect" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        target = args[0] if os.fsdecode(args[0]) != ":memory:" else None
    if target is not None:
        with _writes_lock:
            if _writes is not None:
                _writes.append(os.path.abspath(os.fsdecode(target)))


_hook_installed = False


@contextmanager
def recording_writes():
    """The absolute paths this process writes to (any thread) inside the block.

    The audit hook goes in on first use (a hook cannot be taken out again), and records
    nothing outside this block.
    """
    global _writes, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    seen: list[str] = []
    _writes = seen
    try:
        yield seen
    finally:
        _writes = None


def outside(paths: list[str], *allowed: Path) -> list[str]:
    """The paths written outside the allowed folders (TensorFlow's own autograph sources aside)."""
    roots = [str(a.resolve()) + os.sep for a in allowed]
    return sorted(
        {
            p
            for p in paths
            if not any((os.path.realpath(p) + os.sep).startswith(r) for r in roots)
            and not os.path.basename(p).startswith("__autograph_generated_file")
            and not os.path.isdir(p)  # tempfile.NamedTemporaryFile reports its folder, then the file itself
        }
    )


@contextmanager
def full_error_details():
    """The app hides tracebacks from visitors (client.showErrorDetails); a failing test should show them."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    try:
        yield
    finally:
        config.set_option("client.showErrorDetails", before)


def install_server_slots(capacity: int, setattr=setattr) -> JobSlots:
    """A fresh process-wide cap and a fresh hub built on it, as a server starting with `capacity` slots has.

    The hub (core.runs.hub.server_hub()) captures its slots when it is built, so replacing
    core.runs.jobs.SERVER_SLOTS alone would not reach the sessions' jobs. `setattr` is
    monkeypatch.setattr in tests (undone afterwards), the builtin in bench/load_test.py.
    """
    import core.runs.hub
    import core.runs.jobs
    import ui.live_run

    slots = JobSlots(capacity)
    setattr(core.runs.jobs, "SERVER_SLOTS", slots)
    setattr(ui.live_run, "SERVER_SLOTS", slots)  # what a waiting page without a queue position reports
    core.runs.hub.replace_server_hub(core.runs.hub.Hub(slots=slots))  # its store: store_from_environment, per call
    return slots


def gate_training(setattr=setattr) -> threading.Event:
    """Jobs hold their slot but do not train until the returned event is set: makes 'waiting' certain.

    Jobs call core.training.train(settings, data, hooks) once they hold a slot.
    """
    from core import training

    real = training.train
    opened = threading.Event()

    def gated(*args, **kwargs):
        if not opened.wait(HANG_GUARD):
            raise RuntimeError("the test never opened the gate")
        return real(*args, **kwargs)

    setattr(training, "train", gated)
    return opened


def pause_after_first_epoch(setattr=setattr) -> threading.Event:
    """Runs publish their first epoch, then wait for the returned event: a run is surely still going meanwhile.

    Jobs call core.training.train(settings, data, hooks); the pause is in the hook a run reports each epoch to.
    """
    from dataclasses import replace

    from core import training

    real = training.train
    go_on = threading.Event()

    def paused(settings, data, hooks):
        reported = hooks.on_epoch

        def on_epoch(row):
            reported(row)
            if row.epoch == 1 and not go_on.wait(HANG_GUARD):
                raise RuntimeError("the test never let the run go on")

        return real(settings, data, replace(hooks, on_epoch=on_epoch))

    setattr(training, "train", paused)
    return go_on


def open_session(sessions: list, *, seed: int = 0, epochs: int = 1, upload: bytes | None = None) -> AppTest:
    """A new visitor: opens the home page, maybe uploads a file, applies tiny settings."""
    at = AppTest.from_file(APP, default_timeout=60)
    sessions.append(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if upload is not None:
        at.file_uploader(key="reuters_upload").upload("alt.npz", upload).run()
        assert state(at, "uploaded_reuters") is not None, texts(at)
    at.number_input(key="set_epochs").set_value(epochs)
    at.number_input(key="set_batch").set_value(16)
    at.number_input(key="set_max_len").set_value(TINY_MAX_LEN)
    at.number_input(key="set_seed").set_value(seed)
    at.button(key="apply_settings").click().run()
    settings = at.session_state["settings"]
    assert (settings.epochs, settings.max_len, settings.seed) == (epochs, TINY_MAX_LEN, seed)
    return at


def press_train(at: AppTest, method: str) -> Watch:
    open_page(at, method).run()
    at.button(key=f"train_{method}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["job"]


def answered(snap) -> bool:
    """A Train press the server has answered: its job trains, or waits with a place in the queue."""
    return snap.state == "running" or snap.queue_position is not None


def run_sessions(sessions: list, app_env, slots: JobSlots, gate: threading.Event, count: int, epochs: int) -> dict:
    """`count` visitors train at once under the cap; returns what was observed. Used by bench/load_test.py too."""
    methods = ["fit", "train_on_batch", "custom_loop"]
    alt = write_fixture_npz(app_env.root / "data" / "alt.npz", seed=7).read_bytes()  # visitor 0 trains on an upload of their own
    threads_before = len(live_job_threads())
    started = time.monotonic()
    visitors = []
    for i in range(count):
        at = open_session(sessions, seed=100 + i, epochs=epochs, upload=alt if i == 0 else None)
        method = methods[i % len(methods)]
        v = SimpleNamespace(at=at, method=method, seed=100 + i, job=press_train(at, method))
        visitors.append(v)
        # The press is answered before the next visitor presses: its job holds a slot or has a place in the queue.
        wait_for(lambda job=v.job: answered(job.snapshot()), "the press to be queued")

    # The cap lets `capacity` in; the rest wait, visibly, first come first served.
    waiting = count - slots.capacity
    assert (slots.in_use, slots.waiting) == (slots.capacity, waiting)
    positions = []
    for v in visitors:
        v.at.run()
        assert not v.at.exception, [e.value for e in v.at.exception]
        snap = v.job.snapshot()
        if snap.state == "waiting":
            shown = re.search(r"In the queue: number (\d+) \((\d+) ahead of you\)", texts(v.at))
            assert shown, texts(v.at)
            assert int(shown[1]) == snap.queue_position and int(shown[2]) == snap.queue_position - 1
            assert not v.at.get("progress")
            positions.append(snap.queue_position)
        else:
            assert snap.state == "running" and v.at.get("progress"), "a training run shows its progress bar"
    assert positions == list(range(1, waiting + 1)), "the queue keeps the order of the presses"
    assert [v.job.snapshot().state for v in visitors] == ["running"] * slots.capacity + ["waiting"] * waiting

    # Open the gate: runs train; every page keeps rendering while they do.
    gate.set()
    max_waiting, max_in_use, renders = count - slots.capacity, slots.in_use, []
    observer = open_session(sessions, seed=1)
    while True:
        snaps = [v.job.snapshot() for v in visitors]
        max_waiting = max(max_waiting, sum(s.state == "waiting" for s in snaps))
        max_in_use = max(max_in_use, slots.in_use)
        assert slots.in_use <= slots.capacity
        if not any(s.active for s in snaps):
            break
        for at in [v.at for v in visitors] + [observer]:
            began = time.monotonic()
            at.run()
            renders.append(time.monotonic() - began)
            assert not at.exception, [(e.message, e.stack_trace) for e in at.exception]
        open_page(observer, "compare" if len(renders) % 2 else "fit")
        if time.monotonic() - started > HANG_GUARD * 3:
            raise AssertionError("the runs did not end")
    wall = time.monotonic() - started
    for v in visitors:
        assert v.job.join(HANG_GUARD)
        v.at.run()
    wait_for(lambda: slots.in_use == 0, "every slot to be given back")
    gc.collect()
    return {
        "visitors": visitors,
        "observer": observer,
        "max_waiting": max_waiting,
        "max_in_use": max_in_use,
        "renders": renders,
        "wall": wall,
        "threads_before": threads_before,
        "threads_after": len(live_job_threads()),
    }


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from core.records import EpochRow, RunRecord
    from core.states import RunMessage
    from core.store import RunStore

    folder, ids, version = Path(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
    folder.mkdir(parents=True, exist_ok=True)
    store = RunStore(f"sqlite:///{folder / 'runs.sqlite3'}")
    records = {}
    for run_id in ids:
        records[run_id] = RunRecord.start("fit", {"epochs": 200})
        records[run_id].run_id = run_id
    while True:
        version += 1
        for run_id, record in records.items():
            # A different length every version: a torn write could not pass for a whole run.
            record.epochs = [
                EpochRow(e, 1.0 / e, 0.5, 0.7, 1.1, 0.4, 0.6, 0.001, 0.1, "2026-01-01T00:00:00")
                for e in range(1, 2 + version % 150)
            ]
            record.message = RunMessage.plain(f"version {version}")
            store.save_run(record)
            print(run_id, version, flush=True)  # only once save_run returned: the write is confirmed
    """
)


def store_in(folder: Path) -> RunStore:
    """The SQLite store the writer below uses in `folder`."""
    return RunStore(f"sqlite:///{folder / 'runs.sqlite3'}")


def kill_while_writing(folder: Path, ids: list[str], rounds: int, seed: int = 0) -> dict:
    """Run a writer that saves `ids` to the store in `folder` in a loop; SIGKILL it at random moments.

    Returns the last version of each run the writer confirmed; checks after every kill
    that each run in the database is whole and none lost a confirmed write.
    """
    rng = random.Random(seed)
    reported: dict[str, int] = {}
    version = 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for _ in range(rounds):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), ",".join(ids), str(version)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        lines = [writer.stdout.readline() for _ in range(rng.randint(len(ids), 12 * len(ids)))]
        time.sleep(rng.uniform(0, 0.05))  # land anywhere: between writes, inside a transaction, during its commit
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(HANG_GUARD)
        lines += writer.stdout.readlines()
        writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
        for line in lines:
            if not line.endswith("\n") or not line.strip():
                continue  # the kill can cut the writer's own report short; only whole lines confirm a write
            fields = line.split()
            assert len(fields) == 2, f"unexpected line from the writer: {line!r}"
            run_id, number = fields
            reported[run_id] = max(reported.get(run_id, 0), int(number))
        version = max(reported.values())
        check_every_record_whole(folder, reported)
    return reported


def check_every_record_whole(folder: Path, reported: dict[str, int]) -> None:
    """Every run in the database loads completely, and none is older than the last write the writer confirmed."""
    import sqlalchemy as sa

    from core.store import runs as runs_table

    store = store_in(folder)
    try:
        with store.engine.connect() as conn:
            run_ids = set(conn.execute(sa.select(runs_table.c.run_id)).scalars())
        assert run_ids == set(reported), "a run the writer confirmed is missing, or one appeared from nowhere"
        for run_id in run_ids:
            record = store.get_run(run_id)
            version = int(str(record.message).split()[-1])
            assert len(record.epochs) == 1 + version % 150, f"{run_id} is torn"
            assert [row.epoch for row in record.epochs] == list(range(1, 2 + version % 150)), f"{run_id} is torn"
            assert version >= reported[run_id], f"{run_id} lost a confirmed write"
    finally:
        store.engine.dispose()


BATCHES_PER_EPOCH = 12  # 192 training newswires / 16


class Recorder:
    """Callbacks that remember every call."""

    def __init__(self):
        self.batches: list[tuple[int, int, int]] = []
        self.rows: list[EpochRow] = []

    def on_batch(self, epoch: int, done: int, total: int) -> None:
        self.batches.append((epoch, done, total))

    def on_epoch(self, row: EpochRow) -> None:
        self.rows.append(row)


def new_app() -> AppTest:
    """A new visitor on the home page."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def apply_tiny_settings(at: AppTest, epochs: int = 2) -> None:
    at.number_input(key="set_epochs").set_value(epochs)
    at.number_input(key="set_batch").set_value(16)
    at.number_input(key="set_max_len").set_value(TINY_MAX_LEN)
    at.button(key="apply_settings").click().run()
    assert at.session_state["settings"].max_len == TINY_MAX_LEN


def wait_for_job(at: AppTest, until: str = "ended", timeout: float = HANG_GUARD) -> None:
    """Until the session's run has ended (or finished its first epoch), then one more page run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = at.session_state["job"].snapshot()
        if (until == "ended" and not snap.active) or (until == "epoch" and any(r.epochs for r in snap.records)):
            at.run()
            return
        time.sleep(0.3)
    raise AssertionError(f"job did not reach {until!r} in {timeout}s")


def make_run(
    method: str = "fit", epochs: int = 2, status: RunStatus = RunStatus.FINISHED, fingerprint: str | None = None
) -> RunRecord:
    """A run record with made-up but plausible epochs, for store and file tests."""
    record = RunRecord.start(method, {"epochs": epochs, "batch_size": 32}, fingerprint=fingerprint)
    for epoch in range(1, epochs + 1):
        record.epochs.append(
            EpochRow(epoch, 1.0 / epoch, 0.5, 0.7, 1.1, 0.4 + epoch / 100, 0.6, 0.001, 2.5, "2026-11-27T10:00:00")
        )
    if status != RunStatus.RUNNING:
        record.end(RunStatus(status))
    return record


def made_up_snapshot(batches: int, epochs: int, status: RunStatus = RunStatus.RUNNING, method: str = "fit") -> JobSnapshot:
    """A job's snapshot with made-up but plausible figures: `epochs` finished and `batches` per-batch points so far.

    The same run id, label and values at every call, as every viewer of one run reads them.
    """
    per_epoch = 300
    record = make_run(method, epochs=epochs, status=RunStatus.RUNNING)
    record.run_id, record.label, record.started_at = (
        f"20261130-120000-{method}-abcdef",
        f"{method} · 12:00:00",
        "2026-11-30T12:00:00",
    )
    record.settings["epochs"] = epochs + 2
    noise = random.Random(7)
    for step in range(1, batches + 1):
        reported = {"loss": 3.0 - step / 400 + noise.random() / 10, "accuracy": min(1.0, step / 1200 + noise.random() / 10)}
        record.add_batch(step, 1 + (step - 1) // per_epoch, reported, {"loss": 2.9 - step / 450, "accuracy": step / 1300})
    if status != RunStatus.RUNNING:
        record.end(RunStatus(status))
    return JobSnapshot(
        state=JobState(status),
        methods=(method,),
        current_method=method,
        epoch=epochs + 1,
        epochs=epochs + 2,
        batches_done=batches % per_epoch,
        batches_per_epoch=per_epoch,
        seconds_left_in_epoch=4.0 if status == RunStatus.RUNNING else None,
        records=[record],
        message=RunMessage(),
        version=epochs,
        started_at=0.0,
        ended_at=None if status == RunStatus.RUNNING else 30.0,
    )


# -- the app in a real browser (Debian's Chromium driven by Playwright)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As root, without a screen, on a machine whose network is closed: no sandbox, no GPU, no background calls home.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_NEWSWIRES = 1500  # about 40 batches an epoch at max_len 300: progress is visible, epochs still short


def require_chromium() -> None:
    """Skip the calling browser-test module without Chromium; under REQUIRE_BROWSER=1 (CI) fail instead."""
    import pytest

    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no chromium executable was found", pytrace=False)
        pytest.skip("no chromium executable (apt-get install chromium chromium-driver)", allow_module_level=True)
    from playwright.sync_api import expect

    # An `expect` without its own timeout would give up after Playwright's 5 s: on a busy machine that is a
    # slow page, not a broken one. Every browser wait in these tests is a hang guard instead.
    expect.set_options(timeout=BROWSER_HANG_GUARD_MS)


def require_dev_package(module: str) -> Any:
    """Import a module of requirements-dev.txt that the app does not need, or skip the calling test without it.

    Under REQUIRE_DEV_PACKAGES=1 (CI, which installs requirements-dev.txt) a missing one is a failure instead.
    """
    import importlib

    import pytest

    try:
        return importlib.import_module(module)
    except ImportError as error:
        reason = f"{module} is not importable ({error}): it comes with requirements-dev.txt, not requirements.txt"
        if os.environ.get("REQUIRE_DEV_PACKAGES") == "1":
            pytest.fail(f"{reason}, and REQUIRE_DEV_PACKAGES=1 requires it", pytrace=False)
        pytest.skip(reason)


def wait_until_idle(page: Page, sidebar: bool = True, timeout: float = 60_000) -> None:
    """Streamlit shows a running indicator while the script runs; wait for the page to settle.

    `sidebar=False` on a phone-width window, where the sidebar starts collapsed. `timeout` (ms) is a hang guard.
    """
    if sidebar:
        page.wait_for_selector('[data-testid="stSidebar"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    page.wait_for_selector("h1")


def wait_until_charts_drawn(page: Page, at_least: int = 1) -> None:
    """Until Vega has drawn every chart in view (those in tabs not shown have no width), and at least `at_least`."""
    page.wait_for_function(
        """at_least => {
            const shown = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].filter(c => c.clientWidth > 0);
            return shown.length >= at_least && shown.every(c => c.querySelector('canvas, svg.marks'));
        }""",
        arg=at_least,
        timeout=BROWSER_HANG_GUARD_MS,
    )


def go_to(page: Page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    wait_until_idle(page)


def no_exception(page: Page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()


def stop_joiner_then_starter(starter: Page, joiner: Page) -> None:
    """The joiner's Stop ends only their watching (the run goes on for the starter); the starter's Stop ends it."""
    from playwright.sync_api import expect

    joiner.get_by_role("button", name="Stop").click()
    expect(joiner.get_by_text("You stopped watching")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    expect(starter.locator('[data-testid="stProgress"]')).to_be_visible()  # the starter's run goes on
    starter.get_by_role("button", name="Stop").click()
    expect(starter.get_by_text(re.compile("^Stopped"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    no_exception(starter)


def apply_settings(page: Page, epochs: int, max_len: int = 40) -> None:
    page.get_by_role("spinbutton", name="Epochs").fill(str(epochs))
    page.get_by_role("spinbutton", name="Tokens per newswire (max_len)").fill(str(max_len))
    page.get_by_role("button", name="Apply settings").click()
    from playwright.sync_api import expect

    expect(page.get_by_text("Settings applied.")).to_be_visible()
