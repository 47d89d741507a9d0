"""The training methods the app teaches, each defined once: its trainer, its page, its texts, its place.

Everything that lists the methods reads `REGISTRY`: the navigation and the home
table (ui/navigation.py, ui/home.py), Compare and "Train all" (every method in
order), the sweep, the run settings' `method` (core/settings.py), which trainer a
run calls (core/training.py `train`), the server's time budget, and the tests.
Adding a method is a trainer, an entry here and its texts in both catalogues
(`catalogue_keys` lists them).

This module is plain data: it imports nothing heavier than the standard library,
so the home page can list the methods before TensorFlow loads. A trainer is
named (`module`, `trainer`) rather than imported, and `trainer_function` looks it
up when a run starts.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Method:
    # The method's id: the run records' `method`, the page's URL path (/fit), the catalogue keys' prefix.
    name: str
    # The function that trains, by name in `module`: (settings, data, hooks) -> TrainedRun.
    trainer: str
    # What the page shows as "the code that runs", in order, the trainer first: (name in `module`,
    # caption suffix); the caption is the catalogue key `source.<name>.<suffix>`.
    sources: tuple[tuple[str, str], ...]
    # The budget's fixed cost of one run beyond its epochs (build, trace), in seconds (core/budget.py).
    seconds_per_run: float
    module: str = "core.training"
    icon: str = ":material/play_arrow:"
    # Halves the learning rate at `lr_halving_epoch`: its page shows the rate and marks the halving.
    halves_learning_rate: bool = False
    # Reports each batch's own figures (not the running mean over the epoch): its batch caption says so.
    reports_single_batches: bool = False
    # Steps as fit does from the same start (weights, batches, learning rate): Compare checks they agree.
    agrees_with_fit: bool = False


REGISTRY: list[Method] = [
    Method(
        name="fit",
        trainer="train_with_fit",
        sources=(("train_with_fit", "main"), ("ReportToRun", "callback"), ("fit_control_callbacks", "control")),
        seconds_per_run=6.0,
    ),
    Method(
        name="train_on_batch",
        trainer="train_with_batches",
        sources=(("train_with_batches", "main"), ("BatchAverages", "averages")),
        seconds_per_run=6.0,
        halves_learning_rate=True,
        reports_single_batches=True,
    ),
    Method(
        name="custom_loop",
        trainer="train_with_custom_loop",
        sources=(("train_with_custom_loop", "main"),),
        seconds_per_run=9.0,  # traces three functions
        agrees_with_fit=True,
    ),
    Method(
        name="custom_train_step",
        trainer="train_with_custom_train_step",
        sources=(("train_with_custom_train_step", "main"), ("CustomTrainStep", "step")),
        seconds_per_run=6.0,  # fit's cost: its one train function and one test function
        module="core.custom_train_step",
        agrees_with_fit=True,
    ),
]

# Per method, the catalogue keys its texts need (a test checks both catalogues have them).
METHOD_KEYS = (
    "method.{name}",  # its name in sentences and pickers
    "nav.{name}",  # its entry in the navigation (numbered by its place)
    "page.{name}",  # "training on <page>" in a run's status
    "home.link.{name}",  # its link under the home table
    "table.{name}.name",  # its row of the home table
    "table.{name}.control",
    "table.{name}.flexibility",
    "table.{name}.when",
    "{name}.title",  # its page's title (numbered by its place) and intro
    "{name}.intro",
    "cmp.method.{name}",  # its short name in chart labels
)


def names() -> tuple[str, ...]:
    """Every method's name, in the registry's order (the order of the navigation, Compare and Train all)."""
    return tuple(method.name for method in REGISTRY)


def method(name: str) -> Method:
    """The registry entry called `name`; KeyError when there is none."""
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    raise KeyError(name)


def number(name: str) -> int:
    """The method's place, from 1: its page is numbered so in the navigation and its title."""
    return names().index(name) + 1


def catalogue_keys(entry: Method) -> list[str]:
    """Every catalogue key the method's texts need."""
    keys = [key.format(name=entry.name) for key in METHOD_KEYS]
    return keys + [f"source.{entry.name}.{suffix}" for _, suffix in entry.sources]


# One thread at a time imports a method's module: a page's script thread and a job's thread importing two of
# them at once (each pulls in TensorFlow and Keras) could see a partly initialised Keras module, which a CI
# run showed as "module 'keras.src.backend' has no attribute 'standardize_dtype'" in every run on that server.
_IMPORTING = threading.RLock()


def source_module(entry: Method) -> Any:
    """The module that holds the method's trainer and shown sources (importing it may load TensorFlow)."""
    with _IMPORTING:
        return importlib.import_module(entry.module)


def trainer_function(name: str) -> Any:
    """The function that trains method `name`, looked up when called (so a test's replacement is the one used)."""
    entry = method(name)
    return getattr(source_module(entry), entry.trainer)


def numbered(place: int, text: str) -> str:
    """A page's title or navigation entry with its place in front, as the navigation numbers the pages."""
    return f"{place} · {text}"


def compare_number() -> int:
    """Compare's place: after every method."""
    return len(REGISTRY) + 1
