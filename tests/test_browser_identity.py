"""A visitor's private runs in a real browser: kept across a reload and a server restart, carried by a private link.

A real `streamlit run app.py` (stopped and started again on the same database),
Debian's Chromium through Playwright. The private key lives in a cookie that the
page's own script sets; every address the app shows (settings applied, a class
opened) is checked not to carry it, and the class link it offers neither.
"""

from __future__ import annotations

import os
import re

import pytest
from fixture_data import write_fixture_npz, write_fixture_word_index
from streamlit_server import start_app, stop_app
from support import BROWSER_HANG_GUARD_MS, BROWSER_NEWSWIRES, no_exception, require_chromium, wait_for, wait_until_idle

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

from ui.classroom import KEY_COOKIE  # noqa: E402

YOUR_ONE_RUN = re.compile(r"Your runs \(1\)")


@pytest.fixture
def restartable_server(tmp_path):
    """`start()` starts the app on the same database and folders (a restart after `stop()`); returns its URL."""
    env = dict(os.environ)
    env.update(
        REUTERS_NPZ_PATH=str(write_fixture_npz(tmp_path / "reuters.npz", newswires=BROWSER_NEWSWIRES)),
        REUTERS_WORD_INDEX_PATH=str(write_fixture_word_index(tmp_path / "reuters_word_index.json")),
        TRAINING_RUNS_DIR=str(tmp_path / "runs"),
        KERAS_HOME=str(tmp_path / "keras"),
    )
    running = []

    class Server:
        def start(self) -> str:
            process, url = start_app(tmp_path, env)
            running.append(process)
            return url

        def stop(self) -> None:
            stop_app(running.pop())

    yield Server()
    while running:
        stop_app(running.pop())


def cookie_key(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == KEY_COOKIE), None)


def open_at(page: Page, url: str) -> None:
    page.goto(url, timeout=180_000)
    wait_until_idle(page, timeout=180_000)  # a hang guard: other work shares this machine


def started(browser, url: str) -> str:
    """The home page once, in a throwaway context: a fresh server's first deep link is issue 14's, tested on its own."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(BROWSER_HANG_GUARD_MS)
        open_at(page, url + "/")
    finally:
        context.close()
    return url


@pytest.mark.timeout(1200)  # two server starts and a run on a shared machine: only a hang guard
def test_private_runs_survive_a_reload_and_a_restart_and_the_key_never_shows_in_the_address(browser, restartable_server):
    url = started(browser, restartable_server.start())
    laptop = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = laptop.new_page()
    page.set_default_timeout(BROWSER_HANG_GUARD_MS)
    open_at(page, url + "/fit?epochs=1&max_len=40&seed=5")
    wait_for(lambda: cookie_key(page) is not None, "the page's script to keep the private key in a cookie")
    key = cookie_key(page)
    assert len(key) >= 22  # at least 128 bits of URL-safe base 64
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Finished: 1 epochs"))).to_be_visible(
        timeout=240_000
    )  # a hang guard: the machine may be busy
    assert key not in page.url

    page.locator('[data-testid="stSidebarNav"] a', has_text="Compare").click()
    expect(page.get_by_text(YOUR_ONE_RUN)).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    page.reload(timeout=180_000)  # a new Streamlit session: the same key from the cookie, the same private space
    wait_until_idle(page, timeout=180_000)
    expect(page.get_by_text(YOUR_ONE_RUN)).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)

    restartable_server.stop()
    url = started(browser, restartable_server.start())  # the same database, a new process (and port: cookies do not depend on it)
    open_at(page, url + "/compare")
    expect(page.get_by_text(YOUR_ONE_RUN)).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    assert cookie_key(page) == key and key not in page.url
    no_exception(page)

    # Carried deliberately: the private link, shown on request with its warning, opened on another device.
    sidebar = page.locator('[data-testid="stSidebar"]')
    wait_until_idle(page, timeout=180_000)  # a click while the page still runs its first script can be lost
    sidebar.get_by_text("Your private runs on another device").click()
    sidebar.get_by_text("Show my private link").click()
    expect(sidebar.get_by_text(re.compile("Do not share it"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    private_link = sidebar.locator('[data-testid="stCode"]').filter(has_text="key=").inner_text().strip()
    assert private_link.endswith(f"?key={key}") and key not in page.url

    phone = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = phone.new_page()
    other.set_default_timeout(BROWSER_HANG_GUARD_MS)
    open_at(other, private_link)
    expect(other.get_by_text("This browser now uses the private key from your link")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    other.wait_for_url(lambda address: "key=" not in address)
    other.locator('[data-testid="stSidebarNav"] a', has_text="Compare").click()
    expect(other.get_by_text(YOUR_ONE_RUN)).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    wait_for(lambda: cookie_key(other) == key, "the other device to keep the key from the link")
    assert key not in other.url

    # The links the app invites people to share carry no key: the class link, and the address with settings in it.
    wait_until_idle(page, timeout=180_000)
    sidebar.get_by_text("Join or open a class").click()
    sidebar.get_by_role("button", name="Open a class").click()
    expect(sidebar.get_by_text("Teacher: manage this class")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    page.wait_for_url(re.compile(r"class="))
    class_links = [text for text in sidebar.locator('[data-testid="stCode"]').all_inner_texts() if "?class=" in text]
    assert class_links and not [text for text in class_links if key in text or "key=" in text] and key not in page.url
    no_exception(page)
    no_exception(other)
    laptop.close()
    phone.close()
