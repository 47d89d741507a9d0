"""Accuracy: the three methods at the app's defaults on the real data, against the book's printed figures.

Each method trains once with the default settings (10 epochs, batch 32,
max_len 300, Nadam 0.001, seed 0; the batch loop halves its learning rate at
epoch 5, as in the chapter), and, unless --no-speed, once more with the speed
option for the first --speed-epochs epochs, whose figures must be the same. The book's best and final validation
accuracy come from core.reference.reference_summary() (the chapter's printouts,
TensorFlow 2.1, unseeded). The book's train_on_batch figures are last-batch
figures (22 newswires); its validation figures are whole-test-set ones, like ours.

    python bench/accuracy.py [--epochs 10] [--steps 32] [--no-speed]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from common import load_data, markdown_table, progress, section, summary_item, write_summary, yes_no
from support import FIGURES, figures


def best_and_final(record) -> tuple[float, int, float]:
    accuracies = [row.val_accuracy for row in record.epochs]
    best = max(accuracies)
    return best, accuracies.index(best) + 1, accuracies[-1]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10, the book's)")
    parser.add_argument("--steps", type=int, default=32, help="steps_per_execution of the speed-option runs (default 32)")
    parser.add_argument(
        "--speed-epochs",
        type=int,
        default=5,
        help="epochs of the speed-option runs, compared with the plain runs' first epochs (default 5: past the batch loop's halving)",
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the speed-option runs")
    parser.add_argument("--summary-json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from core.methods import names
    from core.reference import reference_summary
    from core.settings import RunSettings
    from core.states import RunStatus
    from core.training import run_training

    data, source = load_data()
    book = reference_summary().set_index("method")
    rows, summary = [], []
    for method in names():
        settings = RunSettings(method=method, epochs=args.epochs)
        plain = run_training(settings, data)
        assert plain.status == RunStatus.FINISHED, plain.message
        best, best_epoch, final = best_and_final(plain)
        progress(f"accuracy {method}: best {best:.4f} (epoch {best_epoch}), final {final:.4f}")
        # The chapter trained three methods; a method it does not have (fit with a custom train_step) has no book row.
        if method in book.index:
            book_best, book_epoch, book_final = (
                book.loc[method, key] for key in ("best_val_accuracy", "best_epoch", "final_val_accuracy")
            )
            book_text = f"book: {book_best:.4f} (epoch {book_epoch}) / {book_final:.4f}"
            book_cells = [f"{book_best:.4f} (epoch {book_epoch})", f"{book_final:.4f}"]
            differences = [f"{best - book_best:+.4f}", f"{final - book_final:+.4f}"]
        else:
            book_text = "not in the book"
            book_cells, differences = ["—", "—"], ["—", "—"]
        summary.append(
            summary_item(
                f"accuracy, {method}: best / final validation accuracy",
                f"{best:.4f} (epoch {best_epoch}) / {final:.4f}",
                book_text,
                None,
            )
        )
        row = [
            method,
            *book_cells,
            f"{best:.4f} (epoch {best_epoch})",
            f"{final:.4f}",
            *differences,
            f"{plain.epochs[-1].val_top5_accuracy:.4f}",
        ]
        if not args.no_speed:
            fast = run_training(
                replace(settings, epochs=min(args.speed_epochs, args.epochs), steps_per_execution=args.steps), data
            )
            first = figures(plain, 4)[: len(fast.epochs)]
            same = fast.status == RunStatus.FINISHED and figures(fast, 4) == first
            difference = max(
                (abs(a - b) for x, y in zip(figures(fast, 7), figures(plain, 7)) for a, b in zip(x, y)), default=float("nan")
            )
            row.append(f"{yes_no(same)} (largest difference {difference:.1e})")
            summary.append(
                summary_item(
                    f"speed option, {method}: every epoch figure equal to the plain run's (real data, {len(fast.epochs)} epochs)",
                    f"largest difference {difference:.1e}",
                    "equal to 4 decimals",
                    same,
                )
            )
            progress(f"accuracy {method} speed option: same figures to 4 decimals: {same}, largest difference {difference:.1e}")
        rows.append(row)
    headers = [
        "method",
        "book best val acc",
        "book final",
        "app best val acc",
        "app final",
        "Δ best",
        "Δ final",
        "app final top-5",
    ]
    if not args.no_speed:
        headers.append(
            f"speed option (k={args.steps}), {min(args.speed_epochs, args.epochs)} epochs: all {len(FIGURES)} figures of every epoch equal to the plain run's to 4 decimals"
        )
    text = section(
        "Accuracy at the defaults against the book",
        source,
        f"{args.epochs} epochs, default settings, seed 0",
        markdown_table(headers, rows),
        "The book ran TensorFlow 2.1 with unseeded weights and one batch order for every epoch (its "
        "pipeline caches after the shuffle); the app seeds its weights and reshuffles every epoch, so the "
        "figures can agree in level and shape, not digit for digit.",
    )
    print(text, flush=True)
    write_summary(args.summary_json, summary)
    return text


if __name__ == "__main__":
    main()
