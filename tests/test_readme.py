"""The README's commands are the ones that work: each is checked here or run by CI.

The two install commands are what .ci/run executes (checked word for word);
every `python -m core` example is run on fixture data, with --epochs 1 and
--data appended so it finishes in seconds (argparse keeps the last value); the
README's platform table is what requirements.txt's markers select.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_data import write_fixture_npz
from packaging.markers import default_environment
from packaging.requirements import Requirement

from core import methods

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_SCRIPT = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def bash_blocks() -> list[str]:
    return [
        line.strip() for block in re.findall(r"```bash\n(.*?)```", README, re.S) for line in block.splitlines() if line.strip()
    ]


def test_the_test_command_in_the_readme_is_what_ci_runs():
    test_commands = [c for c in bash_blocks() if "pytest" in c]
    assert test_commands == ["python -m pip install -q -r requirements-dev.txt && python -m pytest"]
    assert test_commands[0] in CI_SCRIPT


def test_the_readme_shows_every_picture_in_docs_one_per_method_page():
    """docs/make_screenshots.py writes docs/<method>.png for each method of the registry, and more; all are shown."""
    shown = set(re.findall(r"\]\((docs/[^)\s]+\.png)\)", README))
    assert shown == {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.png")}
    assert {f"docs/{name}.png" for name in methods.names()} <= shown


def test_the_run_command_installs_the_app_requirements_and_starts_app_py():
    assert "python -m pip install -r requirements.txt && streamlit run app.py" in bash_blocks()


@pytest.mark.parametrize("command", [c for c in bash_blocks() if c.startswith("python -m core")])
def test_command_line_examples_run(command, tmp_path):
    data = write_fixture_npz(tmp_path / "reuters.npz")
    args = shlex.split(command)[3:] + [
        "--epochs",
        "1",
        "--max-len",
        "40",
        "--data",
        str(data),
        "--runs-dir",
        str(tmp_path / "runs"),
    ]
    result = subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )  # a hang guard only
    assert result.returncode == 0, result.stderr[-2000:]
    assert "epoch 1/1" in result.stdout


# What pip's environment markers see on each platform the README's table names.
PLATFORM_MARKERS = {
    "Linux x86_64": {"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux", "os_name": "posix"},
    "Linux ARM64": {"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux", "os_name": "posix"},
    "macOS arm64": {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin", "os_name": "posix"},
    "Windows x86_64": {"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows", "os_name": "nt"},
}
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


def readme_platform_table() -> dict[str, str]:
    """Platform (the row's words before any parenthesis) -> the TensorFlow package the README says it gets."""
    rows = re.findall(r"^\| ([^|(]+?)(?: \([^|]*\))? \| `(tensorflow(?:-cpu)?)`", README, re.M)
    return dict(rows)


def selected_requirements(platform: str, python: str) -> list[str]:
    """requirements.txt's lines whose markers hold on `platform` under `python`, as pip would decide."""
    environment = (
        default_environment() | PLATFORM_MARKERS[platform] | {"python_version": python, "python_full_version": python + ".0"}
    )
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip() and not line.startswith("-")]
    return [f"{r.name}{r.specifier}" for r in requirements if r.marker is None or r.marker.evaluate(environment)]


def test_the_readme_names_the_supported_pythons_and_ci_tests_the_newest():
    assert "Python 3.11, 3.12 and 3.13" in README and "Python 3.11–3.13" in README
    # CI finds pyenv's 3.13 and has the bare install (requirements.txt alone, every page, training) made with it.
    assert "/versions/3.13.*/bin/python" in CI_SCRIPT
    assert 'export BARE_INSTALL_PYTHON="$py313"' in CI_SCRIPT
    assert "BARE_INSTALL_PYTHON" in (ROOT / "tests" / "test_bare_install.py").read_text(encoding="utf-8")
    assert "also 3.13 (the bare install" in README


def test_the_readme_platform_table_is_what_the_requirement_markers_install():
    table = readme_platform_table()
    assert table == {
        "Linux x86_64": "tensorflow-cpu",
        "Linux ARM64": "tensorflow",
        "macOS arm64": "tensorflow",
        "Windows x86_64": "tensorflow",
    }, "the README's table changed: update PLATFORM_MARKERS and this test with it"
    everywhere = None
    for platform, package in table.items():
        for python in SUPPORTED_PYTHONS:
            chosen = selected_requirements(platform, python)
            tensorflows = [r for r in chosen if r.startswith("tensorflow")]
            assert tensorflows == [f"{package}==2.21.0"], (platform, python, chosen)
            others = sorted(set(chosen) - set(tensorflows))
            assert everywhere in (None, others), f"{platform}: the other pins differ by platform"
            everywhere = others
    assert "keras==3.15.1" in everywhere and len(everywhere) >= 5


def readme_variables_table() -> list[tuple[str, str]]:
    """(variable, default) of each row of the README's table under "### Environment variables"."""
    section = README.split("### Environment variables", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([A-Za-z_]+)` \| ([^|]+?) \|", section, re.M)


def test_the_readme_lists_exactly_the_variables_the_app_reads_with_their_defaults():
    from core.config import variables

    table = readme_variables_table()
    assert len(table) == len({name for name, _default in table}), "a variable listed twice"
    assert table == [(name, default) for name, default, _meaning in variables()]


def test_no_module_reads_the_environment_but_core_config():
    """The settings object is the only reader: any other os.environ.get / getenv would be a variable the table misses."""
    readers = []
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("ui/**/*.py"), ROOT / "app.py", *ROOT.glob("pages/**/*.py")]:
        if path.name == "config.py" and path.parent.name == "core":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^]]+\](?!\s*=)", text):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == []
