"""Run every benchmark, one process each, and write docs/benchmarks.md from exactly what they printed.

    REUTERS_NPZ_PATH=/path/to/reuters.npz python bench/run_all.py            # about 35 minutes on 2 cores, plus class_watch
    REUTERS_NPZ_PATH=/path/to/reuters.npz python bench/run_all.py --quick    # fewer epochs and rounds
    python bench/run_all.py --only overhead,speed --output /tmp/bench.md

Each script runs in a fresh Python process (no state carried between them),
prints its markdown on stdout (copied into the document unchanged) and its
progress on stderr (shown as it goes). The printed outputs are also kept in
--keep (default /tmp/bench-last) so `--reuse` can rebuild the document without
measuring again. Everything written to the document is printed too. A full
run (no --quick, no --only) also rewrites the README's benchmarks section,
between its two markers, with the same figures. class_watch's 14 rows each
start a server, and a row may last up to its --timeout (600 s) while many
viewers stretch a run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# name, script, arguments, quick arguments
SCRIPTS = [
    ("pipeline", "pipeline.py", [], ["--epochs", "3", "--repeats", "1"]),
    ("profile", "profile_loops.py", [], ["--epochs", "3"]),
    ("overhead", "overhead.py", [], ["--epochs", "3", "--rounds", "1"]),
    ("speed", "speed.py", [], ["--epochs", "3", "--rounds", "1"]),
    ("accuracy", "accuracy.py", [], ["--epochs", "3"]),
    ("responsiveness", "responsiveness.py", [], ["--reruns", "4", "--epochs", "1"]),
    ("memory", "memory.py", [], ["--epochs", "1", "--runs", "4"]),
    ("class", "class_load.py", ["--before"], ["--students", "6", "--distinct", "2", "--epochs", "1"]),
    ("first_paint", "first_paint.py", [], []),
    ("train_latency", "train_latency.py", [], ["--rounds", "1", "--read", "3"]),
    ("ray", "ray_scaling.py", [], ["--rounds", "1", "--runs", "2"]),
    ("class_watch", "class_watch.py", [], ["--quick"]),
]

INTRO = """# Benchmarks

What the app does for its users, measured by the scripts in `bench/` (issue 5). This file is written
by `python bench/run_all.py`: every table below is exactly what a script printed, in the run whose
date, machine and versions head each section. Run one script alone with `python bench/<name>.py`
(`--help` lists its flags for fewer epochs or rounds).

**How to read the numbers.** The machine is shared with other work (tests, browsers, other
servers: see the load average in each section), so absolute times are noise and never appear as
targets. Every timing is a ratio against a baseline measured in the same process and interleaved
with it: the variants of a comparison run in turns (A B C, then C B A, ...) so a load that drifts
during the benchmark falls on both sides, the first epoch of every run (tracing) is left out, and
the ratios are medians of per-round ratios. Every timing is taken twice: wall time (what a user
waits) and process CPU time (all threads; what the run costs the machine, and far less disturbed
by other processes than wall time). The baseline is the chapter's own code ported to Keras 3 with
no UI (`bench/reference_port.py`). Real data: `REUTERS_NPZ_PATH` (never copied into the repo).
"""


def run_script(name: str, script: str, arguments: list[str], keep: Path) -> tuple[str, list[dict], float]:
    summary_path = keep / f"{name}.json"
    summary_path.unlink(missing_ok=True)
    started = time.monotonic()
    print(f"\n>>> {script} {' '.join(arguments)}", file=sys.stderr, flush=True)
    finished = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments, "--summary-json", str(summary_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    seconds = time.monotonic() - started
    output = finished.stdout.strip()
    if finished.returncode != 0:
        output = (
            f"### {name}\n\n**The script failed** (exit code {finished.returncode}); its output:\n\n```\n{output[-3000:]}\n```"
        )
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else []
    (keep / f"{name}.md").write_text(output, encoding="utf-8")
    (keep / f"{name}.meta.json").write_text(json.dumps({"seconds": seconds, "arguments": arguments}), encoding="utf-8")
    print(f"<<< {script}: {seconds:.0f} s", file=sys.stderr, flush=True)
    return output, summary, seconds


def reuse_script(name: str, keep: Path) -> tuple[str, list[dict], float]:
    output = (keep / f"{name}.md").read_text(encoding="utf-8")
    summary_path = keep / f"{name}.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else []
    seconds = json.loads((keep / f"{name}.meta.json").read_text())["seconds"]
    return output, summary, seconds


def glance(summaries: dict[str, list[dict]]) -> str:
    lines = ["## Targets at a glance", "", "| benchmark | what | measured | target | met |", "|---|---|---|---|---|"]
    for name, items in summaries.items():
        for item in items:
            met = {True: "yes", False: "**no**", None: "–"}[item.get("met")]
            lines.append(f"| {name} | {item['what']} | {item['value']} | {item.get('target', '')} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer epochs and rounds (a few minutes)")
    parser.add_argument("--only", help="comma-separated subset: " + ",".join(name for name, *_ in SCRIPTS))
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="the document to write")
    parser.add_argument("--keep", default="/tmp/bench-last", help="folder for the printed outputs (default /tmp/bench-last)")
    parser.add_argument("--reuse", action="store_true", help="rebuild the document from --keep without measuring")
    parser.add_argument(
        "--readme", default=str(ROOT / "README.md"), help="the README whose benchmarks section a full run rewrites"
    )
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    args = parser.parse_args()

    from analysis import analysis, readme_section

    keep = Path(args.keep)
    keep.mkdir(parents=True, exist_ok=True)
    chosen = [s for s in SCRIPTS if not args.only or s[0] in args.only.split(",")]
    outputs, summaries, durations = {}, {}, {}
    for name, script, arguments, quick in chosen:
        if args.reuse:
            outputs[name], summaries[name], durations[name] = reuse_script(name, keep)
        else:
            outputs[name], summaries[name], durations[name] = run_script(name, script, quick if args.quick else arguments, keep)

    total = sum(durations.values())
    timing = ", ".join(f"{name} {seconds / 60:.1f}" for name, seconds in durations.items())
    document = (
        "\n\n".join(
            [
                INTRO.strip(),
                f"_Minutes each script took in the measurement shown (its section's first line has the date): {timing}; "
                f"{total / 60:.1f} in all{' (--quick)' if args.quick else ''}._",
                glance(summaries),
                "## Results",
                *outputs.values(),
                analysis(summaries).strip(),
            ]
        )
        + "\n"
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(document, encoding="utf-8")
    print(document)
    print(f"wrote {args.output}", file=sys.stderr)
    # Only a full run speaks for the README: a quick or partial one would put its rougher figures there.
    if not (args.quick or args.only or args.no_readme):
        section_text = readme_section(summaries, minutes=total / 60).strip()
        print(section_text)
        replace_readme_section(Path(args.readme), section_text)
        print(f"updated the benchmarks section of {args.readme}", file=sys.stderr)


README_START, README_END = "<!-- benchmarks: written by bench/run_all.py -->", "<!-- benchmarks: end -->"


def replace_readme_section(readme: Path, text: str) -> None:
    """Put `text` between the README's two markers, so its figures are the ones this run printed."""
    content = readme.read_text(encoding="utf-8")
    start, end = content.find(README_START), content.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme} has no '{README_START}' ... '{README_END}' markers")
    readme.write_text(content[: start + len(README_START)] + "\n" + text + "\n" + content[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
