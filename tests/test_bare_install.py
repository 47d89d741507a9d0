"""The README's run command on a bare machine: a venv from requirements.txt alone serves every page.

The test suite runs on the dev install (requirements-dev.txt), which brings more than a visitor's
install does: Ray, pytest, Playwright. A module that only the dev install brings would break the
app for everyone who follows the README, and for Community Cloud, which installs exactly
requirements.txt, while every other test stays green (SQLAlchemy once did just that). So this test
builds a fresh venv from requirements.txt alone, starts `streamlit run app.py` from it word for
word (the port goes in through Streamlit's own variable), with the data and the database named in
Streamlit's secrets file as on Community Cloud, and drives it in Chromium from the test's
side: every page through the sidebar, one epoch trained on a method page, no exception anywhere.
The install reuses pip's cache, so after the dev install it copies wheels rather than downloading.

The venv is made with the interpreter named by BARE_INSTALL_PYTHON (.ci/run names the newest
Python the README supports, 3.13), else with the one running the tests. So CI proves on 3.13
what a visitor meets there: the pages served and a run trained from requirements.txt alone,
and every method trained from the command line.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_data import write_fixture_npz, write_fixture_word_index
from streamlit_server import ROOT, start_app, stop_app
from support import BROWSER_HANG_GUARD_MS, apply_settings, go_to, no_exception, require_chromium, wait_until_idle

from core.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.bare_install, pytest.mark.timeout(1500)]
require_chromium()

NAV_KEYS = ["nav.home", "nav.fit", "nav.train_on_batch", "nav.custom_loop", "nav.compare"]
# Installed by the dev or scale requirements only: finding one in the bare venv means the test is not bare.
DEV_ONLY_MODULES = ("pytest", "ray", "playwright")
BARE_PYTHON_ENV = "BARE_INSTALL_PYTHON"
EPOCH_LINE = re.compile(r"^(\w+) +epoch (\d+)/(\d+)  loss ", re.MULTILINE)


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory) -> Path:
    """A venv with nothing but requirements.txt, made by BARE_INSTALL_PYTHON or the tests' interpreter."""
    folder = tmp_path_factory.mktemp("bare") / "venv"
    maker = os.environ.get(BARE_PYTHON_ENV) or sys.executable
    subprocess.run([maker, "-m", "venv", "--clear", str(folder)], check=True, capture_output=True, timeout=300)
    python = folder / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(ROOT / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return folder


def test_the_bare_venv_has_nothing_but_the_app_requirements(bare_venv):
    probe = f"import importlib.util, json; print(json.dumps([m for m in {DEV_ONLY_MODULES!r} if importlib.util.find_spec(m)]))"
    found = subprocess.run([str(bare_venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]", f"the venv is not bare: {found.stdout}"


def test_the_readme_run_command_from_requirements_txt_alone_serves_every_page_and_trains_with_secrets(
    bare_venv, browser, tmp_path
):
    from playwright.sync_api import expect

    hidden = ("PYTHONPATH", "PYTHONHOME", "REUTERS_NPZ_PATH", "REUTERS_WORD_INDEX_PATH", "DATABASE_URL", "TRAINING_DB_PATH")
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    env.update(
        PATH=f"{bare_venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(bare_venv),
        HOME=str(tmp_path / "home"),
        TRAINING_RUNS_DIR=str(tmp_path / "runs"),
        KERAS_HOME=str(tmp_path / "keras"),
    )
    # As on Community Cloud: the app's variables come from Streamlit's secrets file, not the environment.
    database = tmp_path / "from-the-secret.sqlite3"
    secrets = tmp_path / "home" / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir(parents=True)
    secrets.write_text(
        f'REUTERS_NPZ_PATH = "{write_fixture_npz(tmp_path / "reuters.npz")}"\n'
        f'REUTERS_WORD_INDEX_PATH = "{write_fixture_word_index(tmp_path / "reuters_word_index.json")}"\n'
        f'DATABASE_URL = "sqlite:///{database}"\n'
    )
    # The README's command, word for word, found on the bare venv's PATH (not the test interpreter's).
    process, url = start_app(tmp_path, env, command=["streamlit", "run", "app.py"])
    try:
        # The script's shebang names the bare venv's interpreter: that is what serves the pages.
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert command_line[0].decode().startswith(str(bare_venv / "bin")), command_line
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(BROWSER_HANG_GUARD_MS)
            page.goto(url)
            wait_until_idle(page)
            for key in NAV_KEYS:
                go_to(page, t(key, "en"))
                expect(page.locator("h1").first).to_be_visible()
                no_exception(page)
            go_to(page, t("nav.fit", "en"))
            apply_settings(page, epochs=1)
            train = page.get_by_role("button", name=t("run.train", "en"), exact=True)
            # TensorFlow is first imported here (the sidebar tour above leaves each page before it does): from a
            # fresh venv on a cold disk that took minutes in CI. The wait is a hang guard; on failure Playwright
            # prints what the page showed instead.
            expect(train).to_be_enabled(timeout=600_000)
            train.click()
            expect(page.get_by_text(re.compile(r"^Finished: 1 epochs"))).to_be_visible(timeout=300_000)
            no_exception(page)
        finally:
            context.close()
    finally:
        stop_app(process)
    with sqlite3.connect(database) as connection:  # the run went where the secret's DATABASE_URL says
        assert connection.execute("select method, status from runs").fetchall() == [("fit", "finished")]
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log and "ModuleNotFoundError" not in log, log[-3000:]


def test_every_method_trains_from_the_command_line_on_the_bare_python(bare_venv, tmp_path):
    """The README's `python -m core` on the bare venv's Python: every trainer, the store, no traceback."""
    from core.methods import names

    METHODS = names()  # every method of the registry, in order

    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "DATABASE_URL")}
    env.update(HOME=str(tmp_path / "home"), KERAS_HOME=str(tmp_path / "keras"))
    npz = write_fixture_npz(tmp_path / "reuters.npz")
    result = subprocess.run(
        [str(bare_venv / "bin" / "python"), "-m", "core", "--method", "all", "--epochs", "1", "--max-len", "40",
         "--batch-size", "16", "--data", str(npz), "--runs-dir", str(tmp_path / "runs")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert EPOCH_LINE.findall(result.stdout) == [(method, "1", "1") for method in METHODS]
    with sqlite3.connect(tmp_path / "runs" / "runs.sqlite3") as connection:
        saved = connection.execute("select method, status from runs").fetchall()
    assert sorted(saved) == sorted((method, "finished") for method in METHODS)
