"""Overhead: the app's trainers, driven exactly as the app drives them, against the chapter's bare code.

For each method, A = the reference port (bench/reference_port.py, the chapter's
code in Keras 3 with no UI) and B = a core.jobs.TrainingJob (worker thread,
progress and epoch callbacks, the stop signal checked every batch) with a
reader calling `snapshot()` once a second like the page's live fragment.
A and B alternate (A B, B A, ...) so a drifting machine load cancels out; the
first epoch of every run (tracing) is left out. The ratio is the median over
rounds of B's median epoch / A's. Target: <= 1.05 per method.

    python bench/overhead.py [--epochs 4] [--rounds 2] [--methods fit,custom_loop]
"""

from __future__ import annotations

import argparse

from common import Comparison, interleave, load_data, markdown_table, run_like_the_app, section, yes_no

TARGET = 1.05


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run; the first is left out (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds per method (default 2)")
    parser.add_argument("--methods", default="fit,train_on_batch,custom_loop", help="comma-separated methods")
    args = parser.parse_args(argv)

    from reference_port import run_reference

    from core.settings import RunSettings

    data, source = load_data()
    rows = []
    for method in args.methods.split(","):
        settings = RunSettings(method=method, epochs=args.epochs)
        timed = interleave(
            args.rounds,
            {
                "reference": lambda: run_reference(method, data, args.epochs),
                "app": lambda: run_like_the_app(settings, data)[1],
            },
            label=method,
        )
        c = Comparison.of(timed["reference"], timed["app"])
        rows.append(
            [method, c.a_wall, c.b_wall, c.wall_ratio, f"{c.wall_low:.2f}–{c.wall_high:.2f}", c.cpu_ratio, yes_no(c.wall_ratio <= TARGET)]
        )
    table = markdown_table(
        ["method", "reference s/epoch", "app s/epoch", "app / reference", "per-round range", "CPU app / reference", f"≤ {TARGET}"],
        rows,
    )
    text = section(
        "Overhead: the app's trainer vs the chapter's bare code",
        source,
        f"{args.rounds} interleaved A/B rounds × {args.epochs - 1} timed epochs (first epoch left out)",
        table,
        "Wall seconds are medians of all timed epochs; the ratios are medians of per-round ratios "
        "(CPU: process CPU seconds, all threads). The app side is a `TrainingJob` with its callbacks, "
        "stop signal and a reader polling `snapshot()` once a second.",
    )
    print(text, flush=True)
    return text


if __name__ == "__main__":
    main()
