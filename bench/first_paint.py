"""First paint on a fresh server: request -> title visible, and whether a shared link shows the whole app.

For every link below, a fresh `streamlit run app.py` is started (nothing
imported, nothing cached, Streamlit's process-wide page-mode flag unset), and
headless Chromium opens the link twice, each time as a new visitor: the
first request the server ever gets, then the same link again. Per visit the
bench records the seconds from the request until the page's h1 is visible
(target <= 1.5 s) and whether the full app came up: the sidebar settings
form, the language switch, the app's own page titles and the wide layout
(tests/fresh_server.py reads these). `--root` measures another checkout of
the app with the same script, for a before-the-fix row. The baseline, in the
same run: a bare Streamlit app whose script only draws a title, on its own
fresh server, opened the same way (the browser loading Streamlit's page and
opening its connection, which no app can skip); the ratio column divides by it.

    python bench/first_paint.py [--root PATH --label before] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from common import ROOT, markdown_table, median, progress, section, yes_no
from fixture_data import write_fixture_npz, write_fixture_word_index
from fresh_server import visit
from streamlit_server import running_app

from core.i18n import t

TARGET_SECONDS = 1.5
LINKS = ["/", "/fit?epochs=2&lang=zh", "/train_on_batch?epochs=3&batch_size=64", "/custom_loop?lang=zh", "/compare?lang=en"]
NAV_KEYS = ["nav.home", "nav.fit", "nav.train_on_batch", "nav.custom_loop", "nav.compare"]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]


def expected_nav(link: str) -> list[str]:
    language = "zh" if "lang=zh" in link else "en"
    return [t(key, language) for key in NAV_KEYS]


def server_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("REUTERS_NPZ_PATH", str(write_fixture_npz(folder / "reuters.npz", newswires=1500)))
    env.setdefault("REUTERS_WORD_INDEX_PATH", str(write_fixture_word_index(folder / "reuters_word_index.json")))
    env.update(TRAINING_RUNS_DIR=str(folder / "runs"), KERAS_HOME=str(folder / "keras"))
    return env


BARE_APP = 'import streamlit as st\n\nst.title("Bare Streamlit")\n'


def measure(root: Path, rounds: int) -> list[list]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    rows = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="first-paint-") as temp:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        bare_root = Path(temp) / "bare"
        bare_root.mkdir()
        (bare_root / "app.py").write_text(BARE_APP, encoding="utf-8")
        bare = []
        for link in LINKS:
            firsts, agains, shapes = [], [], []
            for round_number in range(rounds):
                folder = Path(temp) / f"{len(rows)}-{round_number}"
                folder.mkdir()
                with running_app(folder, server_env(folder), root=bare_root) as url:  # interleaved with the app's
                    bare.append(visit(browser, url + "/").title_seconds)
                with running_app(folder, server_env(folder), root=root) as url:
                    first = visit(browser, url + link)
                    again = visit(browser, url + link)
                firsts.append(first.title_seconds)
                agains.append(again.title_seconds)
                shapes += [first.full_app(expected_nav(link)), again.full_app(expected_nav(link))]
                progress(f"{link}: title {first.title_seconds:.2f} s then {again.title_seconds:.2f} s (bare {bare[-1]:.2f} s)")
                for seen in (first, again):
                    if not seen.full_app(expected_nav(link)):
                        progress(f"  not the full app: {seen}")
            rows.append(
                [
                    link,
                    median(firsts),
                    yes_no(median(firsts) <= TARGET_SECONDS),
                    median(firsts) / median(bare[-rounds:]),
                    median(agains),
                    yes_no(all(shapes)),
                ]
            )
        rows.append(
            ["bare Streamlit, st.title only (baseline)", median(bare), yes_no(median(bare) <= TARGET_SECONDS), 1.0, "", ""]
        )
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app.py to serve (default: this one)")
    parser.add_argument("--label", default="this checkout", help="how the table names that checkout")
    parser.add_argument("--rounds", type=int, default=1, help="fresh servers per link (the median is shown)")
    args = parser.parse_args(argv)
    rows = measure(args.root.resolve(), args.rounds)
    table = markdown_table(
        [
            "link (first request to a fresh server)",
            "title visible (s)",
            f"≤ {TARGET_SECONDS} s",
            "÷ bare Streamlit",
            "same link again (s)",
            "full app both times (form, language, page titles, wide)",
        ],
        rows,
    )
    text = section(
        f"First paint on a fresh server: {args.label}",
        "Reuters (REUTERS_NPZ_PATH)" if os.environ.get("REUTERS_NPZ_PATH") else "fixture (1,500 newswires)",
        f"headless Chromium, {args.rounds} fresh server(s) per link, 1400×1000 window",
        table,
        "Seconds from the browser's request until the page's h1 is visible; the page keeps loading after it.",
    )
    print(text)
    return text


if __name__ == "__main__":
    main()
