"""The benchmarks run from one command and their written analysis quotes what they measured.

Runs `bench/run_all.py --quick` on the small fixture file (seconds of training, not
minutes) for the scripts that need no browser or profiler, then checks that the
document holds each printed table and that every figure the analysis quotes for
them was found in the scripts' summaries (a renamed summary line would otherwise
turn into "n/a" silently).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from analysis import analysis
from run_all import README_END, README_START, replace_readme_section

QUICK = ("overhead", "speed", "accuracy")


@pytest.fixture(scope="module")
def quick_run(fixture_npz, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    environment = {**os.environ, "REUTERS_NPZ_PATH": str(fixture_npz), "TRAINING_RUNS_DIR": str(folder / "runs")}
    environment.pop("REUTERS_WORD_INDEX_PATH", None)
    finished = subprocess.run(
        [
            sys.executable,
            "bench/run_all.py",
            "--quick",
            "--only",
            ",".join(QUICK),
            "--output",
            str(folder / "bench.md"),
            "--keep",
            str(folder / "keep"),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    summaries = {name: json.loads((folder / "keep" / f"{name}.json").read_text()) for name in QUICK}
    return (folder / "bench.md").read_text(encoding="utf-8"), summaries


def test_quick_run_writes_every_printed_table(quick_run):
    document, summaries = quick_run
    for title in ("### Overhead", "### Speed option", "### Accuracy at the defaults"):
        assert title in document
    assert "**The script failed**" not in document
    assert "data: Reuters (real)" not in document  # the fixture file was used, as asked
    for name in QUICK:
        assert summaries[name], f"{name} wrote no summary"
        for item in summaries[name]:
            assert item["what"] and item["value"] not in ("", None)


def test_the_analysis_finds_every_figure_it_quotes(quick_run):
    """Figures of the benchmarks that ran are found; the others' look-ups name lines their scripts write."""
    from analysis import readme_section

    _, summaries = quick_run
    misses: list = []
    text = analysis(summaries, misses) + readme_section(summaries, misses)
    assert not [miss for miss in misses if miss[0] in QUICK]
    scripts = {
        "pipeline": "pipeline.py",
        "profile": "profile_loops.py",
        "responsiveness": "responsiveness.py",
        "memory": "memory.py",
        "train_latency": "train_latency.py",
    }
    for bench, starts in misses:
        assert starts in (ROOT / "bench" / scripts[bench]).read_text(encoding="utf-8"), (bench, starts)
    assert str(summaries["overhead"][0]["value"]) in text  # the figures are the summaries' own


def test_readme_section_is_replaced_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# App\n\n## Benchmarks\n\nintro\n\n{README_START}\nold figures\n{README_END}\n\n## Next\n", encoding="utf-8"
    )
    replace_readme_section(readme, "new figures")
    assert (
        readme.read_text(encoding="utf-8")
        == f"# App\n\n## Benchmarks\n\nintro\n\n{README_START}\nnew figures\n{README_END}\n\n## Next\n"
    )
    with pytest.raises(SystemExit):
        plain = tmp_path / "plain.md"
        plain.write_text("# no markers\n", encoding="utf-8")
        replace_readme_section(plain, "x")


def test_the_project_readme_has_the_markers():
    content = (ROOT / "README.md").read_text(encoding="utf-8")
    assert content.index(README_START) < content.index(README_END)


@pytest.mark.timeout(900)  # a hang-guard: four servers on a busy machine, each row bounded by the bench itself
def test_class_watch_viewers_receive_progress_over_the_websocket(fixture_npz, tmp_path):
    """bench/class_watch.py --quick with 2 viewers on fixture data: both sessions get progress bars, every row is printed."""
    environment = {**os.environ, "REUTERS_NPZ_PATH": str(fixture_npz)}
    environment.pop("REUTERS_WORD_INDEX_PATH", None)
    summary_path = tmp_path / "class_watch.json"
    finished = subprocess.run(
        [sys.executable, "bench/class_watch.py", "--quick", "--rows", "2", "--summary-json", str(summary_path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=850,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    for row in ("| app | 1 | 1 |", "| baseline | 1 | 1 |", "| app | 2 | 2 |", "| baseline | 2 | 2 |"):
        assert row in finished.stdout
    figures = {item["what"]: item["value"] for item in json.loads(summary_path.read_text())}
    assert figures["2 viewers: viewers who received progress"] == "2 of 2"
    assert int(figures["2 viewers: progress updates received"]) >= 2
    assert figures["2 viewers: sessions failed or dropped"] == "0"
