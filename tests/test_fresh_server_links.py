"""A shared link works as a fresh server's very first request, and again: the full app, not legacy pages mode.

Streamlit's page mode is process-wide (see ui/routing.py), so each case starts
its own server and opens its link first, then once more as a new visitor. The
full app is the sidebar's settings form and language switch, the app's own
page titles in the navigation, and the wide layout (tests/fresh_server.py).
"""

from __future__ import annotations

import os
import shutil

import pytest
from fixture_data import write_fixture_npz
from fresh_server import visit
from streamlit_server import running_app

from core.i18n import t

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("REQUIRE_BROWSER=1 but no chromium executable was found", pytrace=False)
    pytest.skip("no chromium executable (apt-get install chromium chromium-driver)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

NAV_KEYS = ["nav.home", "nav.fit", "nav.train_on_batch", "nav.custom_loop", "nav.compare"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.mark.parametrize(
    "link,language,title_key",
    [
        ("/fit?epochs=2&lang=zh", "zh", "fit.title"),
        ("/train_on_batch?epochs=3&batch_size=64", "en", "train_on_batch.title"),
        ("/custom_loop?lang=zh&max_len=50", "zh", "custom_loop.title"),
        ("/compare?lang=en", "en", "compare.title"),
        ("/?lang=zh", "zh", "app.title"),
    ],
)
def test_a_link_as_a_fresh_servers_first_request_shows_the_full_app(browser, tmp_path, link, language, title_key):
    env = dict(
        os.environ,
        REUTERS_NPZ_PATH=str(write_fixture_npz(tmp_path / "reuters.npz")),
        TRAINING_RUNS_DIR=str(tmp_path / "runs"),
        KERAS_HOME=str(tmp_path / "keras"),
    )
    expected_nav = [t(key, language) for key in NAV_KEYS]
    with running_app(tmp_path, env) as url:
        for attempt in ("first request", "again"):
            seen = visit(browser, url + link)
            assert seen.heading == t(title_key, language), (attempt, seen)
            assert seen.full_app(expected_nav), (attempt, seen)
