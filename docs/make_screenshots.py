"""Regenerate the pictures in docs/ (and so the README's) from the real Reuters data, in a real browser.

A script, not a test: it starts the app with tests/streamlit_server.running_app on
the real data (REUTERS_NPZ_PATH / REUTERS_WORD_INDEX_PATH, defaulting to the shared
copies), a temporary run database and two job slots, then drives Debian's Chromium
with Playwright through one tab, as a visitor would: the home page, model.fit idle
(docs/fit.png) and while training, every other method of the registry after a
finished run (docs/<method>.png), the prediction panel, Compare with every method's
run ticked, "Train all" and a learning-rate sweep. README.md shows every picture
(tests/test_readme.py checks). Every picture is
taken only after the page has settled (no running indicator) and every visible
chart is drawn, so none shows a spinner or a half-drawn chart. Epochs are kept to
2-3 so the whole script runs in a few minutes on two cores.

    python docs/make_screenshots.py            # writes docs/*.png
    python docs/make_screenshots.py --out /tmp/shots

The sidebar's language switch is written in Chinese too: without a CJK font
Chromium draws it as empty boxes, so the script refuses to start without one
(`apt-get install fonts-noto-cjk`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # support (tests/) imports the project

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from streamlit_server import running_app  # noqa: E402
from support import CHROMIUM, CHROMIUM_FLAGS, nav_title  # noqa: E402 - the browser as the tests launch it

from core import methods  # noqa: E402
from core.i18n import t  # noqa: E402

COUNT = len(methods.names())  # every method's page gets a finished run, and Compare ticks them all

# The real files: the project's variables, else the copies beside the checkout (as CI lays them out).
REAL_NPZ = os.environ.get("REUTERS_NPZ_PATH") or str(ROOT.parent / "shared" / "data" / "reuters.npz")
REAL_WORD_INDEX = os.environ.get("REUTERS_WORD_INDEX_PATH") or str(ROOT.parent / "shared" / "data" / "reuters_word_index.json")
TRAINING_TIMEOUT_MS = 600_000  # a real-data epoch takes tens of seconds on a busy two-core machine
# Every other wait is a hang guard too: a page that prepares data or predicts the test set on a busy machine
# (Compare lists its runs after "Running the model over the 2,246 test newswires") is slow, not broken.
WAIT_MS = 300_000


# An element a rerun has not drawn again yet: Streamlit shows it faded until the rerun reaches it, or removes it.
STALE = '[data-testid="stElementContainer"][data-stale="true"]'


def settled(page: Page) -> None:
    """Wait until Streamlit's script has finished and every chart on screen (not in a hidden tab) is drawn."""
    page.wait_for_selector('[data-testid="stSidebar"]')
    page.wait_for_selector("h1")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT_MS)
    # A fragment's spinner ("Preparing the Reuters newswires") outlives the script's running indicator.
    page.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stSpinner"], [data-testid="stSkeleton"]\')', timeout=WAIT_MS
    )
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .filter(chart => chart.clientWidth > 0)
                 .every(chart => chart.querySelector('svg.marks, canvas'))""",
        timeout=WAIT_MS,
    )
    page.wait_for_function(f"() => !document.querySelector('{STALE}')", timeout=WAIT_MS)
    page.wait_for_timeout(800)  # Vega's last transitions and the fonts


def go_to(page: Page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    settled(page)


def apply_settings(page: Page, epochs: int) -> None:
    page.get_by_role("spinbutton", name="Epochs").fill(str(epochs))
    page.get_by_role("button", name="Apply settings").click()
    expect(page.get_by_text("Settings applied.")).to_be_visible()
    settled(page)


def no_exception(page: Page, picture: str) -> None:
    errors = page.locator('[data-testid="stException"]')
    if errors.count():
        raise RuntimeError(f"{picture}: the page shows an exception: {errors.first.inner_text()[:500]}")


def top_at(page: Page, locator) -> None:
    """Scroll so `locator` sits at the top of the window (Streamlit scrolls its own main section, not the page)."""
    locator.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)


def shoot(page: Page, out: Path, name: str) -> None:
    no_exception(page, name)
    page.mouse.move(5, 5)  # off the charts: a hovered chart shows its toolbar over the picture
    page.wait_for_timeout(300)
    # A live page reruns every second or two, fading what it will draw again: take the picture between two.
    for _attempt in range(50):
        page.wait_for_function(f"() => !document.querySelector('{STALE}')", timeout=WAIT_MS)
        page.screenshot(path=str(out / f"{name}.png"))
        if not page.locator(STALE).count():
            break
    else:
        raise RuntimeError(f"{name}: every picture caught a rerun half-drawn")
    print(f"wrote {out / f'{name}.png'}", flush=True)


def train_and_finish(page: Page, epochs: int, button: str = "Train") -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(re.compile(rf"^Finished: {epochs} epochs")).last).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    settled(page)


def method_after_run(page: Page, out: Path, title: str, name: str, epochs: int) -> None:
    """A method page after a finished run: its settings, Train, status, epoch charts and per-batch section."""
    go_to(page, title)
    train_and_finish(page, epochs)
    top_at(page, page.get_by_text(re.compile(rf"^{epochs} epochs · batch 32")))
    shoot(page, out, name)


def make(page: Page, out: Path) -> None:
    settled(page)
    expect(page.get_by_text(t("home.link.compare", "en"))).to_be_visible()  # the home page's last element is drawn
    settled(page)
    shoot(page, out, "home")

    # model.fit idle, then the same page while a 3-epoch run trains. Each method's page is docs/<method>.png.
    apply_settings(page, epochs=3)
    go_to(page, nav_title("fit"))
    shoot(page, out, "fit")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    # Two points on each curve (one point draws no line) and the last epoch under way.
    expect(page.get_by_text(re.compile(r"^2 of 3 epochs finished"))).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(page.get_by_test_id("stProgress")).to_contain_text(re.compile(r"epoch 3/3 · batch [1-9]"), timeout=WAIT_MS)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .filter(chart => chart.clientWidth > 0)
                 .every(chart => chart.querySelector('canvas') || chart.querySelector('svg.marks g.mark-line path'))"""
    )
    page.wait_for_timeout(300)
    shoot(page, out, "fit_training")
    expect(page.get_by_text(re.compile(r"^Finished: 3 epochs"))).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    settled(page)

    # The other methods, each after a finished 2-epoch run; the custom loop's prediction panel.
    apply_settings(page, epochs=2)
    for name in methods.names()[1:]:
        if name != "custom_loop":
            method_after_run(page, out, nav_title(name), name, 2)
    method_after_run(page, out, nav_title("custom_loop"), "custom_loop", 2)
    heading = page.get_by_role("heading", name="What the model learned")
    expect(heading).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Random newswire").click()
    settled(page)
    expect(page.get_by_text("The newswire as words")).to_be_visible()
    top_at(page, heading)
    shoot(page, out, "prediction_panel")

    # Compare: every method's finished run ticked in the runs table, overlaid with the book's curves.
    go_to(page, nav_title("compare"))
    expect(page.get_by_text(f"Your runs ({COUNT})")).to_be_visible()
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    for row in range(COUNT):
        box = grid.bounding_box()  # the grid is a canvas; its row markers sit in the first column
        page.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)
        settled(page)
    # A tick's rerun may not have begun when settled() looks: wait for the overlay whose legend names every method.
    overlay = page.locator('[data-testid="stVegaLiteChart"]')
    for name in methods.names():
        overlay = overlay.filter(has_text=t(f"cmp.method.{name}", "en"))
    expect(overlay.first).to_be_visible()
    settled(page)
    top_at(page, page.get_by_role("heading", name="Overlay saved runs and the book"))
    shoot(page, out, "compare")

    # "Train all" with 2 epochs: the comparison's curves and summary table.
    top_at(page, page.locator("h1"))
    train_and_finish(page, 2 * COUNT, button=t("run.train_all", "en"))
    # The finished view's last parts, under the curves: how far apart the methods are, and the summary table
    # with a row per method (its first column is the run's label, which starts with the method's word).
    expect(page.get_by_text(re.compile(r"they agree to \d+ decimals")).first).to_be_visible()
    expect(page.get_by_test_id("stTable").locator("tbody tr")).to_have_count(COUNT)
    settled(page)
    top_at(page, page.get_by_test_id("stAlertContainer").filter(has_text=f"Finished: {2 * COUNT} epochs").first)
    shoot(page, out, "compare_finished")

    # A learning-rate sweep of the custom loop, 2 epochs each, over 0.0005, 0.003 and 0.01: a wide range shows
    # the effect, and none of them is a run already made above (0.001 would be reused from the cache).
    sweep = page.get_by_role("heading", name="Sweep one setting")
    top_at(page, sweep)
    values = page.get_by_test_id("stMultiSelect").filter(has_text="Values (2 to 5")
    field = values.locator("input")
    field.fill("0.01")
    field.press("Enter")
    field.press("Escape")
    settled(page)
    # Removed last: removed first, the dropdown's Enter picked 0.001 again along with the typed value.
    values.get_by_label("Remove 0.001", exact=True).click()
    settled(page)
    chips = values.locator("[data-tag]").all_inner_texts()
    if [chip.strip() for chip in chips] != ["0.0005", "0.003", "0.01"]:
        raise RuntimeError(f"sweep: the values chosen are {chips}, not 0.0005, 0.003, 0.01")
    page.get_by_role("button", name="Train the sweep").click()
    expect(page.get_by_role("button", name="Final validation accuracy (PNG)")).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    settled(page)
    # A taller window for this one: the sweep's widgets, its curves and accuracy against the value together.
    page.set_viewport_size({"width": 1400, "height": 1700})
    settled(page)
    top_at(page, sweep)
    shoot(page, out, "sweep")


def cjk_font_installed() -> bool:
    """True when fontconfig (which Chromium draws with) has a font for Chinese."""
    if shutil.which("fc-list") is None:
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the pictures (default docs/)")
    args = parser.parse_args()
    if not cjk_font_installed():
        sys.exit("No Chinese font: the language switch would show empty boxes. apt-get install fonts-noto-cjk")
    expect.set_options(timeout=WAIT_MS)
    args.out.mkdir(parents=True, exist_ok=True)
    # A `timeout` or Ctrl-C still stops the server: SIGTERM unwinds through running_app's cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="screenshots-") as temp:
        folder = Path(temp)
        env = dict(os.environ)
        env.setdefault("REUTERS_NPZ_PATH", REAL_NPZ)
        env.setdefault("REUTERS_WORD_INDEX_PATH", REAL_WORD_INDEX)
        env.update(TRAINING_RUNS_DIR=str(folder / "runs"), KERAS_HOME=str(folder / "keras"), TRAINING_JOB_SLOTS="2")
        env.pop("TRAINING_DB_PATH", None)
        env.pop("DATABASE_URL", None)  # a fresh run database: the runs table holds only this script's runs
        with running_app(folder, env) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
                page = context.new_page()
                page.set_default_timeout(WAIT_MS)
                page.goto(url)
                try:
                    make(page, args.out)
                except Exception:
                    # What the window showed when a wait gave up, to see why.
                    page.screenshot(path=str(folder.parent / "make_screenshots_failed.png"))
                    print(f"the window at the failure: {folder.parent / 'make_screenshots_failed.png'}", file=sys.stderr)
                    print(
                        "charts (width, lines drawn, canvas):",
                        page.locator('[data-testid="stVegaLiteChart"]').evaluate_all(
                            "charts => charts.map(c => [c.clientWidth, c.querySelectorAll('g.mark-line path').length,"
                            " !!c.querySelector('canvas')])"
                        ),
                        file=sys.stderr,
                    )
                    raise
            finally:
                browser.close()


if __name__ == "__main__":
    main()
