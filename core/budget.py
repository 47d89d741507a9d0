"""What a run costs, the server's limits on it, and the refusals that name the setting to lower.

The per-field bounds of `core.settings` keep each number sane; they do not keep a
run affordable: `?batch_size=8192&max_len=2000` is within them and would need
about 20 GB. Here a run's peak memory and time are estimated from its settings
and the data's size (`estimate_run`; a sweep or a comparison is the total of its
runs, `estimate_total`) and checked against `Limits`, which the server's
environment sets (defaults sized for a 2-core server with 2.7 GB). A press of
Train is also checked against the runs its visitor already has waiting or
training and against the length of the server's queue (`admit`).

The estimate's constants are measured on the real data by `bench/run_cost.py`,
which prints the estimate against measured runs; they err on the safe side.
Refusals are data (`Refusal`: a reason, the setting to lower and the numbers),
so the page can say them in the visitor's language; `Refusal.message` is the
English sentence for logs and the command line.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from core import config, methods
from core.settings import WHOLE_BOUNDS, RunSettings

# The limits' variables and defaults (why these values: core.config).
MEMORY_ENV, MINUTES_ENV, QUEUE_ENV = config.MEMORY_ENV, config.MINUTES_ENV, config.QUEUE_ENV
PER_VISITOR_ENV = config.MAX_PER_VISITOR_ENV
DEFAULT_MEMORY_MB = config.Environment.max_run_memory_mb
DEFAULT_MINUTES = config.Environment.max_run_minutes
DEFAULT_RUNS_PER_VISITOR = config.Environment.max_runs_per_visitor
DEFAULT_QUEUE_LENGTH = config.Environment.max_queue

# The Keras split of the real Reuters file: what the estimate assumes when no data is at hand.
REUTERS_TRAIN_NEWSWIRES = 8982
REUTERS_TEST_NEWSWIRES = 2246

# -- the estimate's constants, measured by bench/run_cost.py on the real data (its table is in the README) --
# Peak memory a run adds to a server that has TensorFlow loaded: a fixed part (the model, its optimizer,
# the traced step), the step's activations and gradients, linear in batch_size x max_len (measured:
# +2.6 GB at 1024 x 2000, as the issue found), and the padded data with its copies, linear in
# newswires x max_len (the real file at max_len 2000 adds about 130 MB).
BASE_MB = 80.0
STEP_MB_PER_MILLION_CELLS = 1650.0  # per million batch_size x max_len
DATA_MB_PER_MILLION_CELLS = 8.0  # per million newswires x max_len
# Time, as the CPU seconds of the run's process (all threads): that is its wall time when two runs share two
# cores (the default), and unlike wall time it hardly moves with the machine's load. Per epoch, every token
# of every newswire (training and validation) costs time, more per token when a step's tensors are large,
# plus a fixed cost per training step; each run also builds its model and traces its step once (the custom
# loop traces three functions: each method's `seconds_per_run` in core/methods.py). Measured per run, one epoch: 6.6 s at the chapter's 32 x 300 on 2,500
# newswires (the fixed costs dominate), 11.6 s at 256 x 1000 on 2,500, 16.4 s at 1024 x 2000 on 1,280.
SECONDS_PER_MILLION_TOKENS = 1.5
LARGE_STEP_EXTRA_SECONDS_PER_MILLION_TOKENS = 13.0
LARGE_STEP_CELLS = 600_000  # batch_size x max_len from which a token costs the most
SECONDS_PER_STEP = 0.01
# On top of what was measured: a busy shared machine varies from run to run.
SAFETY = 1.2

# The settings a refusal may ask to lower, in the order they are proposed.
MEMORY_SETTINGS = ("batch_size", "max_len")
TIME_SETTINGS = ("epochs", "max_len")


@dataclass(frozen=True)
class Limits:
    """What one press of Train may cost on this server, and how many may wait."""

    memory_mb: int = DEFAULT_MEMORY_MB  # peak memory one run may add
    minutes: float = DEFAULT_MINUTES  # one press (a run, a comparison, a sweep) in total
    runs_per_visitor: int = DEFAULT_RUNS_PER_VISITOR  # presses one visitor may have waiting or training
    queue_length: int = DEFAULT_QUEUE_LENGTH  # runs waiting for a slot, server-wide


def limits_from_environment(environ: Mapping[str, str] | None = None) -> Limits:
    """The limits the environment sets; a missing, unreadable or non-positive value keeps its default."""
    env = config.environment(environ)
    return Limits(
        memory_mb=env.max_run_memory_mb,
        minutes=env.max_run_minutes,
        runs_per_visitor=env.max_runs_per_visitor,
        queue_length=env.max_queue,
    )


class SizedData(Protocol):
    """What the estimate reads of a dataset (core.data.PreparedData has it)."""

    y_train: Sequence
    y_test: Sequence


@dataclass(frozen=True)
class DataSize:
    train_newswires: int = REUTERS_TRAIN_NEWSWIRES
    test_newswires: int = REUTERS_TEST_NEWSWIRES

    @classmethod
    def of(cls, data: SizedData | None) -> DataSize:
        return cls() if data is None else cls(len(data.y_train), len(data.y_test))


@dataclass(frozen=True)
class RunCost:
    """A run's (or a press's) estimated peak memory and time."""

    memory_mb: float
    seconds: float
    runs: int = 1

    @property
    def minutes(self) -> float:
        return self.seconds / 60


def estimate_run(settings: RunSettings, size: DataSize | None = None) -> RunCost:
    """Peak memory and time of one run of `settings` on data of `size` (the real Reuters split by default)."""
    size = size or DataSize()
    newswires = size.train_newswires + size.test_newswires
    memory = (
        BASE_MB
        + STEP_MB_PER_MILLION_CELLS * settings.batch_size * settings.max_len / 1e6
        + DATA_MB_PER_MILLION_CELLS * newswires * settings.max_len / 1e6
    )
    step_cells = settings.batch_size * settings.max_len
    per_million_tokens = SECONDS_PER_MILLION_TOKENS + LARGE_STEP_EXTRA_SECONDS_PER_MILLION_TOKENS * min(
        1.0, step_cells / LARGE_STEP_CELLS
    )
    steps = math.ceil(size.train_newswires / settings.batch_size)
    epoch = per_million_tokens * newswires * settings.max_len / 1e6 + SECONDS_PER_STEP * steps
    seconds = methods.method(settings.method).seconds_per_run + settings.epochs * epoch
    return RunCost(memory_mb=SAFETY * memory, seconds=SAFETY * seconds)


def estimate_total(settings_list: Sequence[RunSettings], size: DataSize | None = None) -> RunCost:
    """One press over several runs (a comparison, a sweep): they train one after the other, so time adds up
    and memory is the largest run's."""
    costs = [estimate_run(settings, size) for settings in settings_list]
    return RunCost(
        memory_mb=max(cost.memory_mb for cost in costs),
        seconds=sum(cost.seconds for cost in costs),
        runs=len(costs),
    )


@dataclass(frozen=True)
class Refusal:
    """Why a press of Train is refused, as data: `reason` is one of REASONS; `setting` the one to lower
    (None when no setting helps); `values` the numbers a message quotes."""

    reason: str
    setting: str | None = None
    values: dict[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return ENGLISH[self.reason].format(setting=self.setting, **self.values)


REASONS = ("memory", "time", "visitor_runs", "queue_full")
# The English sentences (the page's catalogues say the same in each language, under "budget.refused.*").
ENGLISH = {
    "memory": (
        "This run would need about {need_mb:,} MB of memory, over this server's {limit_mb:,} MB per run: "
        "lower {setting} to at most {largest}."
    ),
    "time": (
        "This would train for about {need_minutes:,} minutes in all ({runs} run(s)), over this server's "
        "{limit_minutes} minutes per press: lower {setting} to at most {largest}."
    ),
    "visitor_runs": "You already have {active} run(s) waiting or training, this server's limit per visitor: wait for one to end.",
    "queue_full": "The training queue is full ({waiting} runs waiting for a slot): try again when a run ends.",
}


def _largest_that_fits(settings_list: Sequence[RunSettings], name: str, fits) -> int | None:
    """The largest value of `name` (applied to every run as a cap) with which `fits` holds; None if none does."""
    low, high = WHOLE_BOUNDS[name]
    high = min(high, max(getattr(s, name) for s in settings_list) - 1)

    def capped(value: int) -> list[RunSettings]:
        return [replace(s, **{name: min(getattr(s, name), value)}) for s in settings_list]

    if high < low or not fits(capped(low)):
        return None
    while low < high:  # fits(low) holds; look for the largest such value
        middle = (low + high + 1) // 2
        if fits(capped(middle)):
            low = middle
        else:
            high = middle - 1
    return low


def _suggestion(settings_list: Sequence[RunSettings], names: Sequence[str], fits) -> tuple[str, int | None]:
    for name in names:
        largest = _largest_that_fits(settings_list, name, fits)
        if largest is not None:
            return name, largest
    return names[0], WHOLE_BOUNDS[names[0]][0]  # even the smallest is over with the others as they are: lower it first


def check_cost(settings_list: Sequence[RunSettings], limits: Limits, size: DataSize | None = None) -> Refusal | None:
    """None when every run fits the memory limit and the press fits the time limit, else the Refusal."""
    size = size or DataSize()
    total = estimate_total(settings_list, size)

    def memory_fits(candidate: Sequence[RunSettings]) -> bool:
        return estimate_total(candidate, size).memory_mb <= limits.memory_mb

    def time_fits(candidate: Sequence[RunSettings]) -> bool:
        return estimate_total(candidate, size).minutes <= limits.minutes

    if total.memory_mb > limits.memory_mb:
        setting, largest = _suggestion(settings_list, MEMORY_SETTINGS, memory_fits)
        return Refusal(
            "memory", setting, {"need_mb": math.ceil(total.memory_mb), "limit_mb": limits.memory_mb, "largest": largest}
        )
    if total.minutes > limits.minutes:
        setting, largest = _suggestion(settings_list, TIME_SETTINGS, lambda c: time_fits(c) and memory_fits(c))
        return Refusal(
            "time",
            setting,
            {
                "need_minutes": math.ceil(total.minutes),
                "runs": total.runs,
                "limit_minutes": f"{limits.minutes:g}",
                "largest": largest,
            },
        )
    return None


def check_settings(settings: RunSettings, limits: Limits, size: DataSize | None = None) -> Refusal | None:
    """None when one run of `settings` fits the limits whichever method trains it (the sidebar's and a link's
    settings serve every page), else the refusal for the costliest method."""
    for method in methods.names():
        refusal = check_cost([settings.with_method(method)], limits, size)
        if refusal is not None:
            return refusal
    return None


class Press(Protocol):
    """A press of Train as the ledger sees it (core.runs.watch.Watch): active while its snapshot says so."""

    def snapshot(self) -> Snapshot: ...


class Snapshot(Protocol):
    @property
    def active(self) -> bool: ...


class VisitorPresses:
    """The presses of Train each visitor has waiting or training, in this server process.

    Each press is kept with the fingerprints of the computations it asked for. A press over exactly
    the computations of one the visitor already has joins them and trains nothing more, so it is not
    counted against it: a student who reloads the page while their run trains (the old page's press
    lives on for Streamlit's disconnectedSessionTTL) can press Train and watch it again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._presses: dict[str, weakref.WeakKeyDictionary] = {}

    def add(self, visitor: str, press: Press, computations: tuple[str, ...] = ()) -> None:
        with self._lock:
            self._presses.setdefault(visitor, weakref.WeakKeyDictionary())[press] = computations

    def active(self, visitor: str, besides: tuple[str, ...] = ()) -> int:
        """How many of `visitor`'s presses have not ended, those over exactly `besides` left out; forgets the ended ones."""
        with self._lock:
            presses = self._presses.get(visitor)
            if presses is None:
                return 0
            for press in list(presses):
                # As the page judges it (its Train is enabled again once the snapshot has ended).
                if not press.snapshot().active:
                    del presses[press]
            if not presses:
                del self._presses[visitor]
                return 0
            return sum(1 for computations in presses.values() if not besides or computations != besides)


# One ledger per server process, as core.runs.slots.SERVER_SLOTS is one queue.
VISITOR_PRESSES = VisitorPresses()


class Queue(Protocol):
    """What admit reads of the server's slots (core.runs.slots.JobSlots)."""

    capacity: int
    in_use: int

    @property
    def waiting(self) -> int: ...


def queue_is_full(slots: Queue, limits: Limits) -> bool:
    """True when a new run would have to wait and the queue already holds `limits.queue_length` runs."""
    return slots.in_use >= slots.capacity and slots.waiting >= limits.queue_length


def admit(
    visitor: str,
    settings_list: Sequence[RunSettings],
    size: DataSize,
    *,
    limits: Limits,
    slots: Queue,
    presses: VisitorPresses = VISITOR_PRESSES,
    computations: tuple[str, ...] = (),
) -> Refusal | None:
    """None when this press of Train may go ahead, else why not: its cost, the visitor's presses, the queue.

    `computations`: the press's fingerprints; the visitor's presses over the same ones are not counted (see VisitorPresses).
    """
    refusal = check_cost(settings_list, limits, size)
    if refusal is not None:
        return refusal
    active = presses.active(visitor, besides=computations)
    if active >= limits.runs_per_visitor:
        return Refusal("visitor_runs", values={"active": active, "limit": limits.runs_per_visitor})
    if queue_is_full(slots, limits):
        return Refusal("queue_full", values={"waiting": slots.waiting, "limit": limits.queue_length})
    return None
