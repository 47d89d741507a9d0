"""The README's commands are the ones that work: each is checked here or run by CI.

The two install commands are what .ci/run executes (checked word for word);
every `python -m core` example is run on fixture data, with --epochs 1 and
--data appended so it finishes in seconds (argparse keeps the last value).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_data import write_fixture_npz

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_SCRIPT = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def bash_blocks() -> list[str]:
    return [line.strip() for block in re.findall(r"```bash\n(.*?)```", README, re.S) for line in block.splitlines() if line.strip()]


def test_the_test_command_in_the_readme_is_what_ci_runs():
    test_commands = [c for c in bash_blocks() if "pytest" in c]
    assert test_commands == ["python -m pip install -q -r requirements-dev.txt && python -m pytest"]
    assert test_commands[0] in CI_SCRIPT


def test_the_run_command_installs_the_app_requirements_and_starts_app_py():
    assert "python -m pip install -r requirements.txt && streamlit run app.py" in bash_blocks()


@pytest.mark.parametrize("command", [c for c in bash_blocks() if c.startswith("python -m core")])
def test_command_line_examples_run(command, tmp_path):
    data = write_fixture_npz(tmp_path / "reuters.npz")
    args = shlex.split(command)[3:] + ["--epochs", "1", "--max-len", "40", "--data", str(data), "--runs-dir", str(tmp_path / "runs")]
    result = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "epoch 1/1" in result.stdout
