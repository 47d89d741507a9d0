"""A shared link works as a fresh server's very first request, and again: the full app, not legacy pages mode.

Streamlit's page mode is process-wide (a folder named `pages/` beside app.py
would put a fresh server in its legacy mode; the app has none, see
ui/navigation.py), so each case starts its own server and opens its link
first, then once more as a new visitor. The
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

from core import methods
from core.i18n import t

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("REQUIRE_BROWSER=1 but no chromium executable was found", pytrace=False)
    pytest.skip("no chromium executable (apt-get install chromium chromium-driver)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

# Every page's link with a setting or two, the first in Chinese: one per method of the registry, Compare, home.
LINK_SETTINGS = ["epochs=2&lang=zh", "epochs=3&batch_size=64", "lang=zh&max_len=50", "epochs=2&max_len=60&lang=en"]
LINKS = [(f"/{name}?{LINK_SETTINGS[i % len(LINK_SETTINGS)]}", name) for i, name in enumerate([*methods.names(), "compare"])] + [
    ("/?lang=zh", None)
]


def expected_nav(language: str) -> list[str]:
    """The navigation's entries as ui/navigation.py numbers them."""
    entries = [methods.numbered(methods.number(m), t(f"nav.{m}", language)) for m in methods.names()]
    compare = methods.numbered(methods.compare_number(), t("nav.compare", language))
    return [t("nav.home", language), *entries, compare]


def expected_heading(page: str | None, language: str) -> str:
    if page is None:
        return t("app.title", language)
    place = methods.compare_number() if page == "compare" else methods.number(page)
    return methods.numbered(place, t(f"{page}.title", language))


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.mark.parametrize("link,page", LINKS)
def test_a_link_as_a_fresh_servers_first_request_shows_the_full_app(browser, tmp_path, link, page):
    language = "zh" if "lang=zh" in link else "en"
    env = dict(
        os.environ,
        REUTERS_NPZ_PATH=str(write_fixture_npz(tmp_path / "reuters.npz")),
        TRAINING_RUNS_DIR=str(tmp_path / "runs"),
        KERAS_HOME=str(tmp_path / "keras"),
    )
    nav = expected_nav(language)
    with running_app(tmp_path, env) as url:
        for attempt in ("first request", "again"):
            seen = visit(browser, url + link)
            assert seen.heading == expected_heading(page, language), (attempt, seen)
            assert seen.full_app(nav), (attempt, seen)
