"""The server CPU a live view costs per viewer, in process: this checkout against another, in the same run.

    python bench/live_view_cost.py --baseline /path/to/other/checkout            # 1, 10, 30 viewers
    python bench/live_view_cost.py --baseline ... --viewers 1,10 --seconds 20

A websocket bench (one real server, N sessions) measures everything, but on a shared machine its
timings move with the load of other processes. This one counts CPU time instead: for each checkout,
in a process of its own, N AppTest sessions draw a method page's live view (`status_line` and
`draw_method_run`) from a made-up run that advances as a real one does (8 batches a second, an epoch
every 35 s), each session redrawing what the checkout's fragments redraw in one second (the progress
line every second; the figures every second, or every `ui.live_run.FIGURES_REFRESH_SECONDS` where it
exists). Reported per viewer and second of the run: the thread CPU of the drawing itself (the app's
work, what the GIL takes from training), and the size of the elements drawn (before Streamlit's
forward-message cache, which spares unchanged large elements). AppTest's own overhead is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = textwrap.dedent(
    """
    import json, os, random, sys, time
    root, viewers, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, root)
    os.chdir(root)
    import types
    from streamlit.testing.v1 import AppTest
    from core.runs.handle import JobSnapshot
    from core.records import EpochRow, RunRecord
    from core.states import JobState, RunMessage
    import ui.live_run

    figures_every = getattr(ui.live_run, "FIGURES_REFRESH_SECONDS", 1.0)
    PER_EPOCH, PER_SECOND = 281, 8

    def snapshot(second):
        batches = 40 + PER_SECOND * second
        epochs = batches // PER_EPOCH
        record = RunRecord.start("fit", {"epochs": 4, "batch_size": 32}, fingerprint="bench")
        record.run_id, record.label = "20261130-120000-fit-bench0", "fit · 12:00:00"
        noise = random.Random(7)
        for step in range(1, batches + 1):
            record.add_batch(step, 1 + (step - 1) // PER_EPOCH, {"loss": 3 - step / 500 + noise.random() / 10,
                             "accuracy": noise.random()}, {"loss": 2.9 - step / 600, "accuracy": step / 2000})
        for epoch in range(1, epochs + 1):
            record.epochs.append(EpochRow(epoch, 1.2 / epoch, 0.7, 0.9, 1.3, 0.68, 0.88, 0.001, 35.0, "2026-11-30T12:00:00"))
        return JobSnapshot(state=JobState.RUNNING, methods=("fit",), current_method="fit", epoch=epochs + 1, epochs=4,
                           batches_done=batches % PER_EPOCH, batches_per_epoch=PER_EPOCH, seconds_left_in_epoch=9.0,
                           records=[record], message=RunMessage(), version=epochs, started_at=0.0, ended_at=None)

    # What the sessions' script draws, in a module the script imports (it runs in this process).
    shown = sys.modules["live_view_bench_state"] = types.ModuleType("live_view_bench_state")
    shown.snapshot, shown.figures, shown.cpu = None, True, 0.0

    def script():
        import time
        import live_view_bench_state as shown
        from ui.live_run import status_line
        from ui.views import draw_method_run
        began = time.thread_time()
        status_line(shown.snapshot)
        if shown.figures:
            draw_method_run(shown.snapshot)
        shown.cpu += time.thread_time() - began

    sessions = [AppTest.from_function(script, default_timeout=120) for _ in range(viewers)]
    size = 0
    for second in range(seconds):
        shown.snapshot = snapshot(second)
        shown.figures = second % max(1, round(figures_every)) == 0
        for at in sessions:
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            size += sum(e.proto.ByteSize() for e in at.get("vega_lite_chart"))
            size += sum(e.proto.ByteSize() for e in at.get("arrow_data_frame"))
        if second == 0:  # the first second builds what a server builds once: counted apart
            first, shown.cpu, size = shown.cpu, 0.0, 0
    per = viewers * (seconds - 1)
    print(json.dumps({"first_second_ms": first * 1000, "ms_per_viewer_second": shown.cpu / per * 1000,
                      "kb_per_viewer_second": size / per / 1000, "figures_every": figures_every}))
    """
)


def measure(root: Path, viewers: int, seconds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:  # AppTest reads its script's source from a file
        worker = Path(folder) / "live_view_worker.py"
        worker.write_text(WORKER, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(worker), str(root), str(viewers), str(seconds)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    if done.returncode != 0:
        raise SystemExit(f"{root}: the worker failed\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="the checkout to compare with (e.g. main)")
    parser.add_argument("--viewers", default="1,10,30")
    parser.add_argument("--seconds", type=int, default=12, help="seconds of the run each viewer watches")
    args = parser.parse_args(argv)
    print(
        "| viewers | checkout | drawing CPU per viewer and second | × baseline | first second (builds) | elements drawn per viewer and second |"
    )
    print("|---|---|---|---|---|---|")
    for viewers in [int(v) for v in args.viewers.split(",")]:
        base = measure(args.baseline.resolve(), viewers, args.seconds)
        mine = measure(ROOT, viewers, args.seconds)
        for name, row in (("baseline", base), ("this", mine)):
            ratio = row["ms_per_viewer_second"] / base["ms_per_viewer_second"] if base["ms_per_viewer_second"] else float("nan")
            print(
                f"| {viewers} | {name} | {row['ms_per_viewer_second']:.1f} ms | {ratio:.2f}× | {row['first_second_ms']:.0f} ms "
                f"| {row['kb_per_viewer_second']:.1f} kB |"
            )


if __name__ == "__main__":
    main()
