"""Where a batch loop's time goes: py-spy samples of the app's train_on_batch trainer and of the chapter's loop.

Each side runs in its own process under `py-spy record --idle` (all samples of
the training thread, waiting ones included): the app's trainer driven as the
app drives it (core.runs.jobs.TrainingJob, a reader polling once a second), and the
chapter's loop from bench/reference_port.py. Samples are sorted into what the
training thread was doing, innermost cause first:

    compiled step        inside the compiled train/test function (TensorFlow kernels)
    tracing              building that function (first epoch, and the short last batch)
    Keras per call       train_on_batch's own Python: metric resets, logs to floats, checks, the call
    next batch           asking the tf.data iterator for the next batch
    iterator freed       at the `for` line itself: freeing the epoch's iterator (tf.data's
                         autotune thread may hold it until its next wake-up, see pipeline.py)
    app per batch        the app's additions: BatchAverages, progress callback, stop check, len(y)

    python bench/profile_loops.py [--epochs 3] [--rate 100]
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import markdown_table, progress, section, summary_item, write_summary

LOOP_FRAMES = {"app": "train_with_batches", "reference": "reference_train_on_batch"}
CATEGORIES = [
    ("tracing", ("trace_function", "func_graph_from_py_func")),
    ("compiled step", ("Context.call_function", "quick_execute")),
    (
        "app per batch",
        ("BatchAverages.add", "TrainingRun.batches_finished", "TrainingRun.check_stop", "TrainingJob._on_batch", "__len__"),
    ),
    ("next batch", ("OwnedIterator.__next__", "OwnedIterator._next_internal")),
    ("Keras per call", ("TensorFlowTrainer.train_on_batch", "TensorFlowTrainer.test_on_batch")),
]


def child(side: str, epochs: int) -> None:
    from common import load_data, run_like_the_app

    data, _ = load_data()
    if side == "app":
        from core.settings import RunSettings

        run_like_the_app(RunSettings(method="train_on_batch", epochs=epochs), data)
    else:
        from reference_port import run_reference

        run_reference("train_on_batch", data, epochs)


def categorize(path: Path, loop_frame: str) -> tuple[collections.Counter, int]:
    counts: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if loop_frame not in stack:
            continue
        frames = stack.split(";")
        inner = frames[max(i for i, f in enumerate(frames) if loop_frame in f) + 1 :]
        below = ";".join(inner)
        samples = int(number)
        total += samples
        if not inner:
            counts["iterator freed / at the for line"] += samples
            continue
        for name, keys in CATEGORIES:
            if any(key in below for key in keys):
                counts[name] += samples
                break
        else:
            counts["other"] += samples
    return counts, total


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per side (default 4)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second (default 100)")
    parser.add_argument("--child", choices=["app", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.epochs)
        return ""

    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("profile_loops.py needs py-spy (pip install py-spy)")
    folder = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    results = {}
    for side in ("reference", "app"):
        out = folder / f"{side}.txt"
        command = [
            spy,
            "record",
            "--idle",
            "--nonblocking",
            "-r",
            str(args.rate),
            "-f",
            "raw",
            "-o",
            str(out),
            "--",
            sys.executable,
            __file__,
            "--child",
            side,
            "--epochs",
            str(args.epochs),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        results[side] = categorize(out, LOOP_FRAMES[side])
        progress(f"profile {side}: {results[side][1]} samples: {dict(results[side][0])}")

    names = [name for name, _ in CATEGORIES] + ["iterator freed / at the for line", "other"]
    rows = []
    for name in sorted(names, key=lambda n: -results["reference"][0][n]):
        rows.append(
            [name]
            + [
                f"{100 * results[side][0][name] / max(1, results[side][1]):.1f} % ({results[side][0][name] / args.rate:.1f} s)"
                for side in ("reference", "app")
            ]
        )
    rows.append(
        ["all samples of the training thread"] + [f"{results[side][1] / args.rate:.1f} s" for side in ("reference", "app")]
    )
    text = section(
        "Profile: where the batch loop's time goes (py-spy)",
        "see the other sections",
        f"train_on_batch, {args.epochs} epochs per side (tracing included), py-spy --idle at {args.rate} Hz",
        markdown_table(["what the training thread was doing", "chapter's loop", "app's trainer (TrainingJob)"], rows),
        "Shares of the training thread's samples (seconds at the sampling rate). Profiling slows both sides; "
        "compare shares, not seconds with the other tables.",
    )
    print(text, flush=True)
    share = {side: {name: 100 * results[side][0][name] / max(1, results[side][1]) for name in names} for side in results}
    write_summary(
        args.summary_json,
        [
            summary_item(
                "batch loop profile: share in the compiled step (chapter / app)",
                f"{share['reference']['compiled step']:.0f} % / {share['app']['compiled step']:.0f} %",
                "",
                None,
            ),
            summary_item(
                "batch loop profile: share freeing iterators at the end of loops (chapter / app)",
                f"{share['reference']['iterator freed / at the for line']:.0f} % / {share['app']['iterator freed / at the for line']:.0f} %",
                "",
                None,
            ),
            summary_item(
                "batch loop profile: share in the app's own per-batch work", f"{share['app']['app per batch']:.1f} %", "", None
            ),
        ],
    )
    return text


if __name__ == "__main__":
    main()
