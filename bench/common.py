"""Shared by the benchmarks: the data, medians, markdown tables, the machine line.

Benchmarks report ratios against a baseline measured in the same run, never
absolute targets: these machines are shared and noisy.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def load_data(max_len: int = 300):
    """The real data through REUTERS_NPZ_PATH (or the Keras cache); fixture data when neither exists."""
    from core.data import DataError, prepare_data

    try:
        return prepare_data(max_len, download=False), "Reuters (real)"
    except DataError:
        from fixture_data import write_fixture_npz

        path = write_fixture_npz(Path(tempfile.mkdtemp()) / "reuters.npz", newswires=3000)
        return prepare_data(max_len, path, download=False), "fixture (3,000 synthetic newswires: set REUTERS_NPZ_PATH for real figures)"


def median(values) -> float:
    return statistics.median(values)


def machine_line() -> str:
    from importlib import metadata

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("tensorflow-cpu", "keras", "streamlit") if _installed(p))
    return f"{date.today()} · {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()} · {versions}"


def _installed(package: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(package)
        return True
    except metadata.PackageNotFoundError:
        return False


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines)
