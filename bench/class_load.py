"""A class pressing Train together: N students (app sessions) x K distinct settings, one server process.

    REUTERS_NPZ_PATH=../shared/data/reuters.npz python bench/class_load.py              # 30 x 3, 2 epochs
    python bench/class_load.py --students 8 --distinct 2 --before                       # with the unshared baseline

Each student is a real app session (Streamlit's AppTest, the app's own pages and
session state) that applies one of K settings (seeds 0..K-1) and presses Train on
the model.fit page, all within a second or two, as a class does. We measure:

- the time until every student has a finished run, against the time the K
  distinct runs take alone through the same slots (measured first, same process):
  the target is <= 1.5x, i.e. the cost grows with distinct settings, not students;
- how many runs were actually trained (the target: exactly K);
- the peak resident memory of the process (target < 1.5 GB);
- records lost: every student's run must be in their space of the store, finished.

`--before` adds the old behaviour as a row: every press trains its own run (the
fingerprint made unique per press), the way the app worked before issue 11.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import common  # noqa: F401 - sets up sys.path and quiet TensorFlow
from common import load_data, markdown_table, progress, section, summary_item, write_summary, yes_no
from support import open_page

from core.settings import RunSettings
from core.states import JobState, RunStatus, Source

APP = str(common.ROOT / "app.py")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def distinct_runs_alone(settings_list: list[RunSettings], data, slots: int) -> float:
    """The K distinct runs through the same cap, nobody else on the server: the baseline."""
    from core.runs.hub import Hub
    from core.runs.slots import JobSlots
    from core.runs.watch import Watch
    from core.store import RunStore

    hub = Hub(RunStore(f"sqlite:///{tempfile.mkdtemp()}/alone.sqlite3"), JobSlots(slots))
    began = time.monotonic()
    watches = [Watch(hub, [s], data, space="me:alone").start() for s in settings_list]
    for watch in watches:
        watch.join()
    return time.monotonic() - began


def a_class(students: int, settings_list: list[RunSettings], slots: int, share: bool) -> dict:
    """Students as app sessions pressing Train at once; returns what was observed."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import core.runs.hub
    import core.runs.jobs
    from core.runs.hub import Hub
    from core.runs.slots import JobSlots
    from core.store import private_space, store_from_environment

    runs_dir = Path(tempfile.mkdtemp(prefix="class-load-"))
    os.environ["TRAINING_RUNS_DIR"] = str(runs_dir)
    os.environ["TRAINING_PREPARE_AHEAD"] = "0"  # measured on its own in the responsiveness benchmark
    st.cache_resource.clear()
    cap = JobSlots(slots)
    core.runs.jobs.SERVER_SLOTS = cap
    hub = Hub(slots=cap)
    if not share:  # the old app: every press is its own computation
        counter = iter(range(10**9))
        hub.fingerprint = lambda settings, data: f"unshared-{next(counter)}"
    core.runs.hub._server_hub = hub

    sessions = []
    for number in range(students):
        settings = settings_list[number % len(settings_list)]
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        at.number_input(key="set_epochs").set_value(settings.epochs)
        at.number_input(key="set_seed").set_value(settings.seed)
        at.button(key="apply_settings").click().run()
        open_page(at, "fit").run()
        sessions.append(at)
    progress(f"{students} sessions open; pressing Train")
    began = time.monotonic()
    for at in sessions:
        at.button(key="train_fit").click().run()
        assert not at.exception, [e.value for e in at.exception]
    watches = [at.session_state["job"] for at in sessions]
    while any(w.snapshot().active for w in watches):
        time.sleep(0.2)
    wall = time.monotonic() - began
    store = store_from_environment()
    lost = 0
    for at, watch in zip(sessions, watches, strict=True):
        run_id = watch.snapshot().records[0].run_id
        saved = store.space_runs(private_space(at.session_state["visitor_id"]))
        if [(r.record.run_id, r.record.status) for r in saved] != [(run_id, RunStatus.FINISHED)]:
            lost += 1
    states = [w.snapshot().state for w in watches]
    return {
        "wall": wall,
        "trained": hub.jobs_started,
        "lost": lost,
        "finished": states.count(JobState.FINISHED),
        "joined": sum(Source.JOINED in w.snapshot().shared.values() for w in watches),
        "cached": sum(Source.CACHED in w.snapshot().shared.values() for w in watches),
    }


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--distinct", type=int, default=3, help="distinct settings among the students (seeds 0..K-1)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--before", action="store_true", help="also run the class the old way (every press trains)")
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    data, source = load_data(300)
    os.environ.setdefault("REUTERS_NPZ_PATH", str(Path(data.source)))
    settings_list = [RunSettings(epochs=args.epochs, seed=seed) for seed in range(args.distinct)]
    progress(f"baseline: {args.distinct} distinct runs alone on {args.slots} slots")
    alone = distinct_runs_alone(settings_list, data, args.slots)
    progress(f"baseline {alone:.1f} s; now the class")
    shared = a_class(args.students, settings_list, args.slots, share=True)
    rows = [
        [
            "one computation per distinct setting (now)",
            f"{shared['wall']:.1f}",
            f"{shared['wall'] / alone:.2f}",
            shared["trained"],
            shared["joined"],
            shared["cached"],
            shared["lost"],
        ]
    ]
    if args.before:
        before = a_class(args.students, settings_list, args.slots, share=False)
        rows.append(
            [
                "every press trains (before)",
                f"{before['wall']:.1f}",
                f"{before['wall'] / alone:.2f}",
                before["trained"],
                before["joined"],
                before["cached"],
                before["lost"],
            ]
        )
    peak = peak_rss_mb()
    table = markdown_table(
        [
            "class",
            "seconds until every student has a finished run",
            "x the distinct runs alone",
            "runs trained",
            "joined live",
            "from the cache",
            "records lost",
        ],
        rows,
    )
    met_time = shared["wall"] <= 1.5 * alone
    notes = (
        f"The {args.distinct} distinct runs alone took {alone:.1f} s on {args.slots} slots. "
        f"Targets: every student done within 1.5x that: {yes_no(met_time)}; exactly {args.distinct} runs trained: "
        f"{yes_no(shared['trained'] == args.distinct)}; peak RSS {peak:.0f} MB < 1,500 MB: {yes_no(peak < 1500)}; "
        f"0 records lost: {yes_no(shared['lost'] == 0)}. Students press Train one after another within "
        "about a second (each press is a page rerun), so a few join live and the rest, pressing after the first "
        "run of their setting ended, get the stored result."
    )
    text = section(
        "A class pressing Train together",
        source,
        f"{args.students} students (app sessions) x {args.distinct} distinct settings, fit, {args.epochs} epochs, "
        f"{args.slots} training slots",
        table,
        notes,
    )
    write_summary(
        args.summary_json,
        [
            summary_item(
                "class: time until all done / distinct runs alone", round(shared["wall"] / alone, 2), "<= 1.5", met_time
            ),
            summary_item("class: runs trained", shared["trained"], args.distinct, shared["trained"] == args.distinct),
            summary_item("class: peak RSS MB", round(peak), "< 1500", peak < 1500),
        ],
    )
    print(text)
    return text


if __name__ == "__main__":
    main()
