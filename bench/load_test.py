"""A longer load test of one server process: many visitors train at once, then many leave mid-run.

    python bench/load_test.py                      # 8 visitors, 2 epochs each, 2 slots
    python bench/load_test.py --sessions 12 --epochs 3 --newswires 3000

Visitors are Streamlit AppTest sessions in this process (each its own
session_state), sharing the server's hub and job cap exactly as browser
sessions share them. Every visitor has their own seed, so no two presses join
one computation. Phase 1 is tests/test_reliability.py's many-sessions scenario
at a larger size: every run queues for a slot (first come, first served),
trains, must end with the figures it gets alone, and is saved in its visitor's
own space of the run store. Phase 2 opens as many sessions with long runs and
drops them (what the server does with closed tabs, plus the garbage collection
that releases them): every watch ends, every job under it stops, gives its slot
back and ends its thread, and its record is saved as stopped. Phase 3 kills a
process that saves runs to a SQLite store in a loop (SIGKILL, at random
moments) and checks every run in the database is whole and none lost.
Prints a markdown table; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # also puts the project and tests/ on sys.path
    machine_line,
    markdown_table,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--newswires", type=int, default=600, help="size of the fixture file the default data uses")
    parser.add_argument("--kills", type=int, default=20, help="times the record writer is killed mid-write")
    args = parser.parse_args()
    if args.sessions <= args.slots:
        parser.error("--sessions must exceed --slots, or nobody ever waits")

    folder = Path(tempfile.mkdtemp(prefix="load-test-"))
    (folder / "data").mkdir()
    os.environ["KERAS_HOME"] = str(folder / "keras")
    os.environ.pop("REUTERS_WORD_INDEX_PATH", None)
    from fixture_data import write_fixture_npz

    npz = write_fixture_npz(folder / "data" / "reuters.npz", newswires=args.newswires)
    os.environ["REUTERS_NPZ_PATH"] = str(npz)
    os.environ["TRAINING_RUNS_DIR"] = str(folder / "runs")

    import streamlit as st

    os.environ["TRAINING_PREPARE_AHEAD"] = "0"  # no runs prepared ahead: the thread counts stay exact
    from support import (
        collect_until,
        figures,
        full_error_details,
        gate_training,
        install_server_slots,
        live_job_threads,
        open_session,
        press_train,
        run_sessions,
        wait_for,
    )

    from core import training
    from core.states import JobState, RunStatus
    from core.store import private_space, store_from_environment

    real_train = training.train
    slots = install_server_slots(args.slots)
    gate = gate_training()
    st.cache_resource.clear()
    full_error_details().__enter__()  # a failure here should say what broke
    env = SimpleNamespace(root=folder, npz=npz, runs=folder / "runs")
    rows, failures = [], []

    # Phase 1: everyone trains at once.
    sessions: list = []
    seen = run_sessions(sessions, env, slots, gate, count=args.sessions, epochs=args.epochs)
    training.train = real_train
    identical = all(
        figures(v.job.snapshot().records[0]) == figures(training.run_training(v.job.settings_list[0], v.job.data))
        for v in seen["visitors"]
    )
    finished = sum(v.job.snapshot().state == JobState.FINISHED for v in seen["visitors"])
    store = store_from_environment()
    # Saved = in the store, in its own visitor's space, and nowhere else.
    saved = sum(
        [run.record.run_id for run in store.space_runs(private_space(v.at.session_state["visitor_id"]))]
        == [v.job.snapshot().records[0].run_id]
        for v in seen["visitors"]
    )
    renders = sorted(seen["renders"])
    rows.append(
        [
            "train at once",
            args.sessions + 1,
            args.sessions,
            seen["max_waiting"],
            seen["max_in_use"],
            f"{seen['wall']:.1f}",
            f"{renders[len(renders) // 2]:.2f} / {renders[-1]:.2f}",
            "yes" if identical else "NO",
            f"{finished}/{args.sessions}",
            saved,
            f"{seen['threads_before']} → {seen['threads_after']}",
        ]
    )
    if not identical:
        failures.append("a run's figures differ from the same run alone")
    if finished != args.sessions or saved != args.sessions or store.count_runs() != args.sessions:
        failures.append("a run did not finish, or was not saved in its visitor's space alone")
    if seen["threads_after"] != seen["threads_before"] or slots.in_use:
        failures.append("threads or slots left behind after phase 1")
    sessions.clear()
    del seen
    gc.collect()

    # Phase 2: as many visitors start long runs, then all close their tabs.
    threads_before = len(live_job_threads())
    started = time.monotonic()
    leaving = [open_session(sessions, seed=500 + i, epochs=200) for i in range(args.sessions)]
    jobs = [press_train(at, ["fit", "train_on_batch", "custom_loop"][i % 3]) for i, at in enumerate(leaving)]
    wait_for(lambda: slots.in_use == slots.capacity, "the slots to fill")
    max_waiting = sum(job.snapshot().state == JobState.WAITING for job in jobs)
    peak_threads = len(live_job_threads())
    closed = time.monotonic()
    sessions.clear()
    del leaving
    try:  # the server's collector, run for it: see collect_until
        collect_until(lambda: all(job.join(0.1) for job in jobs), "the closed sessions' watches to end")
        # Nobody watches the computations any more: each job stops, saves and ends its thread.
        wait_for(lambda: len(live_job_threads()) == threads_before, "the jobs under them to end")
        ended = True
    except AssertionError:
        ended = False
    stop_seconds = time.monotonic() - closed
    states = [job.snapshot().state for job in jobs]
    never_trained = sum(1 for job in jobs if not job.snapshot().records)
    stopped_records = sum(
        1 for job in jobs for r in job.snapshot().records if getattr(store.get_run(r.run_id), "status", None) == RunStatus.STOPPED
    )
    threads_after = len(live_job_threads())
    rows.append(
        [
            "close mid-run",
            args.sessions,
            args.sessions,
            max_waiting,
            args.slots,
            f"{time.monotonic() - started:.1f} (stop {stop_seconds:.1f})",
            "–",
            "–",
            f"{states.count(JobState.STOPPED)}/{args.sessions} stopped ({never_trained} while waiting)",
            stopped_records,
            f"{threads_before} → {peak_threads} → {threads_after}",
        ]
    )
    if not ended or states.count(JobState.STOPPED) != args.sessions or threads_after != threads_before or slots.in_use:
        failures.append("a closed session's job did not stop, or left its thread or slot")
    if stopped_records != args.sessions - never_trained:
        failures.append("a closed session's run that had started was not saved as stopped")

    # Phase 3: a writer killed (SIGKILL) at random moments while it rewrites records.
    from support import kill_while_writing

    crash_folder = folder / "crash-runs"
    ids = [f"20260101-000000-fit-kill{i}" for i in range(args.sessions)]
    try:
        reported = kill_while_writing(crash_folder, ids, rounds=args.kills, seed=3)
        lost = len(set(ids) - set(reported))
    except AssertionError as error:
        failures.append(f"records after a kill: {error}")
        reported, lost = {}, "?"

    print(f"Load test · {machine_line()}")
    print(
        f"{args.sessions} visitors (+1 watching), {args.epochs} epochs each, {args.slots} slots, "
        f"fixture data of {args.newswires:,} newswires\n"
    )
    print(
        markdown_table(
            [
                "phase",
                "sessions",
                "jobs",
                "max waiting",
                "max training",
                "wall s",
                "page render s (median / max)",
                "records identical alone",
                "ended",
                "records saved",
                "training threads",
            ],
            rows,
        )
    )
    print(
        f"\nKilled a process saving runs to a SQLite store {args.kills} times (SIGKILL, random moments): "
        f"{len(ids)} runs saved again and again up to version {max(reported.values(), default=0)}; "
        f"checked after every kill that each run loads whole and none is older than its last confirmed save; "
        f"runs lost: {lost}."
    )
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
