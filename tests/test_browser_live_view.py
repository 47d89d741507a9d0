"""Two viewers of one run in real browsers draw the same figures (issue 20: the live view is built once per run).

One real `streamlit run app.py` server and two Chromium contexts (two visitors), driven by
Playwright. The second visitor presses Train with identical settings while the first one's
run trains, so both watch one computation; each chart is read back as the browser drew it.
"""

from __future__ import annotations

import re
import time

import pytest
from support import HANG_GUARD, no_exception, require_chromium, wait_until_idle

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

# What each chart on the page looks like: its canvas as an image, or its SVG.
DRAWN = """charts => charts.map(chart => {
    const canvas = chart.querySelector('canvas');
    if (canvas) return canvas.toDataURL();
    const svg = chart.querySelector('svg.marks');
    return svg ? svg.outerHTML : '';
})"""


@pytest.fixture
def visitor(browser, server):
    contexts = []

    def open_page(path: str) -> Page:
        # Tall enough that every chart is on screen: Streamlit draws a chart only once it is in view.
        context = browser.new_context(viewport={"width": 1400, "height": 4000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(server + path)
        page.wait_for_selector('[data-testid="stSidebar"]')
        page.wait_for_selector("h1")
        return page

    open_page("/")  # the home page first: a fresh server's first deep link is issue 14's, tested on its own
    yield open_page
    for context in contexts:
        context.close()


def settled_charts(page: Page) -> list[str]:
    """The page's charts as drawn, once two readings in a row agree (Vega draws after the element arrives)."""
    deadline = time.monotonic() + HANG_GUARD
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    before = None
    while time.monotonic() < deadline:
        wait_until_idle(page)
        now = charts.evaluate_all(DRAWN)
        if now and all(now) and now == before:
            return now
        before = now
        page.wait_for_timeout(500)  # a poll interval; the deadline only stops a hang
    raise AssertionError("the charts never settled")


def test_two_viewers_of_one_run_see_identical_figures(visitor):
    ann = visitor("/fit?epochs=40&max_len=40&seed=23")
    bob = visitor("/fit?epochs=40&max_len=40&seed=23")  # open before Ann trains: Bob's press finds the run still live
    ann.get_by_role("button", name="Train", exact=True).click()
    expect(ann.get_by_text(re.compile(r"[1-9]\d* of 40 epochs finished"))).to_be_visible(timeout=60_000)
    bob.get_by_role("button", name="Train", exact=True).click()
    expect(bob.get_by_text("you joined a run with identical settings")).to_be_visible(timeout=30_000)
    # While it trains, both pages show the live view: the moving bar and the charts so far.
    expect(bob.locator('[data-testid="stProgress"]')).to_be_visible(timeout=30_000)
    expect(bob.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=30_000)

    for page in (ann, bob):
        expect(page.get_by_text(re.compile(r"^Finished: 40 epochs"))).to_be_visible(timeout=600_000)
        no_exception(page)
    ann_charts, bob_charts = settled_charts(ann), settled_charts(bob)
    assert len(ann_charts) == 5, "three metric panels and two per-batch curves"
    assert ann_charts == bob_charts, "the same figures, pixel for pixel"
    tables = [page.locator('[data-testid="stDataFrame"]').first.inner_text() for page in (ann, bob)]
    assert tables[0] == tables[1]
