"""Ray: throughput against the cluster's CPUs, a Ray-backed run's overhead, and Train to first batch.

1. Overhead. On one 2-CPU local cluster, the same run (`--method`, 3 epochs,
   first left out) alternates between a thread job in this process (A, as the
   app trains today) and a `RayTrainingJob` (B, 1 CPU per job); ratio = B's
   median epoch time / A's, the median over rounds. Target <= 1.10.
   Train to first counted batch: from `start()` until a snapshot read every
   50 ms shows a batch, for both, in the same rounds (B includes the actor's
   worker start and its TensorFlow import).
2. Throughput. `--runs` runs of 2 epochs submitted at once to a cluster with
   1 CPU, then to one with 2 CPUs (1 CPU per job, so 1 and 2 runs train at
   once), and, as the baseline, to this process's thread backend with 2 slots;
   runs per minute = runs / wall minutes from the first start to the last end.

Every cluster is a real one (tests/engines.py) started and stopped here.

    python bench/ray_scaling.py [--rounds 3] [--runs 4] [--method fit]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

# A one-node cluster on loopback only, like the tests' (Ray would advertise the machine's network address).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

from common import load_data, markdown_table, median, paired_ratio, progress, section, summary_item, write_summary, yes_no

TARGET = 1.10


def epoch_seconds(snapshot) -> list[float]:
    """Every epoch's own time but the first (tracing), over the job's runs."""
    return [row.seconds for record in snapshot.records for row in record.epochs[1:]]


def first_batch_and_end(job) -> tuple[float, object]:
    """Seconds from start() to the first counted batch; the final snapshot.

    Read every 50 ms until the first batch, then once a second as the page's live view does:
    a reader polling 20 times a second would cost a Ray worker more than a thread job.
    """
    started = time.perf_counter()
    job.start()
    first = None
    while True:
        snapshot = job.snapshot()
        if first is None and snapshot.batches_done > 0:
            first = time.perf_counter() - started
        if not snapshot.active:
            return (first if first is not None else float("nan")), snapshot
        time.sleep(0.05 if first is None else 1.0)


def throughput(make_job, runs: int) -> float:
    """Runs per minute: `runs` jobs submitted at once, wall time until the last ends."""
    from core.states import JobState

    started = time.perf_counter()
    jobs = [make_job().start() for _ in range(runs)]
    for job in jobs:
        job.join()
        assert job.snapshot().state == JobState.FINISHED, job.snapshot().message
    return runs / ((time.perf_counter() - started) / 60)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved thread/Ray rounds for the overhead (default 3)")
    parser.add_argument("--runs", type=int, default=4, help="runs per throughput measurement (default 4)")
    parser.add_argument("--method", default="fit", help="the method every run trains (default fit)")
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from engines import ray_cluster

    from core.runs import ray_jobs
    from core.runs.jobs import TrainingJob
    from core.runs.slots import JobSlots
    from core.settings import RunSettings
    from core.states import JobState

    data, source = load_data()
    settings = RunSettings(method=args.method, epochs=3)
    two_epochs = replace(settings, epochs=2)

    # 1. Overhead and first batch, interleaved A B, B A, ...
    thread_epochs, ray_epochs, thread_first, ray_first = [], [], [], []
    with ray_cluster(num_cpus=2) as address:
        ray_jobs.connect(address)
        for round_ in range(args.rounds):
            order = ("thread", "ray") if round_ % 2 == 0 else ("ray", "thread")
            for kind in order:
                progress(f"overhead round {round_ + 1}/{args.rounds}: {kind}")
                if kind == "thread":
                    first, snap = first_batch_and_end(TrainingJob([settings], data, slots=JobSlots(1)))
                    thread_epochs.append(median(epoch_seconds(snap)))
                    thread_first.append(first)
                else:
                    first, snap = first_batch_and_end(ray_jobs.RayTrainingJob([settings], data))
                    ray_epochs.append(median(epoch_seconds(snap)))
                    ray_first.append(first)
                assert snap.state == JobState.FINISHED, snap.message
        ray_jobs.disconnect()
    ratio, low, high = paired_ratio(ray_epochs, thread_epochs)

    # 2. Throughput: 1-CPU cluster, 2-CPU cluster, thread backend with 2 slots.
    rates = {}
    for cpus in (1, 2):
        with ray_cluster(num_cpus=cpus) as address:
            ray_jobs.connect(address)
            progress(f"throughput: Ray cluster with {cpus} CPU(s), {args.runs} runs")
            rates[f"Ray, {cpus} worker CPU{'s' if cpus > 1 else ''} (1 per job)"] = throughput(
                lambda: ray_jobs.RayTrainingJob([two_epochs], data), args.runs
            )
            ray_jobs.disconnect()
    progress(f"throughput: threads, 2 slots, {args.runs} runs")
    slots = JobSlots(2)
    rates["threads in the app process, 2 slots (today's default)"] = throughput(
        lambda: TrainingJob([two_epochs], data, slots=slots), args.runs
    )

    overhead_table = markdown_table(
        ["", "thread job", "Ray job", "Ray / thread"],
        [
            [
                f"{args.method}: epoch time, s (median)",
                median(thread_epochs),
                median(ray_epochs),
                f"{ratio:.3f} ({low:.2f}–{high:.2f}) {yes_no(ratio <= TARGET)} ≤ {TARGET}",
            ],
            [
                "Train → first counted batch, s (median)",
                median(thread_first),
                median(ray_first),
                f"{median(ray_first) / median(thread_first):.2f}",
            ],
        ],
    )
    throughput_table = markdown_table(
        ["backend", f"runs per minute ({args.method}, 2 epochs, {args.runs} runs submitted at once)"],
        [[k, v] for k, v in rates.items()],
    )
    text = section(
        "Ray: overhead, first batch, throughput against worker CPUs",
        source,
        f"{args.rounds} interleaved rounds of a 3-epoch {args.method} run (first epoch left out); throughput from {args.runs} runs of 2 epochs per row",
        overhead_table + "\n\n" + throughput_table,
        "Local single-node clusters started by `tests/engines.py` (`ray start --head --num-cpus N`, no dashboard), "
        "this process as the driver; each Ray job is a named actor asking for 1 CPU. Epoch times are the trainers' own "
        "(`EpochRow.seconds`), measured inside the worker; the first-batch time is what a page polling the job sees.",
    )
    print(text, flush=True)
    write_summary(
        args.summary_json,
        [
            summary_item(f"Ray / thread epoch time, {args.method}", round(ratio, 3), f"<= {TARGET}", ratio <= TARGET),
            summary_item("Ray: Train to first counted batch, s", round(median(ray_first), 2), "", None),
            *(summary_item(f"runs/min, {k}", round(v, 2), "", None) for k, v in rates.items()),
        ],
    )
    return text


if __name__ == "__main__":
    main()
