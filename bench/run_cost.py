"""Run cost: `core.budget`'s estimate of a run's peak memory and time against measured runs.

Each point trains in its own fresh process (so the kernel's peak, VmHWM, is that
run's alone): TensorFlow is imported, then the real data is prepared at the
point's max_len (REUTERS_NPZ_PATH), then one epoch trains on the first
`newswires` training newswires (a quarter as many for validation). Measured:

    memory   VmHWM at the end minus VmRSS before preparing the data (what a run with a
             new max_len adds to a server that has TensorFlow loaded)
    time     the process's CPU seconds (all threads) to build, trace and train the epoch.
             That is the run's wall time when it has one core to itself (two slots on two
             cores, the default), and unlike wall time it hardly moves with the machine's
             load: on this shared machine one point took 4 s of wall time, then 29 s at a
             load average of 24. Wall time is printed too.

and printed with the estimate and the ratio estimate / measured, which must be
at least 1 everywhere: the estimate errs on the safe side. The points span
what the estimate's terms depend on: batch_size x max_len (step memory),
newswires x max_len (time per token), small batches (time per step) and the
three methods. A few minutes in all on two cores.

    python bench/run_cost.py [--save points.json] [--from points.json]

`--from` prints the table again from saved measurements (after changing the
estimate's constants) without training anything.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from common import ROOT, load_average, machine_line, markdown_table, progress

# (method, batch_size, max_len, training newswires): small batches for the per-step cost, large
# batch x max_len for the step memory (the issue's +2.5 GB at 1024 x 2000), the chapter's defaults.
POINTS = [
    ("fit", 32, 300, 2000),
    ("fit", 8, 100, 1000),
    ("train_on_batch", 8, 100, 1000),
    ("custom_loop", 8, 100, 1000),
    ("fit", 8, 2000, 500),
    ("fit", 256, 1000, 2000),
    ("train_on_batch", 512, 1000, 2048),
    ("fit", 1024, 2000, 1024),
]


def status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure_point(method: str, batch_size: int, max_len: int, newswires: int) -> dict:
    """In this (fresh) process: prepare the real data, train one epoch on a slice, report memory and time."""
    sys.path.insert(0, str(ROOT))
    import keras  # noqa: F401 - loaded before the baseline: every server has it

    from core.data import find_reuters_file, prepare_data
    from core.settings import RunSettings
    from core.states import RunStatus
    from core.training import run_training

    before = status_kb("VmRSS")
    data = prepare_data(max_len, find_reuters_file(download=False), download=False)
    full_train, full_test = len(data.y_train), len(data.y_test)
    valid = max(1, newswires // 4)
    sliced = replace(
        data,
        x_train=data.x_train[:newswires],
        y_train=data.y_train[:newswires],
        x_test=data.x_test[:valid],
        y_test=data.y_test[:valid],
    )
    settings = RunSettings(method=method, epochs=1, batch_size=batch_size, max_len=max_len, lr_halving_epoch=None)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    record = run_training(settings, sliced)
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    peak = status_kb("VmHWM")
    if record.status != RunStatus.FINISHED:
        raise RuntimeError(f"{method} {batch_size}x{max_len}: {record.status} {record.message}")
    return {
        "method": method,
        "batch_size": batch_size,
        "max_len": max_len,
        "newswires": newswires,
        "validation": valid,
        "full_train": full_train,
        "full_test": full_test,
        "added_mb": (peak - before) / 1024,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
    }


def measure_all() -> list[dict]:
    results = []
    for method, batch_size, max_len, newswires in POINTS:
        progress(f"{method} batch {batch_size} max_len {max_len} on {newswires} newswires")
        child = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps([method, batch_size, max_len, newswires])],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        if child.returncode != 0:
            raise RuntimeError(f"point failed:\n{child.stderr[-2000:]}")
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return results


def table(results: list[dict]) -> tuple[str, float, float]:
    """The estimate against each measured point; and the smallest ratios (memory, time)."""
    from core.budget import DataSize, estimate_run
    from core.settings import RunSettings

    rows, memory_ratios, time_ratios = [], [], []
    for point in results:
        settings = RunSettings(
            method=point["method"], epochs=1, batch_size=point["batch_size"], max_len=point["max_len"], lr_halving_epoch=None
        )
        # The estimate for what was measured: the whole file padded (memory), one epoch on the slice (time).
        full = estimate_run(settings, DataSize(point["full_train"], point["full_test"]))
        cost = estimate_run(settings, DataSize(point["newswires"], point["validation"]))
        memory_ratio = full.memory_mb / point["added_mb"]
        time_ratio = cost.seconds / point["cpu_seconds"]
        memory_ratios.append(memory_ratio)
        time_ratios.append(time_ratio)
        rows.append(
            [
                point["method"],
                point["batch_size"],
                point["max_len"],
                point["newswires"],
                f"{point['added_mb']:.0f}",
                f"{full.memory_mb:.0f}",
                f"{memory_ratio:.2f}",
                f"{point['wall_seconds']:.1f}",
                f"{point['cpu_seconds']:.1f}",
                f"{cost.seconds:.1f}",
                f"{time_ratio:.2f}",
                f"{full.seconds:.0f}",
            ]
        )
    headers = [
        "method",
        "batch",
        "max_len",
        "newswires",
        "MB measured",
        "MB estimated",
        "ratio",
        "s wall",
        "CPU s measured",
        "s estimated",
        "ratio",
        "s, full data (est.)",
    ]
    return markdown_table(headers, rows), min(memory_ratios), min(time_ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--save", help="write the measurements to this JSON file")
    parser.add_argument("--from", dest="saved", help="print the table from saved measurements, training nothing")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_point(*json.loads(args.child))))
        return
    sys.path.insert(0, str(ROOT))
    if args.saved:
        results = json.loads(Path(args.saved).read_text())
    else:
        from core.data import DataError, find_reuters_file

        try:
            find_reuters_file(download=False)
        except DataError as error:
            sys.exit(f"run_cost needs the real data: {error}")
        results = measure_all()
        if args.save:
            Path(args.save).write_text(json.dumps(results, indent=1))
    text, memory_low, time_low = table(results)
    print("## Run cost: estimate against measured (one epoch, real data)\n")
    print(machine_line())
    print(f"measured earlier, read from {args.saved}" if args.saved else load_average())
    print()
    print(text)
    print()
    verdict = "safe side" if min(memory_low, time_low) >= 1 else "UNDER-ESTIMATES: raise the constants in core/budget.py"
    print(f"Smallest ratio: memory {memory_low:.2f}, time {time_low:.2f} ({verdict}).")
    if not math.isfinite(memory_low + time_low):
        sys.exit(1)


if __name__ == "__main__":
    main()
