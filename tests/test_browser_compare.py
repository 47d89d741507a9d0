"""Compare in a real browser: a sweep of three values, the table that picks the overlay, legend highlight, export, 简体中文.

One Streamlit server on fixture data and one browser tab for the module: runs
are private to a tab, so the sweep trained first is what the later tests tick,
highlight, download and read in Chinese. The comparison charts are drawn as SVG,
so their legend entries, lines and words are page elements.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from support import (
    BROWSER_HANG_GUARD_MS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    apply_settings,
    go_to,
    nav_title,
    no_exception,
    require_chromium,
    wait_until_idle,
)

pytestmark = pytest.mark.browser
require_chromium()

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

SWEPT = ("0.0005", "0.001", "0.003")  # the learning rates the sweep offers first


@pytest.fixture(scope="module")
def page(server) -> Page:
    """A tab on Compare that has trained the default sweep (custom loop, three learning rates, two epochs each)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(BROWSER_HANG_GUARD_MS)
        tab.goto(server)
        wait_until_idle(tab)
        apply_settings(tab, epochs=2)
        go_to(tab, nav_title("compare"))
        tab.get_by_role("button", name="Train the sweep").click()
        # The saved-runs caption counts the tab's runs once the sweep has ended and the page reran.
        expect(tab.get_by_text("Your runs (3)")).to_be_visible(timeout=240_000)
        wait_until_idle(tab)
        yield tab
        browser.close()


def chart_with(tab: Page, word: str):
    """The first drawn chart whose SVG holds `word` (a title, a legend label)."""
    return tab.locator('[data-testid="stVegaLiteChart"]').filter(has=tab.locator("svg text", has_text=word)).first


def tick_rows(tab: Page, rows: list[int]) -> None:
    """Tick rows of the saved-runs table: the grid is a canvas, its row markers sit in the first column."""
    grid = tab.locator('[data-testid="stDataFrame"]').last
    for row in rows:
        # Measured again before each click: a tick reruns the page, and what it adds above the grid moves it.
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        tab.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)
        wait_until_idle(tab)


def test_a_sweep_of_three_values_ends_with_three_runs_and_accuracy_against_the_value(page):
    no_exception(page)
    for value in SWEPT:
        expect(chart_with(page, f"custom loop · lr {value}")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').filter(has_text="Final validation accuracy").first).to_be_attached()
    expect(page.get_by_text("Your runs (3)")).to_be_visible()


def loss_panels(tab: Page):
    """The comparison's loss panels: titled Loss, with the split legend (the per-batch chart has neither)."""
    return (
        tab.locator('[data-testid="stVegaLiteChart"]')
        .filter(has=tab.locator("svg text", has_text=re.compile("^Loss$")))
        .filter(has=tab.locator("svg text", has_text=re.compile("^Split$")))
    )


def click_legend_and_read_fading(tab: Page, chart) -> list[bool]:
    """Click the lr 0.003 run in the chart's legend; which of its line paths faded."""
    label = chart.locator("svg text", has_text="custom loop · lr 0.003")
    expect(label).to_be_visible()
    lines = chart.locator("g.mark-line path")
    assert lines.count() == 6  # three runs, train and validation
    assert all(float(lines.nth(i).get_attribute("opacity") or 1) == 1 for i in range(lines.count()))
    label.click()
    tab.wait_for_function(
        "chart => [...chart.querySelectorAll('g.mark-line path')].some(p => parseFloat(p.getAttribute('opacity') ?? '1') < 0.5)",
        arg=chart.element_handle(),
        timeout=BROWSER_HANG_GUARD_MS,
    )
    return [float(lines.nth(i).get_attribute("opacity") or 1) < 0.5 for i in range(lines.count())]


def test_a_legend_click_highlights_one_run(page):
    faded = click_legend_and_read_fading(page, loss_panels(page).first)  # the sweep's loss panel
    assert faded.count(True) == 4 and faded.count(False) == 2, faded  # the clicked run's two lines stay
    no_exception(page)


def test_ticked_rows_are_overlaid_and_a_legend_click_there_highlights_one_run(page):
    page.get_by_text("The book's printed curves (TF 2.1)").click()  # the book off: only the ticked runs
    wait_until_idle(page)
    tick_rows(page, [0, 1, 2])
    panels = loss_panels(page)
    expect(panels).to_have_count(2)  # the sweep's and the table's overlay
    faded = click_legend_and_read_fading(page, panels.last)
    assert faded.count(True) == 4 and faded.count(False) == 2, faded


def test_the_selected_runs_download_as_a_zip_of_csv_json_and_tensorboard_logs(page):
    page.get_by_text("Download the selected runs and charts").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Runs (zip of CSV, JSON and TensorBoard logs)").click()
    payload = open(download.value.path(), "rb").read()
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        names = sorted(name for name in archive.namelist() if "/" not in name)
        assert len(names) == 6 and {name.rsplit(".", 1)[1] for name in names} == {"csv", "json"}
        rates = sorted(json.loads(archive.read(n))["settings"]["learning_rate"] for n in names if n.endswith(".json"))
        logs = {name.split("/")[1] for name in archive.namelist() if name.startswith("tensorboard/") and name.count("/") == 2}
    assert rates == [0.0005, 0.001, 0.003]
    assert logs == {name.removesuffix(".json") for name in names if name.endswith(".json")}, "a log folder per run"
    with page.expect_download() as image:
        page.get_by_role("button", name="Loss (SVG)").click()
    assert open(image.value.path(), "rb").read().lstrip().startswith(b"<svg")


def test_chart_words_follow_the_language(page):
    page.locator('[data-testid="stSidebar"]').get_by_text("简体中文").click()
    wait_until_idle(page)
    chart = chart_with(page, "损失")
    expect(chart).to_be_visible()
    words = chart.locator("svg text").evaluate_all("texts => texts.map(t => t.textContent)")
    assert "轮次 (epoch)" in words and "运行" in words, words
    assert any(word.startswith("自定义循环 · 学习率") for word in words), words
    assert not {"Loss", "Epoch", "Run"} & set(words), words
    no_exception(page)
