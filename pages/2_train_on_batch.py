"""Method 2: a loop of train_on_batch / test_on_batch, with the learning rate halved mid-run."""

from core.training import BatchAverages, train_with_batches
from ui.method_page import method_page

method_page(
    "train_on_batch",
    "2 · train_on_batch loop",
    """
More flexible than `fit`: **you** write the loop over epochs and batches and call
`model.train_on_batch` / `model.test_on_batch`, so you can change anything between
two batches without a callback. As in the chapter, the learning rate is halved when
epoch 5 starts (the dashed rule on the charts; set the epoch in *Method options*).

Keras 3.15 resets the metrics at every `train_on_batch` call, so each call returns
one batch's figures; the loop averages them over the epoch (weighted by batch size)
to report the same epoch figures as `fit`. The chapter, written for TF 2.1, printed
the *last batch* only, which is why its train accuracy reads 0.909 = 20/22.
""",
    [
        (train_with_batches, "The function that trains (this exact code runs)"),
        (BatchAverages, "How batch results become epoch figures"),
    ],
    show_learning_rate=True,
)
