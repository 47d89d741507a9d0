"""The input pipeline on its own: what reshuffling costs, and the end-of-epoch stall of tf.data's autotuner.

1. Shuffle cost. The app's pipeline is cache -> shuffle -> batch -> prefetch: a
   fresh order every epoch. The chapter's is shuffle -> batch -> prefetch ->
   cache: from epoch 2 on it replays epoch 1's batches from memory, with no
   shuffle work (and the same order every epoch). Both are iterated with no
   training, several epochs, and their per-epoch wall and CPU time compared.

2. The end-of-epoch stall. When a Python `for` loop over a tf.data dataset
   ends, the iterator is freed, and with autotuning on (the default, and what
   `prefetch(AUTOTUNE)` relies on) freeing it can block until the autotuner's
   thread next wakes up: at 10·(2^n - 1) ms after the iterator was created
   (0.07, 0.15, 0.31, 0.63, 1.27, 2.55, 5.11 s ...). So a loop that ends at
   2.6 s may only let go at 5.11 s. Every per-epoch loop pays it: the app's
   trainers, fit's own epoch iterator and the chapter's code alike. Here each
   batch of the app's training pipeline gets a fixed amount of TensorFlow work
   (matrix products standing in for a train step) so the loop ends at a chosen
   time: the app's pipeline as shipped (autotuning off, see
   core.data.without_autotuning), the same with autotuning back on (the app
   before the fix, and TensorFlow's default), and the chapter's pipeline for
   comparison (after epoch 1 its iterator only reads the finished cache: no
   prefetch to tune). The stall is intermittent: it showed up far more on a
   loaded machine, and never with autotuning off.

    python bench/pipeline.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

from common import Clock, load_data, markdown_table, median, progress, section, summary_item, write_summary

BOUNDARIES = [10 * (2**n - 1) / 1000 for n in range(3, 12)]  # seconds: 0.07 ... 20.47


def next_boundary(seconds: float) -> float:
    return next(b for b in BOUNDARIES if b >= seconds)


def iterate_epochs(dataset, epochs: int) -> list[Clock]:
    clocks = []
    for _ in range(epochs):
        started = Clock.now()
        for _batch in dataset:
            pass
        clocks.append(Clock.now().since(started))
    return clocks


def tensorflow_work():
    """A function that keeps TensorFlow busy for about the seconds asked, like a train step."""
    import tensorflow as tf

    matrix = tf.random.normal((256, 256), seed=1)

    @tf.function
    def products(count):
        x = matrix
        for _ in tf.range(count):
            x = tf.matmul(x, matrix) / 16.0
        return x

    products(tf.constant(10))
    started = time.perf_counter()
    products(tf.constant(200))
    each = (time.perf_counter() - started) / 200
    return lambda seconds: products(tf.constant(max(1, round(seconds / each))))


def timed_loop(dataset, batches: int, loop_seconds: float, work) -> tuple[float, float]:
    """(when the loop ended, when the iterator was freed), in seconds since it was created."""
    step = loop_seconds / batches
    started = time.perf_counter()
    iterator = iter(dataset)
    for _batch in iterator:
        work(step)
    ended = time.perf_counter() - started
    del iterator
    return ended, time.perf_counter() - started


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6, help="epochs iterated per pipeline in part 1 (default 6)")
    parser.add_argument("--repeats", type=int, default=2, help="loops per length and setting in part 2 (default 2)")
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import tensorflow as tf
    from reference_port import reference_datasets

    from core.data import make_datasets

    data, source = load_data()
    ours, _ = make_datasets(data, 32, 1000, 0)
    chapter, _ = reference_datasets(data.x_train, data.y_train, data.x_test, data.y_test)

    # Part 1: iteration only, alternating the two pipelines epoch by epoch after a first pass each.
    iterate_epochs(ours, 1), iterate_epochs(chapter, 1)
    app_clocks, chapter_clocks = [], []
    for _ in range(args.epochs):
        app_clocks += iterate_epochs(ours, 1)
        chapter_clocks += iterate_epochs(chapter, 1)
    shuffle_rows = [
        [name, median(c.wall for c in clocks) * 1000, median(c.cpu for c in clocks) * 1000]
        for name, clocks in (
            ("app: cache → shuffle → batch → prefetch", app_clocks),
            ("chapter: shuffle → batch → prefetch → cache", chapter_clocks),
        )
    ]
    progress(f"pipeline part 1: {shuffle_rows}")

    # Part 2: loops of a chosen length, autotuning off (as shipped) and back on (TensorFlow's default).
    options = tf.data.Options()
    options.autotune.enabled = True
    settings = {
        "app, autotune off (as shipped)": ours,
        "app, autotune on (before the fix)": ours.with_options(options),
        "chapter's (cache last), autotune on": chapter,
    }
    batches = sum(1 for _ in ours)
    work = tensorflow_work()
    stall_rows = []
    for loop_seconds in (1.5, 2.1, 2.7, 3.3):
        for name, dataset in settings.items():
            for _ in range(args.repeats):
                ended, freed = timed_loop(dataset, batches, loop_seconds, work)
                stall_rows.append([f"{loop_seconds:.1f}", name, ended, freed, freed - ended, next_boundary(ended)])
                progress(f"pipeline part 2: {stall_rows[-1]}")
    stalled = [row for row in stall_rows if row[4] > 0.05]
    on_boundary = [row for row in stalled if abs(row[3] - next_boundary(row[2])) < 0.05]
    auto_rows = [row for row in stall_rows if row[1] == "app, autotune on (before the fix)"]
    off_rows = [row for row in stall_rows if row[1] == "app, autotune off (as shipped)"]
    chapter_rows = [row for row in stall_rows if row[1].startswith("chapter")]

    table1 = markdown_table(["pipeline (no training)", "ms per epoch (wall)", "ms per epoch (CPU)"], shuffle_rows)
    table2 = markdown_table(
        [
            "loop length asked (s)",
            "setting",
            "loop ended (s)",
            "iterator freed (s)",
            "stall (s)",
            "next 10·(2^n−1) ms boundary (s)",
        ],
        stall_rows,
    )
    notes = (
        f"Part 2 summary: the app's pipeline stalled in {sum(r[4] > 0.05 for r in auto_rows)} of {len(auto_rows)} loops with "
        f"autotuning on (longest {max((r[4] for r in auto_rows), default=0):.2f} s) and {sum(r[4] > 0.05 for r in off_rows)} of "
        f"{len(off_rows)} with it off, as shipped; the chapter's pipeline, whose later epochs only read its finished cache, in "
        f"{sum(r[4] > 0.05 for r in chapter_rows)} of {len(chapter_rows)}. {len(on_boundary)} of {len(stalled)} stalls ended "
        "within 50 ms of a 10·(2^n−1) ms boundary."
    )
    text = section(
        "Input pipeline: reshuffling cost and the end-of-epoch stall",
        source,
        f"part 1: {args.epochs} epochs per pipeline, alternating, after one warm-up epoch each · part 2: {batches} batches per loop, "
        f"{args.repeats} loops per length and setting",
        table1 + "\n\n" + table2,
        notes,
    )
    print(text, flush=True)
    write_summary(
        args.summary_json,
        [
            summary_item(
                "end-of-loop stalls, app's pipeline as shipped (autotune off)",
                f"{sum(r[4] > 0.05 for r in off_rows)} of {len(off_rows)} loops",
                "none",
                not any(r[4] > 0.05 for r in off_rows),
            ),
            summary_item(
                "end-of-loop stalls, app's pipeline before the fix (autotune on)",
                f"{sum(r[4] > 0.05 for r in auto_rows)} of {len(auto_rows)} loops, longest {max((r[4] for r in auto_rows), default=0):.2f} s",
                "",
                None,
            ),
            summary_item(
                "end-of-loop stalls, chapter's pipeline (cache last)",
                f"{sum(r[4] > 0.05 for r in chapter_rows)} of {len(chapter_rows)} loops",
                "",
                None,
            ),
        ],
    )
    return text


if __name__ == "__main__":
    main()
