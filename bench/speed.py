"""Speed option: the app's trainers with `steps_per_execution` > 1 against the chapter's bare code.

The speed option keeps the math identical (tests/test_speed_options.py checks
every epoch figure to 4 decimals) and only runs several batches per compiled
call: fit through `compile(steps_per_execution=k)`, the batch loop through the
compiled function train_on_batch wraps (k batches a call) plus one `evaluate`
call for validation, the custom loop through its `train_steps` tf.function.

A = the reference port (bench/reference_port.py), B = the app's trainer with
the speed option, driven as the app drives it (core.runs.jobs.TrainingJob, progress
and epoch callbacks, a reader polling once a second). C (unless --no-ceiling)
= the same train and test steps with no progress, no stop and no Python between
batches: the whole epoch, train and validation, in one tf.function call: the
most any same-math option can give. Runs alternate (A B C, C B A, ...); the
first epoch of each run is left out. Target: >= 1.5x.

    python bench/speed.py [--steps 32] [--epochs 4] [--rounds 4] [--no-ceiling]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from common import (
    Clock,
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

TARGET = 1.5


def ceiling_epochs(data, epochs: int) -> list[Clock]:
    """Epoch times of the fastest same-math loop: one tf.function call runs a whole epoch."""
    import keras
    import tensorflow as tf

    from core.data import make_datasets
    from core.model import build_model
    from core.settings import RunSettings
    from core.training import new_accuracy_metrics

    settings = RunSettings()
    model = build_model(settings, data.vocab_size, data.num_classes)
    model.compile(
        optimizer=keras.optimizers.Nadam(settings.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=new_accuracy_metrics(),
    )
    train, valid = make_datasets(data, settings.batch_size, settings.shuffle_buffer, settings.seed)

    @tf.function
    def whole_epoch(train, valid):
        for batch in train:
            model.train_step(batch)
        for batch in valid:
            model.test_step(batch)

    clocks = []
    for _ in range(epochs):
        started = Clock.now()
        model.reset_metrics()
        whole_epoch(train, valid)
        clocks.append(Clock.now().since(started))
    return clocks


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=32, help="steps_per_execution of the speed option (default 32)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run; the first is left out (default 4)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="interleaved rounds per method (default 4: single epochs vary by 20 %% on a shared machine)",
    )
    parser.add_argument("--methods", default="fit,train_on_batch,custom_loop", help="comma-separated methods")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the one-call-per-epoch runs (C)")
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from reference_port import run_reference

    from core.settings import RunSettings

    data, source = load_data()
    rows, summary = [], []
    for method in args.methods.split(","):
        settings = replace(RunSettings(method=method, epochs=args.epochs), steps_per_execution=args.steps)
        variants = {
            "reference": lambda: run_reference(method, data, args.epochs),
            "speed option": lambda: run_like_the_app(settings, data)[1],
        }
        if not args.no_ceiling:
            variants["one call per epoch"] = lambda: ceiling_epochs(data, args.epochs)
        timed = interleave(args.rounds, variants, label=method)
        fast = Comparison.of(timed["speed option"], timed["reference"])  # reference / speed option = the gain
        row = [
            method,
            fast.b_wall,
            fast.a_wall,
            fast.wall_ratio,
            f"{fast.wall_low:.2f}–{fast.wall_high:.2f}",
            fast.cpu_ratio,
            yes_no(fast.wall_ratio >= TARGET),
        ]
        summary.append(
            summary_item(
                f"speed option, {method}: reference / speed-option epoch time",
                round(fast.wall_ratio, 3),
                f">= {TARGET}",
                fast.wall_ratio >= TARGET,
            )
        )
        for name in ("one call per epoch",):
            if name in timed:
                other = Comparison.of(timed[name], timed["reference"])
                row += [other.a_wall, other.wall_ratio, other.cpu_ratio]
                summary.append(
                    summary_item(
                        f"speed option, {method}: {name}", round(other.wall_ratio, 3), f">= {TARGET}", other.wall_ratio >= TARGET
                    )
                )
        rows.append(row)
    headers = [
        "method",
        "reference s/epoch",
        f"speed option (k={args.steps}) s/epoch",
        "gain",
        "per-round range",
        "CPU gain",
        f"gain ≥ {TARGET}",
    ]
    if not args.no_ceiling:
        headers += ["one call per epoch: s/epoch", "gain", "CPU gain"]
    text = section(
        "Speed option: same numbers, fewer Python round trips",
        source,
        f"steps_per_execution={args.steps} · {args.rounds} interleaved rounds × {args.epochs - 1} timed epochs (first left out)",
        markdown_table(headers, rows),
        "gain = reference s/epoch ÷ speed-option s/epoch (median of per-round ratios; CPU: process CPU seconds)."
        + (
            " 'One call per epoch' runs the same train and test steps with the whole epoch in one `tf.function` call: "
            "no progress, no stop, no Python between batches."
            if not args.no_ceiling
            else ""
        ),
    )
    print(text, flush=True)
    write_summary(args.summary_json, summary)
    return text


if __name__ == "__main__":
    main()
