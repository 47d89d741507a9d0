"""Memory: resident memory of a real `streamlit run app.py` server, driven by headless Chromium.

The server runs on a free local port with the real data (REUTERS_NPZ_PATH),
runs saved to a temporary folder and TRAINING_JOB_SLOTS=3, so three visitors
really train at once (the default cap of 2 would make the third wait). The
bench reads the server's VmRSS from /proc/PID/status every 0.2 s and its
VmHWM (the kernel's peak) at each checkpoint:

    after start            the server answers /_stcore/health, no visitor yet
    after the data         a browser opened the home page: dataset prepared, TensorFlow loaded
    one run                one visitor trains fit (peak while it trains, settings from the link ?epochs=N)
    three runs at once     three visitors (three browser contexts) train fit, train_on_batch, custom_loop
    after they finish      the three runs ended, the sessions still open
    runs in a row          one visitor trains R runs one after the other (cycling the methods, a new seed each): growth per run

Chromium is Debian's (/usr/bin/chromium), driven by Playwright, with the flags
tests/test_browser.py uses. Target: three concurrent runs under 1.5 GB.

    python bench/memory.py [--epochs 2] [--runs 60] [--row-epochs 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from common import load_average, machine_line, markdown_table, progress, summary_item, write_summary
from streamlit_server import start_app, stop_app

TARGET_MB = 1536
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB -> MB
    raise KeyError(field)


class Sampler:
    """Peak VmRSS of a process between start() and stop(), sampled every 0.2 s."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._done.is_set():
            self.peak = max(self.peak, status_mb(self.pid, "VmRSS"))
            self._done.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """The app as a visitor's server: three slots, the word index beside the data when there is one."""
    env = dict(os.environ, TRAINING_RUNS_DIR=str(folder / "runs"), TRAINING_JOB_SLOTS="3")
    words = Path(os.environ.get("REUTERS_NPZ_PATH", "")).with_name("reuters_word_index.json")
    if "REUTERS_WORD_INDEX_PATH" not in env and words.is_file():
        env["REUTERS_WORD_INDEX_PATH"] = str(words)
    return start_app(folder, env, timeout=120)


def settle(page) -> None:
    """Wait for the script run to end (Streamlit's running indicator goes away)."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    settle(page)
    return context, page


def press_train(page) -> float:
    """Click Train; return when, once the page shows Stop enabled (the run is this page's and active)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Train", exact=True).click()
    pressed = time.perf_counter()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_enabled(timeout=120_000)
    return pressed


def first_progress(page, pressed: float) -> tuple[float | None, float | None]:
    """Seconds from the Train click to the progress bar on the page, and to a counted batch on it."""
    bar = counted = None
    try:
        page.get_by_test_id("stProgress").first.wait_for(timeout=60_000)
        bar = time.perf_counter() - pressed
        # The status line reads "... · batch 12/281 ..." once a batch is counted.
        page.get_by_test_id("stProgress").filter(has_text=re.compile(r"batch [1-9]\d*/")).wait_for(timeout=60_000)
        counted = time.perf_counter() - pressed
    except Exception as error:  # noqa: BLE001 - a changed label must not sink the memory figures
        progress(f"memory: first progress not read from the page ({type(error).__name__})")
    return bar, counted


def wait_until_trained(page, timeout_s: float) -> None:
    """Stop is enabled while this page's run trains; the page disables it once the run ended."""
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_disabled(timeout=timeout_s * 1000)


def slope(values: list[float]) -> float:
    """Least-squares slope of values against their index (nan for fewer than two)."""
    n = len(values)
    if n < 2:
        return float("nan")
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / sum((x - mean_x) ** 2 for x in range(n))


def core_runs_in_a_row(runs: int) -> list[float]:
    """RSS of this process after each of `runs` one-epoch runs plus a prediction pass, no server.

    What the app does per run, minus Streamlit: train (the three methods in
    turn), keep the weights, rebuild the model and predict the test set, as the
    "What the model learned" panel does. Small fixture data, so it takes seconds.
    """
    import gc

    from fixture_data import write_fixture_npz

    from core.data import prepare_data
    from core.predictions import TrainedModel, predict_test_set
    from core.settings import RunSettings
    from core.training import train

    data = prepare_data(300, write_fixture_npz(Path(tempfile.mkdtemp()) / "reuters.npz", newswires=1000), download=False)
    values = []
    for number in range(runs):
        settings = RunSettings(method=("fit", "train_on_batch", "custom_loop")[number % 3], epochs=1)
        trained = train(settings, data)
        predict_test_set(TrainedModel.capture(trained.model, trained.record, data), data)
        del trained
        gc.collect()
        values.append(status_mb(os.getpid(), "VmRSS"))
        progress(f"memory core run {number + 1}/{runs}: {values[-1]:.0f} MB")
    return values


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the single and the three concurrent runs (default 2)")
    parser.add_argument(
        "--runs",
        type=int,
        default=60,
        help="runs in a row for the growth check (default 60: single readings bounce by tens of MB)",
    )
    parser.add_argument("--row-epochs", type=int, default=1, help="epochs of each run in a row (default 1)")
    parser.add_argument(
        "--core-runs", type=int, default=30, help="runs in a row in this process, no server, fixture data (default 30; 0 skips)"
    )
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("memory.py needs Debian's chromium (apt-get install chromium)")
    if not os.environ.get("REUTERS_NPZ_PATH"):
        progress("memory: REUTERS_NPZ_PATH is not set: the server looks in the Keras cache or downloads")
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    rows: list[list] = []
    process, url = start_server(folder)
    pid = process.pid
    browser_first_progress = cold_bar = None
    warm_starts: list[tuple[float, float]] = []  # (progress bar shown, counted batch shown) of the runs in a row
    row_rss: list[float] = []

    def checkpoint(name: str, peak: float | None = None, note: str = "") -> None:
        now = status_mb(pid, "VmRSS")
        rows.append([name, now, max(now, peak or 0.0), note])
        progress(f"memory {name}: now {now:.0f} MB, peak {rows[-1][2]:.0f} MB {note}")

    try:
        time.sleep(2)
        checkpoint("after start", note="no visitor yet")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
            home_context, home = open_page(browser, url)
            time.sleep(2)
            checkpoint("after the data", note="home page shown: dataset prepared, TensorFlow loaded")

            # One visitor, one run.
            context, page = open_page(browser, f"{url}/fit?epochs={args.epochs}")
            with Sampler(pid) as sampler:
                cold_bar, browser_first_progress = first_progress(page, press_train(page))
                wait_until_trained(page, 600)
            checkpoint("one run (peak while training)", sampler.peak, f"fit, {args.epochs} epochs")
            context.close()

            # Three visitors at once, with another seed than the single run (else fit's result comes from the store).
            visitors = [
                open_page(browser, f"{url}/{name}?epochs={args.epochs}&seed=1")
                for name in ("fit", "train_on_batch", "custom_loop")
            ]
            with Sampler(pid) as sampler:
                for _, page in visitors:
                    press_train(page)
                for _, page in visitors:
                    wait_until_trained(page, 900)
            checkpoint(
                "three runs at once (peak)",
                sampler.peak,
                f"fit + train_on_batch + custom_loop, {args.epochs} epochs each, 3 slots",
            )
            time.sleep(3)
            checkpoint("after they finish", note="3 s later, the three sessions still open")
            for context, _ in visitors:
                context.close()

            # Runs in a row, one visitor, cycling through the method pages. Each run has its own seed:
            # identical settings would be served from the store after the first three, training nothing.
            context, page = open_page(browser, f"{url}/fit?epochs={args.row_epochs}&seed=100")
            for number in range(args.runs):
                name = ("fit", "train_on_batch", "custom_loop")[number % 3]
                if number:  # the sidebar link and form: same session (a new address would start a new session)
                    page.get_by_role("spinbutton", name="Seed").fill(str(100 + number))
                    page.get_by_role("button", name="Apply settings").click()
                    settle(page)
                    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{name}"]').click()
                    settle(page)
                bar, counted = first_progress(page, press_train(page))
                if bar is not None and counted is not None:
                    warm_starts.append((bar, counted))
                wait_until_trained(page, 600)
                time.sleep(1)
                row_rss.append(status_mb(pid, "VmRSS"))
                progress(f"memory run {number + 1}/{args.runs} ({name}): {row_rss[-1]:.0f} MB")
            context.close()
            home_context.close()
            browser.close()
        time.sleep(3)
        checkpoint("all sessions closed", note="3 s after the browser left")
        hwm = status_mb(pid, "VmHWM")
    finally:
        stop_app(process)

    core_rss = core_runs_in_a_row(args.core_runs) if args.core_runs else []
    growth = (row_rss[-1] - row_rss[0]) / (len(row_rss) - 1) if len(row_rss) > 1 else float("nan")
    # Single readings bounce by tens of MB (allocator arenas of the worker threads), so the trend
    # that matters, "does it level off?", is the least-squares slope over the second half.
    late = row_rss[len(row_rss) // 2 :]
    late_slope = slope(late)
    three = next(row[2] for row in rows if row[0].startswith("three"))
    table = markdown_table(
        ["checkpoint", "RSS now (MB)", "peak (MB)", "what"],
        [[name, f"{now:.0f}", f"{peak:.0f}", note] for name, now, peak, note in rows],
    )
    in_a_row = markdown_table(
        [
            "runs in a row",
            "RSS after run 1 (MB)",
            f"after run {len(row_rss)} (MB)",
            "growth per run, first to last (MB)",
            f"slope over runs {len(row_rss) - len(late) + 1}–{len(row_rss)} (MB per run)",
            "RSS after each run (MB)",
        ],
        [
            [
                f"{len(row_rss)} × {args.row_epochs} epoch(s), one session",
                f"{row_rss[0]:.0f}",
                f"{row_rss[-1]:.0f}",
                f"{growth:+.1f}",
                f"{late_slope:+.1f}",
                " ".join(f"{v:.0f}" for v in row_rss),
            ]
        ],
    )
    if core_rss:
        core_late = core_rss[len(core_rss) // 2 :]
        in_a_row += "\n\n" + markdown_table(
            [
                "runs in a row, no server (in the bench's process)",
                "RSS after run 1 (MB)",
                f"after run {len(core_rss)} (MB)",
                "growth per run, first to last (MB)",
                f"slope over runs {len(core_rss) - len(core_late) + 1}–{len(core_rss)} (MB per run)",
            ],
            [
                [
                    f"{len(core_rss)} × 1 epoch + a prediction pass, fixture data (1,000 newswires)",
                    f"{core_rss[0]:.0f}",
                    f"{core_rss[-1]:.0f}",
                    f"{(core_rss[-1] - core_rss[0]) / max(1, len(core_rss) - 1):+.1f}",
                    f"{slope(core_late):+.2f}",
                ]
            ],
        )
    notes = [
        f"Three runs at once peaked at {three:.0f} MB: target < {TARGET_MB} MB {'met' if three < TARGET_MB else '**missed**'}. "
        f"Kernel peak (VmHWM) over the whole session: {hwm:.0f} MB.",
    ]
    if browser_first_progress is not None:
        notes.append(
            f"Real browser, Train click → progress bar on the page: {cold_bar:.2f} s; → the bar showing a counted batch: "
            f"{browser_first_progress:.2f} s (fit, first run of the server)."
        )
    if warm_starts:
        bars, counts = sorted(b for b, _ in warm_starts), sorted(c for _, c in warm_starts)
        notes.append(
            f"Runs in a row ({len(warm_starts)}, the three methods in turn), Train click → progress bar: median "
            f"{bars[len(bars) // 2]:.2f} s (slowest {bars[-1]:.2f} s); → a counted batch shown: median "
            f"{counts[len(counts) // 2]:.2f} s (fastest {counts[0]:.2f} s, slowest {counts[-1]:.2f} s). Before the first "
            "batch the bar says the step is being traced."
        )
    text = (
        f"### Memory of a `streamlit run app.py` server\n\n{machine_line()} · {load_average()} at the end · "
        f"data: {os.environ.get('REUTERS_NPZ_PATH', 'Keras cache')} · headless Chromium via Playwright · TRAINING_JOB_SLOTS=3\n\n"
        f"{table}\n\n{in_a_row}\n\n" + "\n".join(notes) + "\n"
    )
    print(text, flush=True)
    by_name = {row[0]: row for row in rows}
    summary = [
        summary_item("server RSS after the data is prepared", f"{by_name['after the data'][1]:.0f} MB", "", None),
        summary_item("server RSS, one run (peak)", f"{by_name['one run (peak while training)'][2]:.0f} MB", "", None),
        summary_item("server RSS, three runs at once (peak)", f"{three:.0f} MB", f"< {TARGET_MB} MB", three < TARGET_MB),
        *(
            [
                summary_item(
                    f"process RSS growth per run without the server, {len(core_rss)} runs in a row (slope over the second half)",
                    f"{slope(core_rss[len(core_rss) // 2 :]):+.2f} MB",
                    "no steady growth",
                    None,
                )
            ]
            if core_rss
            else []
        ),
        summary_item(
            f"server RSS growth per run, {len(row_rss)} runs in a row (first to last; slope over the second half)",
            f"{growth:+.1f} MB; {late_slope:+.1f} MB",
            "no steady growth",
            None,
        ),
    ]
    if browser_first_progress is not None:
        summary.append(
            summary_item(
                "real browser: Train click → progress bar on the page (fit, first run of the server)",
                f"{cold_bar:.2f} s",
                "< 1.5 s",
                cold_bar < 1.5,
            )
        )
        summary.append(
            summary_item(
                "real browser: Train click → counted batch on the page (fit, first run of the server)",
                f"{browser_first_progress:.2f} s",
                "< 1.5 s",
                browser_first_progress < 1.5,
            )
        )
    if warm_starts:
        counts = sorted(c for _, c in warm_starts)
        median_count = counts[len(counts) // 2]
        summary.append(
            summary_item(
                f"real browser: Train click → counted batch on the page, median of {len(counts)} runs in a row",
                f"{median_count:.2f} s",
                "< 1.5 s",
                median_count < 1.5,
            )
        )
    write_summary(args.summary_json, summary)
    return text


if __name__ == "__main__":
    main()
