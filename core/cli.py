"""The command line: train one method or all of them on the Reuters data and print each epoch.

    python -m core --method custom_loop --epochs 3
    python -m core --data ~/reuters.npz --method all --no-save

Settings come from flags into the one `RunSettings` (unset flags keep its
defaults), data from the usual lookup (`--data`, $REUTERS_NPZ_PATH, the Keras
cache, a download), and every run is saved in the run store (core.store) like the app's. Each
epoch prints a line in the spirit of the chapter's `printbar()` output. Ctrl-C
stops the run after the current batch and saves it as "stopped"; a second
Ctrl-C quits at once.

Exit codes: 0 every run finished, 1 a run failed, 2 bad settings or no usable
data, 130 stopped with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from core import methods
from core.settings import CHOSEN_FIELDS, OPTIONAL_FIELDS, RunSettings, SettingsError
from core.states import RunStatus

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


# What each setting's flag does, for --help (the settings themselves are core.settings.RunSettings').
FLAG_HELP = {
    "epochs": "passes over the training set",
    "batch_size": "newswires per step",
    "max_len": "tokens kept per newswire",
    "learning_rate": "Nadam's initial rate",
    "seed": "initial weights and batch order",
    "lr_halving_epoch": "train_on_batch: halve the rate when this epoch starts",
    "steps_per_execution": "batches per compiled call (same figures, faster)",
    "early_stopping_patience": "fit: stop after this many epochs without a better val_loss",
    "reduce_lr_patience": "fit: halve the rate after this many epochs without a better val_loss",
}


def _optional_int(text: str) -> int | None:
    """An int, or `none` for "never"."""
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'none', got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    defaults = RunSettings()
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Train the Reuters newswire classifier with model.fit, a train_on_batch loop "
        "or a custom GradientTape loop, and print each epoch.",
        epilog="Exit codes: 0 finished, 1 a run failed, 2 bad settings or no data, 130 stopped with Ctrl-C.",
    )
    parser.add_argument(
        "--method", choices=[*methods.names(), "all"], default="all", help="which trainer (default: all, one after the other)"
    )
    # One flag per setting a visitor chooses, named after its RunSettings field; unset keeps the default.
    for name in CHOSEN_FIELDS:
        default = getattr(defaults, name)
        if name in OPTIONAL_FIELDS:  # None is a value here ("never"), so an unset flag is left out altogether
            options: dict[str, Any] = {"type": _optional_int, "default": argparse.SUPPRESS}
            shown = "none" if default is None else default
            help_text = f"{FLAG_HELP[name]}, or 'none' (default {shown})"
        else:
            options = {"type": float if isinstance(default, float) else int}
            help_text = f"{FLAG_HELP[name]} (default {default})"
        parser.add_argument(f"--{name.replace('_', '-')}", help=help_text, **options)
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="a reuters.npz (default: $REUTERS_NPZ_PATH, then the Keras cache, then a download)",
    )
    parser.add_argument(
        "--runs-dir",
        metavar="PATH",
        help="folder of the run database runs.sqlite3 (default: $TRAINING_DB_PATH, else $TRAINING_RUNS_DIR or runs/; $DATABASE_URL wins)",
    )
    parser.add_argument("--no-save", action="store_true", help="do not save run records")
    return parser


def settings_from_args(args: argparse.Namespace) -> list[RunSettings]:
    """One validated RunSettings per method to train; raises SettingsError."""
    given = {
        name: getattr(args, name)
        for name in CHOSEN_FIELDS
        if hasattr(args, name) and (name in OPTIONAL_FIELDS or getattr(args, name) is not None)
    }
    chosen = methods.names() if args.method == "all" else (args.method,)
    return [RunSettings(method=method, **given).validate() for method in chosen]


def epoch_line(method: str, width: int, row, epochs: int) -> str:
    """One epoch, the way the chapter prints it: the figures, the rate, the time taken."""
    return (
        f"{method:<{width}}  epoch {row.epoch}/{epochs}  loss {row.loss:.4f}  accuracy {row.accuracy:.4f}  "
        f"top5 {row.top5_accuracy:.4f}  val_loss {row.val_loss:.4f}  val_accuracy {row.val_accuracy:.4f}  "
        f"val_top5 {row.val_top5_accuracy:.4f}  lr {row.learning_rate:g}  {row.seconds:.1f}s"
    )


def summary_line(record) -> str:
    """How a run ended, with its best and final validation accuracy."""
    summary = f"{record.method}: {record.status}"
    if record.epochs:
        best = record.best_epoch
        summary += (
            f" after {len(record.epochs)} epoch(s), best val_accuracy {best.val_accuracy:.4f} (epoch {best.epoch}), "
            f"final {record.epochs[-1].val_accuracy:.4f}"
        )
    if record.message:
        summary += f". {record.message}"
    return summary


def printbar(time_of_day: str, out: TextIO) -> None:
    """The chapter's printbar(): a rule and the time."""
    print("=" * 80, time_of_day, file=out, flush=True)


class _StopOnInterrupt:
    """While active, the first Ctrl-C sets the stop Event; a second one interrupts for real."""

    def __init__(self, stop: threading.Event, err: TextIO):
        self.stop, self.err, self.previous = stop, err, None

    def _handle(self, signum, frame) -> None:
        self.stop.set()
        print("\nStopping after the current batch (Ctrl-C again to quit at once)...", file=self.err, flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        settings_list = settings_from_args(args)
    except SettingsError as error:
        print("Invalid settings:", *(f"  - {problem}" for problem in error.problems), sep="\n", file=err)
        return EXIT_USAGE

    from core.data import DataError, find_reuters_file, prepare_data

    # An explicit file needs nothing from the internet, not even the optional word index.
    download = args.data is None
    try:
        # Found first, so a missing file is reported before TensorFlow spends seconds loading.
        found = find_reuters_file(args.data, download=download)
        data = prepare_data(settings_list[0].max_len, path=found, download=download)
    except DataError as error:
        print(f"No usable Reuters data: {error}", file=err)
        return EXIT_USAGE
    print(
        f"Reuters data: {data.source}\n"
        f"  {len(data.y_train):,} training and {len(data.y_test):,} test newswires, {data.vocab_size:,} word ids, "
        f"{data.num_classes} topics, padded to {data.max_len} tokens",
        file=out,
        flush=True,
    )

    from core.config import DB_PATH_ENV
    from core.fingerprint import run_fingerprint
    from core.records import RunRecord
    from core.runs.recorder import Recorder
    from core.store import SERVER_OWNER, SERVER_SPACE, store_from_environment
    from core.training import RunHooks, train

    if args.runs_dir:
        os.environ[DB_PATH_ENV] = str(Path(args.runs_dir).expanduser() / "runs.sqlite3")
    width = max(len(s.method) for s in settings_list)
    stop = threading.Event()
    records = []
    with _StopOnInterrupt(stop, err):
        for settings in settings_list:
            if stop.is_set():
                break

            def on_epoch(row, method=settings.method, epochs=settings.epochs) -> None:
                printbar(row.finished_at[11:19], out)
                print(epoch_line(method, width, row, epochs), file=out, flush=True)

            shown = ", ".join(f"{name}={value}" for name, value in settings.to_dict().items() if name != "method")
            print(f"\n{settings.method}: {shown}", file=out, flush=True)
            # The command line is the server's own: its runs feed the result cache the app reuses.
            record = RunRecord.start(
                settings.method, settings.to_dict(), fingerprint=run_fingerprint(settings, data.content_hash)
            )
            record = train(settings, data, RunHooks(on_epoch=on_epoch, stop=stop, record=record)).record
            records.append(record)
            where = "not saved (--no-save)"
            if not args.no_save:
                try:
                    store = store_from_environment()
                    # The server's own run: it counts against the server's quota only (core.store.make_room).
                    Recorder(store).trained_elsewhere(record, owner=SERVER_OWNER, space=SERVER_SPACE, display_name="command line")
                    where = f"saved as {record.run_id} in {store.engine.url.render_as_string(hide_password=True)}"
                except Exception as error:  # noqa: BLE001 - the figures above are printed; say why they are not kept
                    where = f"NOT saved: {type(error).__name__}: {error}"
            print(summary_line(record), f"  record {where}", sep="\n", file=out, flush=True)

    if len(records) > 1:
        print("\nmethod           status    epochs  best val_accuracy  final val_accuracy", file=out)
        for record in records:
            best = f"{record.best_val_accuracy:.4f}" if record.epochs else "-"
            final = f"{record.epochs[-1].val_accuracy:.4f}" if record.epochs else "-"
            print(f"{record.method:<16} {record.status:<9} {len(record.epochs):>6}  {best:>17}  {final:>18}", file=out)
    if stop.is_set():
        return EXIT_INTERRUPTED
    if any(record.status == RunStatus.FAILED for record in records):
        return EXIT_FAILED
    return 0
