"""Overhead: the app's trainers, driven exactly as the app drives them, against the chapter's bare code.

For each method, A = the reference port (bench/reference_port.py), B = a
core.jobs.TrainingJob (worker thread, progress and epoch callbacks, stop signal
checked every batch) with a reader polling `snapshot()` once a second like the
page's fragment. Interleaved A/B/A/B; the first epoch of each run (tracing) is
left out; the ratio is median B epoch seconds / median A. Target: <= 1.05.
"""

from __future__ import annotations

import argparse
import threading

from common import load_data, machine_line, markdown_table, median


def app_epoch_seconds(settings, data) -> list[float]:
    from core.jobs import JobSlots, TrainingJob

    job = TrainingJob([settings], data, slots=JobSlots(1), save=False).start()
    done = threading.Event()

    def page_refresh():  # what the page's one-second fragment does
        while not done.wait(1.0):
            job.snapshot()

    reader = threading.Thread(target=page_refresh, daemon=True)
    reader.start()
    job.join()
    done.set()
    record = job.snapshot().records[-1]
    assert record.status == "finished", record.message
    return [row.seconds for row in record.epochs]


def main() -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is left out)")
    parser.add_argument("--rounds", type=int, default=2, help="A/B pairs per method")
    args = parser.parse_args()

    from reference_port import run_reference
    from core.settings import METHODS, RunSettings

    data, source = load_data()
    rows = []
    for method in METHODS:
        settings = RunSettings(method=method, epochs=args.epochs)
        reference, app = [], []
        for _ in range(args.rounds):
            reference += run_reference(method, data, args.epochs)[1:]
            app += app_epoch_seconds(settings, data)[1:]
        ratio = median(app) / median(reference)
        rows.append([method, median(reference), median(app), ratio, "yes" if ratio <= 1.05 else "no"])
        print(f"{method}: reference {median(reference):.3f}s  app {median(app):.3f}s  ratio {ratio:.3f}", flush=True)
    table = markdown_table(["method", "reference s/epoch", "app s/epoch", "app / reference", "<= 1.05"], rows)
    text = f"### Overhead\n\n{machine_line()} · data: {source} · {args.rounds} A/B rounds × {args.epochs - 1} timed epochs\n\n{table}\n"
    print(text)
    return text


if __name__ == "__main__":
    main()
