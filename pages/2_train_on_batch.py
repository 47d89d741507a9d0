"""Method 2: a loop of train_on_batch / test_on_batch, with the learning rate halved mid-run."""

from ui.method_page import method_page

method_page(
    "train_on_batch",
    "train_on_batch.title",
    "train_on_batch.intro",
    [
        ("train_with_batches", "source.train_on_batch.main"),
        ("BatchAverages", "source.train_on_batch.averages"),
    ],
    show_learning_rate=True,
)
