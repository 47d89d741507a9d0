"""What a visitor sees when a link is a fresh server's first request: how soon the title, and whether the whole app.

Shared by tests/test_fresh_server_links.py (each link works, first and
again) and bench/first_paint.py (title time before and after). A visit opens
the link in a new browser context (a new Streamlit session), times the
request until the page's h1 is visible, waits for the script to finish and
then reads the app's shape: the sidebar's settings panel with its Apply button, the language switch,
the page titles in the navigation, and the layout's width.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

# Streamlit's centered layout caps the main column at 736 px (plus padding); the app asks for wide.
WIDE_MIN_PX = 900
VIEWPORT = {"width": 1400, "height": 1000}
APPLY = re.compile("Apply settings|应用设置")


@dataclass
class Visit:
    title_seconds: float  # request -> the page's h1 visible
    settled_seconds: float  # request -> the script finished (no running indicator)
    has_settings_form: bool
    has_language_switch: bool
    nav_titles: list[str]
    main_width: float
    heading: str

    def full_app(self, expected_nav: list[str]) -> bool:
        return (
            self.has_settings_form
            and self.has_language_switch
            and self.nav_titles == expected_nav
            and self.main_width >= WIDE_MIN_PX
        )


def visit(browser, url: str, timeout_ms: int = 90_000, color_scheme: str = "light") -> Visit:
    context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector("h1", state="visible")
        title_seconds = time.perf_counter() - started
        # Streamlit shows its running indicator only after a short delay: settled is no indicator twice, 1 s apart.
        for _ in range(2):
            page.wait_for_timeout(1000)
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
        settled_seconds = time.perf_counter() - started
        sidebar = page.locator('[data-testid="stSidebar"]')
        return Visit(
            title_seconds=title_seconds,
            settled_seconds=settled_seconds,
            has_settings_form=sidebar.get_by_role("button", name=APPLY).count() == 1,
            has_language_switch=sidebar.locator('[data-testid="stRadio"]').count() > 0,
            # A link's text is its Material icon's name, then its title.
            nav_titles=[t.split("\n")[-1].strip() for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()],
            main_width=page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"],
            heading=page.locator("h1").first.inner_text().strip(),
        )
    finally:
        context.close()
