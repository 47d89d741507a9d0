"""Method 1: model.fit, controlled through callbacks."""

from ui.method_page import method_page

method_page(
    "fit",
    "fit.title",
    "fit.intro",
    [
        ("train_with_fit", "source.fit.main"),
        ("ReportToRun", "source.fit.callback"),
        ("fit_control_callbacks", "source.fit.control"),
    ],
)
