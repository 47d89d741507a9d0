"""A class in real browsers: identical Train presses share one run live; a class's runs stay inside its space.

One real `streamlit run app.py` server, several Chromium contexts (each its own
visitor with its own session), driven by Playwright. Settings come in through the
page address, as a teacher's link would give them.
"""

from __future__ import annotations

import base64
import re

import pytest
from support import (
    BROWSER_HANG_GUARD_MS,
    no_exception,
    require_chromium,
    stop_joiner_then_starter,
    wait_for,
    wait_until_charts_drawn,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402


@pytest.fixture
def visitor(browser, server):
    contexts = []

    def open_page(path: str) -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(BROWSER_HANG_GUARD_MS)
        page.goto(server + path)
        page.wait_for_selector('[data-testid="stSidebar"]')
        page.wait_for_selector("h1")
        return page

    open_page("/")  # the home page first: a fresh server's first deep link is issue 14's, tested on its own
    yield open_page
    for context in contexts:
        context.close()


def test_a_second_visitor_with_identical_settings_sees_the_first_visitors_run_at_once(visitor):
    ann = visitor("/fit?epochs=40&max_len=40&seed=7")
    ann.get_by_role("button", name="Train", exact=True).click()
    expect(ann.get_by_text(re.compile(r"[1-9]\d* of 40 epochs finished"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)

    bob = visitor("/fit?epochs=40&max_len=40&seed=7")
    bob.get_by_role("button", name="Train", exact=True).click()
    # Bob's page shows the run already in progress: the notice, the epochs so far and the moving bar, within seconds.
    expect(bob.get_by_text("you joined a run with identical settings")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    expect(bob.get_by_text(re.compile(r"[1-9]\d* of 40 epochs finished"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    expect(bob.locator('[data-testid="stProgress"]')).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    no_exception(bob)

    stop_joiner_then_starter(ann, bob)


def open_a_class(page: Page) -> str:
    """Open a class from the sidebar, as a teacher does; returns its code (from the address the app now shows)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    wait_until_idle(page, timeout=180_000)  # a click while the page still runs its first script can be lost
    sidebar.get_by_text("Join or open a class").click()
    button = sidebar.get_by_role("button", name="Open a class")
    expect(button).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    button.click()
    expect(sidebar.get_by_text("Teacher: manage this class")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    page.wait_for_url(re.compile(r"class=[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}"))
    return re.search(r"class=([0-9a-z-]{14})", page.url).group(1)


@pytest.mark.timeout(900)  # three visitors and a run on a shared machine: only a hang guard
def test_a_visitor_outside_a_class_space_sees_none_of_its_runs(visitor):
    student = visitor("/fit?epochs=1&max_len=40&seed=11")
    code = open_a_class(student)
    name = student.get_by_label("Your name in the class")
    name.fill("Ada")
    name.press("Enter")
    student.get_by_role("button", name="Train", exact=True).click()
    expect(student.get_by_text(re.compile(r"^Finished: 1 epochs"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)

    classmate = visitor(f"/compare?class={code}")
    expect(classmate.get_by_text(re.compile(r"The class's runs \(1\)"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    no_exception(classmate)

    outsider = visitor("/compare")
    expect(outsider.get_by_text(re.compile(r"Your runs \(0\)"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    open_a_class(outsider)  # another class: nothing either
    expect(outsider.get_by_text(re.compile(r"The class's runs \(0\)"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    no_exception(outsider)


def chart_pictures(page: Page) -> list[str]:
    """Every chart in view as Vega drew it: its canvas's pixels (a PNG data URL), or its SVG marks.

    Read from the chart's own drawing surface, not from a screenshot of the page: a joiner's page has a
    line more above its charts, and a screenshot cut at another offset differs in its anti-aliasing.
    """
    wait_until_charts_drawn(page, at_least=5)
    script = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .filter(chart => chart.clientWidth > 0)
            .map(chart => {
                const canvas = chart.querySelector('canvas');
                if (canvas) return canvas.toDataURL('image/png');
                // Vega keeps a chart updated live in another order than one drawn at once: compare its marks
                // (every leaf element, with its position, shape, colour and text) whatever their order.
                const leaves = [...chart.querySelectorAll('svg.marks *')].filter(e => e.children.length === 0);
                return '<svg>' + leaves.map(e => e.outerHTML).sort().join('\\n') + '</svg>';
            })"""
    # Vega draws a chart's marks after its surface exists: read until every chart has marks and a second read
    # finds the same, so a chart caught mid-drawing is not compared.
    readings = [page.evaluate(script)]

    def settled() -> bool:
        page.wait_for_timeout(250)  # between two reads of a chart Vega may still be drawing; not a timing check
        readings[:] = [readings[-1], page.evaluate(script)]
        before, latest = readings
        return latest == before and all(picture not in ("<svg></svg>", "data:,") for picture in latest)

    wait_for(settled, "every chart drawn and still", timeout=BROWSER_HANG_GUARD_MS / 1000)
    return readings[-1]


def keep_pictures(pictures: list[list[str]], folder) -> None:
    """Each visitor's charts as files, to look at when they differ."""
    folder.mkdir(parents=True, exist_ok=True)
    for who, charts in zip(("ann", "bob"), pictures, strict=True):
        for index, picture in enumerate(charts):
            if picture.startswith("data:image/png;base64,"):
                (folder / f"{who}-{index}.png").write_bytes(base64.b64decode(picture.split(",", 1)[1]))
            else:
                (folder / f"{who}-{index}.svg").write_text(picture, encoding="utf-8")


@pytest.mark.timeout(900)  # two visitors and a run on a shared machine: only a hang guard
def test_a_starter_and_a_joiner_see_the_same_charts_in_both_languages(visitor, tmp_path):
    """The live view's shared rendering (issue 20): whoever drew a chart first, every viewer's browser draws the same."""
    ann = visitor("/fit?epochs=40&max_len=40&seed=13")
    ann.get_by_role("button", name="Train", exact=True).click()
    expect(ann.get_by_text(re.compile(r"[1-9]\d* of 40 epochs finished"))).to_be_visible()
    bob = visitor("/fit?epochs=40&max_len=40&seed=13")
    bob.get_by_role("button", name="Train", exact=True).click()
    expect(bob.get_by_text("you joined a run with identical settings")).to_be_visible()
    for page in (ann, bob):
        expect(page.get_by_text(re.compile(r"^Finished: 40 epochs"))).to_be_visible()
        wait_until_idle(page)
    english = [chart_pictures(page) for page in (ann, bob)]
    assert len(english[0]) >= 5, "three metric panels and two per-batch curves at least"
    keep_pictures(english, tmp_path / "en")
    assert english[0] == english[1], f"the same charts, pixel for pixel (pictures in {tmp_path})"

    for page in (ann, bob):
        page.get_by_text("简体中文").click()
        wait_until_idle(page)
        expect(page.get_by_text(re.compile(r"^已完成：40 个 epoch"))).to_be_visible()
    chinese = [chart_pictures(page) for page in (ann, bob)]
    keep_pictures(chinese, tmp_path / "zh")
    assert chinese[0] == chinese[1], f"the same charts, pixel for pixel (pictures in {tmp_path})"
    assert chinese[0] != english[0], "the charts' words follow the language"
    for page in (ann, bob):
        no_exception(page)
