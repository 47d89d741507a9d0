"""`python -m core`: a real process on the fixture file, its exit codes, its output, its records, Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from core.cli import build_parser, main, settings_from_args
from core.methods import names
from core.settings import RunSettings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--max-len", "40", "--batch-size", "16"]
EPOCH_LINE = re.compile(
    rf"^({'|'.join(names())}) +epoch "
    r"(\d+)/(\d+)  loss \d+\.\d{4}  accuracy \d\.\d{4}  top5 \d\.\d{4}  "
    r"val_loss \d+\.\d{4}  val_accuracy \d\.\d{4}  val_top5 \d\.\d{4}  lr [\d.e-]+  \d+\.\ds$",
    re.MULTILINE,
)
BAR_LINE = re.compile(r"^={80} \d\d:\d\d:\d\d$", re.MULTILINE)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ.copy(),
    )


def saved_records(folder: Path) -> list[dict]:
    """The runs the command line saved in the store under `folder` (the server's own space)."""
    from core.store import SERVER_SPACE, RunStore

    database = folder / "runs.sqlite3"
    if not database.exists():
        return []
    return [run.record.to_dict() for run in RunStore(f"sqlite:///{database}").space_runs(SERVER_SPACE)]


def test_trains_every_method_prints_each_epoch_and_saves(fixture_npz, tmp_path):
    runs = tmp_path / "runs"
    result = run_cli("--data", str(fixture_npz), "--epochs", "1", *TINY, "--runs-dir", str(runs))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    epochs = EPOCH_LINE.findall(result.stdout)
    assert epochs == [(name, "1", "1") for name in names()]
    assert len(BAR_LINE.findall(result.stdout)) == len(names())
    assert "192 training and 48 test newswires" in result.stdout
    records = saved_records(runs)
    assert sorted(r["method"] for r in records) == sorted(names())
    assert all(r["status"] == "finished" and len(r["epochs"]) == 1 for r in records)
    assert all(r["settings"]["max_len"] == 40 and r["settings"]["batch_size"] == 16 for r in records)
    for record in records:
        assert f"saved as {record['run_id']} in sqlite:///{runs / 'runs.sqlite3'}" in result.stdout
        assert record["fingerprint"]  # the command line's runs feed the app's result cache
        assert f"{record['method']}: finished after 1 epoch(s), best val_accuracy" in result.stdout


def test_bad_settings_exit_2_with_every_problem(fixture_npz):
    result = run_cli("--data", str(fixture_npz), "--epochs", "0", "--learning-rate", "nan", "--max-len", "5")
    assert result.returncode == 2
    assert "epochs must be between 1 and 200, got 0" in result.stderr
    assert "max_len must be between 14 and 2000, got 5" in result.stderr
    assert "learning_rate must be a finite number" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_data_file_exits_2_naming_the_variable(tmp_path):
    result = run_cli("--data", str(tmp_path / "missing.npz"), "--epochs", "1")
    assert result.returncode == 2
    assert "REUTERS_NPZ_PATH" in result.stderr
    assert str(tmp_path / "missing.npz") in result.stderr
    assert "Traceback" not in result.stderr


def test_variable_naming_a_missing_file_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(tmp_path / "gone.npz"))
    result = run_cli("--epochs", "1")
    assert result.returncode == 2
    assert f"REUTERS_NPZ_PATH points at {tmp_path / 'gone.npz'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_the_run_and_saves_it_as_stopped(fixture_npz, tmp_path):
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "--data", str(fixture_npz), "--method", "all", "--epochs", "200", *TINY,
         "--runs-dir", str(runs)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip
    try:
        seen = []
        for line in process.stdout:  # wait for the first epoch: the handler is in place by then
            seen.append(line)
            if EPOCH_LINE.match(line.rstrip("\n")):
                break
        else:
            pytest.fail("the CLI ended before its first epoch:\n" + "".join(seen) + process.stderr.read())
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, errors
    assert "Stopping after the current batch" in errors
    assert "Traceback" not in errors
    (record,) = saved_records(runs)  # the other two methods never started
    assert record["method"] == "fit" and record["status"] == "stopped"
    assert 1 <= len(record["epochs"]) < 200
    assert "fit: stopped after" in rest


# ---------------------------------------------------------------------------
# In process: the parts that need no new TensorFlow start-up


def parse(*argv: str) -> list[RunSettings]:
    return settings_from_args(build_parser().parse_args(list(argv)))


def test_flags_map_onto_run_settings():
    (settings,) = parse(
        "--method", "train_on_batch", "--epochs", "3", "--batch-size", "8", "--max-len", "50",
        "--learning-rate", "0.01", "--seed", "4", "--lr-halving-epoch", "2", "--steps-per-execution", "2",
    )  # fmt: skip
    assert settings == RunSettings(
        method="train_on_batch", epochs=3, batch_size=8, max_len=50, learning_rate=0.01, seed=4,
        lr_halving_epoch=2, steps_per_execution=2,
    )  # fmt: skip


def test_unset_flags_keep_the_defaults_and_all_means_every_method():
    settings = parse()
    assert [s.method for s in settings] == list(names())
    assert all(s == RunSettings(method=s.method) for s in settings)


def test_lr_halving_epoch_none():
    assert parse("--lr-halving-epoch", "none")[0].lr_halving_epoch is None
    assert parse("--lr-halving-epoch", "None")[0].lr_halving_epoch is None


def test_invalid_settings_raise():
    with pytest.raises(SettingsError):
        parse("--batch-size", "0")


def test_an_invalid_file_exits_2_without_a_traceback(tmp_path, capsys):
    broken = tmp_path / "reuters.npz"
    broken.write_text("not a zip")
    assert main(["--data", str(broken), "--epochs", "1", *TINY]) == 2
    err = capsys.readouterr().err
    assert "is not a .npz archive" in err and "Traceback" not in err


def test_no_save_writes_nothing(fixture_npz, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(tmp_path / "runs"))
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data", str(fixture_npz), "--method", "custom_loop", "--epochs", "2", *TINY, "--no-save"], out, err)
    assert code == 0, err.getvalue()
    assert [m[:2] for m in EPOCH_LINE.findall(out.getvalue())] == [("custom_loop", "1"), ("custom_loop", "2")]
    assert "not saved (--no-save)" in out.getvalue()
    assert not (tmp_path / "runs").exists()


def test_default_runs_folder_is_the_variable(fixture_npz, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINING_RUNS_DIR", str(tmp_path / "runs"))
    out = io.StringIO()
    assert main(["--data", str(fixture_npz), "--method", "fit", "--epochs", "1", *TINY], out, io.StringIO()) == 0
    (record,) = saved_records(tmp_path / "runs")
    assert record["status"] == "finished"


def test_a_failed_run_exits_1(fixture_npz, monkeypatch):
    from core import training

    real_trainer = training.train_with_custom_loop

    def broken_trainer(settings, data, hooks):
        def explode(epoch, done, total):
            raise RuntimeError("injected")

        return real_trainer(settings, data, replace(hooks, on_batch=explode))

    monkeypatch.setattr(training, "train_with_custom_loop", broken_trainer)
    out = io.StringIO()
    code = main(["--data", str(fixture_npz), "--method", "custom_loop", "--epochs", "1", *TINY, "--no-save"], out, io.StringIO())
    assert code == 1
    assert "custom_loop: failed. RuntimeError: injected" in out.getvalue()
