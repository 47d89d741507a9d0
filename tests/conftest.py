"""Shared fixtures: a tiny Reuters-format file, data prepared from it, and an isolated environment.

Every test runs with its own empty Keras cache ($KERAS_HOME) and runs folder
($TRAINING_RUNS_DIR), and without REUTERS_NPZ_PATH / REUTERS_WORD_INDEX_PATH, so
the default run never reads ~/.keras, never downloads, and never depends on
what the developer's shell exports. Real-data tests (marked `slow`) get the
file through `real_data_path`, from the value REUTERS_NPZ_PATH had at start-up.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from fixture_data import write_fixture_npz, write_fixture_word_index
from streamlit.testing.v1 import AppTest
from streamlit_server import running_app

from core.data import DATA_PATH_ENV, WORD_INDEX_PATH_ENV
from core.records import RUNS_DIR_ENV

# Saved before anything is unset, for the slow tests.
REAL_NPZ_PATH = os.environ.get(DATA_PATH_ENV)
REAL_WORD_INDEX_PATH = os.environ.get(WORD_INDEX_PATH_ENV)

# Keras reads $KERAS_HOME (and keras.json in it) once, when it is first imported:
# point it at an empty folder before that happens, so a developer's
# ~/.keras/keras.json (another backend, float16) cannot change any result.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="keras-home-")
atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], ignore_errors=True)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Ray (the ray-marked tests) would otherwise swap 127.0.0.1 for the machine's network address;
# with this, the test cluster and every connection to it stay on loopback (a one-node cluster).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
# Session-scoped fixtures are built before the per-test fixture below runs.
os.environ.pop(DATA_PATH_ENV, None)
os.environ.pop(WORD_INDEX_PATH_ENV, None)

from support import (  # noqa: E402
    BROWSER_NEWSWIRES,
    HANG_GUARD,
    TINY_MAX_LEN,
    full_error_details,
    gate_training,
    install_server_slots,
    live_job_threads,
    state,
    wait_for,
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory, monkeypatch):
    """An empty Keras cache and runs folder per test; no data paths from the shell."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))
    monkeypatch.setenv(RUNS_DIR_ENV, str(tmp_path_factory.mktemp("runs")))
    monkeypatch.delenv(DATA_PATH_ENV, raising=False)
    monkeypatch.delenv(WORD_INDEX_PATH_ENV, raising=False)
    # Each test gets its own SQLite run store (in its runs folder), never a DATABASE_URL from the shell.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("TRAINING_DB_PATH", raising=False)
    # Preparing runs ahead of Train starts background training threads on every method page;
    # tests of it turn it on themselves (tests/test_hub.py), the rest keep their thread counts exact.
    monkeypatch.setenv("TRAINING_PREPARE_AHEAD", "0")
    yield
    # The hub is one per process, as on a server; a test's runs must not be joined by the next test
    # (whose store is another file): every job ends with its test, and the next gets a new hub.
    import sys

    if "core.runs.jobs" in sys.modules:
        sys.modules["core.runs.jobs"].stop_every_job(wait=60)
    if "core.runs.hub" in sys.modules:
        sys.modules["core.runs.hub"].replace_server_hub(None)


@pytest.fixture(scope="session")
def fixture_npz(tmp_path_factory) -> Path:
    """A 240-newswire file in the real reuters.npz format."""
    return write_fixture_npz(tmp_path_factory.mktemp("fixture") / "reuters.npz")


@pytest.fixture(scope="session")
def tiny_data(fixture_npz):
    from core.data import prepare_data

    return prepare_data(max_len=TINY_MAX_LEN, path=fixture_npz, download=False)


@pytest.fixture
def tiny_settings():
    from core.settings import RunSettings

    return RunSettings(epochs=2, batch_size=16, max_len=TINY_MAX_LEN, lr_halving_epoch=None)


@pytest.fixture(scope="session")
def real_data_path() -> Path:
    """The real reuters.npz named by REUTERS_NPZ_PATH when the session started, or skip."""
    if not REAL_NPZ_PATH:
        pytest.skip(f"{DATA_PATH_ENV} is not set: real-data tests need the path of the real reuters.npz")
    path = Path(REAL_NPZ_PATH).expanduser()
    if not path.is_file():
        pytest.skip(f"{DATA_PATH_ENV}={REAL_NPZ_PATH} is not a file")
    return path


def pytest_sessionfinish(session, exitstatus):
    """No training thread may still be inside TensorFlow when the interpreter exits: that aborts the process."""
    import sys

    if "core.runs.jobs" in sys.modules:
        sys.modules["core.runs.jobs"].stop_every_job(wait=60)


# -- the app's environment, the server-wide cap, sessions that clean up after themselves


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Fixture data through REUTERS_NPZ_PATH, an empty runs folder, fresh shared caches."""
    (tmp_path / "data").mkdir()
    npz = write_fixture_npz(tmp_path / "data" / "reuters.npz")
    runs = tmp_path / "runs"
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(npz))
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(runs))
    st.cache_resource.clear()
    with full_error_details():
        yield SimpleNamespace(root=tmp_path, npz=npz, runs=runs)
    st.cache_resource.clear()


@pytest.fixture
def server_slots(monkeypatch):
    """`server_slots(capacity)`: replace the server's cap and hub for this test (see install_server_slots)."""
    return lambda capacity: install_server_slots(capacity, monkeypatch.setattr)


@pytest.fixture
def gate(monkeypatch):
    opened = gate_training(monkeypatch.setattr)
    yield opened
    opened.set()


@pytest.fixture
def sessions():
    """AppTest sessions; whatever happens, their watches are stopped and the jobs under them end."""
    opened: list[AppTest] = []
    yield opened
    for at in opened:
        job = state(at, "job")
        if job is not None:
            job.stop()
            job.join(HANG_GUARD)
    # A stopped watch leaves its job, which stops once nobody watches it: wait for that too.
    wait_for(lambda: not any(t.name == "training-job" for t in live_job_threads()), "the sessions' jobs to end")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free port with fixture data; stopped afterwards whatever happens."""
    folder = tmp_path_factory.mktemp("server")
    env = dict(os.environ)
    env.update(
        REUTERS_NPZ_PATH=str(write_fixture_npz(folder / "reuters.npz", newswires=BROWSER_NEWSWIRES)),
        REUTERS_WORD_INDEX_PATH=str(write_fixture_word_index(folder / "reuters_word_index.json")),
        TRAINING_RUNS_DIR=str(folder / "runs"),
        KERAS_HOME=str(folder / "keras"),
        TRAINING_JOB_SLOTS="2",
    )
    with running_app(folder, env) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright: one per test module (browser tests only)."""
    from playwright.sync_api import sync_playwright
    from support import CHROMIUM, CHROMIUM_FLAGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    """An empty run store's URL: a SQLite file in the test's folder, or a new database on the module's PostgreSQL.

    The module imports tests/engines.py's `postgres_url` fixture (one server per module).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.sqlite3"
    from engines import fresh_database

    return fresh_database(request.getfixturevalue("postgres_url"))
