"""Overhead: the app's trainers, driven exactly as the app drives them, against the chapter's bare code.

For each method, A = the reference port (bench/reference_port.py, the chapter's
code in Keras 3 with no UI) and B = a core.runs.jobs.TrainingJob (worker thread,
progress and epoch callbacks, the stop signal checked every batch) with a
reader calling `snapshot()` once a second like the page's live fragment.
The variants alternate (A B C, C B A, ...) so a drifting machine load cancels out; the
first epoch of every run (tracing) is left out. The ratio is the median over
rounds of B's median epoch / A's. Target: <= 1.05 per method.

C (unless --no-before) = B as the app was before its pipeline fix: tf.data
autotuning on in the trainers' datasets (common.AutotuneOn). core.data.make_datasets
now turns it off because of the end-of-epoch stall bench/pipeline.py shows;
C measures what that changed, in the same interleaved rounds.

    python bench/overhead.py [--epochs 4] [--rounds 4] [--methods fit,custom_loop] [--no-before]
"""

from __future__ import annotations

import argparse

from common import (
    AutotuneOn,
    Comparison,
    interleave,
    load_data,
    markdown_table,
    run_like_the_app,
    section,
    summary_item,
    write_summary,
    yes_no,
)

TARGET = 1.05


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run; the first is left out (default 4)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="interleaved rounds per method (default 4: single epochs vary by 20 %% on a shared machine)",
    )
    parser.add_argument("--methods", default="fit,train_on_batch,custom_loop", help="comma-separated methods")
    parser.add_argument("--no-before", action="store_true", help="skip the runs as before the fix, autotuning on (C)")
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from reference_port import run_reference

    from core.settings import RunSettings

    def app_before_the_fix(settings, data):
        with AutotuneOn():
            return run_like_the_app(settings, data)[1]

    data, source = load_data()
    rows, summary = [], []
    for method in args.methods.split(","):
        settings = RunSettings(method=method, epochs=args.epochs)
        variants = {
            "reference": lambda: run_reference(method, data, args.epochs),
            "app": lambda: run_like_the_app(settings, data)[1],
        }
        if not args.no_before:
            variants["app before the fix"] = lambda: app_before_the_fix(settings, data)
        timed = interleave(args.rounds, variants, label=method)
        c = Comparison.of(timed["reference"], timed["app"])
        row = [
            method,
            c.a_wall,
            c.b_wall,
            c.wall_ratio,
            f"{c.wall_low:.2f}–{c.wall_high:.2f}",
            c.cpu_ratio,
            yes_no(c.wall_ratio <= TARGET),
        ]
        summary.append(
            summary_item(
                f"overhead, {method}: app / reference epoch time", round(c.wall_ratio, 3), f"<= {TARGET}", c.wall_ratio <= TARGET
            )
        )
        if not args.no_before:
            f = Comparison.of(timed["reference"], timed["app before the fix"])
            row += [f.b_wall, f.wall_ratio, f.cpu_ratio]
            summary.append(summary_item(f"overhead, {method}, before the fix (autotune on)", round(f.wall_ratio, 3), "", None))
        rows.append(row)
    headers = [
        "method",
        "reference s/epoch",
        "app s/epoch",
        "app / reference",
        "per-round range",
        "CPU app / reference",
        f"≤ {TARGET}",
    ]
    if not args.no_before:
        headers += ["before the fix (autotune on): s/epoch", "… / reference", "… CPU / reference"]
    text = section(
        "Overhead: the app's trainer vs the chapter's bare code",
        source,
        f"{args.rounds} interleaved rounds × {args.epochs - 1} timed epochs (first epoch left out)",
        markdown_table(headers, rows),
        "Wall seconds are medians of all timed epochs; the ratios are medians of per-round ratios "
        "(CPU: process CPU seconds, all threads). The app side is a `TrainingJob` with its callbacks, "
        "stop signal and a reader polling `snapshot()` once a second. 'Before the fix' is the same app "
        "with tf.data autotuning back on in its two datasets (the default the app turns off, see the pipeline section).",
    )
    print(text, flush=True)
    write_summary(args.summary_json, summary)
    return text


if __name__ == "__main__":
    main()
