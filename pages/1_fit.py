"""Method 1: model.fit, controlled through callbacks."""

from core.training import _ReportToRun, fit_control_callbacks, train_with_fit
from ui.method_page import method_page

method_page(
    "fit",
    "1 · model.fit",
    """
`model.fit` is the most powerful built-in way to train: it takes NumPy arrays, a
`tf.data.Dataset` or a Python generator, runs the loop for you, and lets you steer
it **through callbacks**. This page's progress bar and charts come from a callback
(`_ReportToRun`); in the sidebar's *Method options* you can add `EarlyStopping`
or `ReduceLROnPlateau` and watch their effect on the curves.
""",
    [
        (train_with_fit, "The function that trains (this exact code runs)"),
        (_ReportToRun, "The callback that reports progress and honours Stop"),
        (fit_control_callbacks, "The optional control callbacks"),
    ],
)
