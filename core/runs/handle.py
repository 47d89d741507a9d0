"""What every kind of run answers: the `RunHandle` protocol, its `JobSnapshot`, and the planning they share.

Three things drive a run and are read the same way by the page: a `TrainingJob`
(a worker thread here), a `RayTrainingJob` (an actor on a cluster) and a
visitor's `Watch` over them (core.runs.watch). The page starts one, reads
`snapshot()` as often as it likes, may `stop()` it and `join()` it. The two jobs
are also computations the hub shares between visitors (`SharedRun`): several
viewers attach to one, and it stops when the last one leaves. mypy checks each
class against these protocols (see `mypy.ini` and the checks at the end of each
module).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from core.predictions import TrainedModel
from core.records import RunRecord
from core.settings import RunSettings
from core.states import JobState, RunMessage, Source


@dataclass
class JobSnapshot:
    """A consistent copy of a job's state, safe to read from any thread."""

    state: JobState
    methods: tuple[str, ...]
    current_method: str | None
    epoch: int  # the epoch in progress (1-based), 0 before the first
    epochs: int
    batches_done: int
    batches_per_epoch: int
    seconds_left_in_epoch: float | None
    records: list[RunRecord]  # finished runs and the one in progress, in order
    message: RunMessage
    version: int  # grows with every epoch and state change: redraw charts when it moves
    started_at: float
    ended_at: float | None
    # run_id -> the trained weights of each run that ended with at least one epoch (not failed).
    # Shared, not copied: TrainedModel and its arrays are read-only.
    models: dict[str, TrainedModel] = field(default_factory=dict)
    queue_position: int | None = None  # while waiting: 1 = next to start
    estimated_start: float | None = None  # while waiting: seconds until it should start, when known
    # run_id -> how this viewer got a run it did not start: joined (live) or cached (finished before).
    shared: dict[str, Source] = field(default_factory=dict)

    def shared_by_method(self) -> dict[str, Source]:
        """{method: joined | cached} for the runs of this view that another press computed."""
        return {r.method: self.shared[r.run_id] for r in self.records if r.run_id in self.shared}

    notices: tuple[str, ...] = ()  # how the runs are made, when the page should say (a cluster fell back to local)

    @property
    def active(self) -> bool:
        return JobState(self.state).active

    def own_copy(self) -> JobSnapshot:
        """A copy for one caller, made in microseconds: its records and their lists are new objects, so a caller
        changing them (a status, a cleared list) changes nothing another viewer reads. Epoch rows and per-batch
        points themselves are shared: nobody changes them once written."""
        records = [replace(r, epochs=list(r.epochs), batches=list(r.batches), settings=dict(r.settings)) for r in self.records]
        return replace(self, records=records, models=dict(self.models), shared=dict(self.shared))


def job_snapshot(
    settings_list: list[RunSettings],
    *,
    state: JobState,
    records: list[RunRecord],
    version: int,
    started_at: float,
    ended_at: float | None = None,
    message: RunMessage | None = None,
    current_method: str | None = None,
    epoch: int = 0,
    batches_done: int = 0,
    batches_per_epoch: int = 0,
    seconds_left_in_epoch: float | None = None,
    models: dict[str, TrainedModel] | None = None,
    queue_position: int | None = None,
    estimated_start: float | None = None,
    shared: dict[str, Source] | None = None,
    notices: tuple[str, ...] = (),
) -> JobSnapshot:
    """The one way a run handle builds its snapshot: the methods and epoch count come from its settings."""
    return JobSnapshot(
        state=state,
        methods=tuple(s.method for s in settings_list),
        current_method=current_method,
        epoch=epoch,
        epochs=settings_list[0].epochs,
        batches_done=batches_done,
        batches_per_epoch=batches_per_epoch,
        seconds_left_in_epoch=seconds_left_in_epoch,
        records=records,
        message=message or RunMessage(),
        version=version,
        started_at=started_at,
        ended_at=ended_at,
        models=dict(models or {}),
        queue_position=queue_position,
        estimated_start=estimated_start,
        shared=dict(shared or {}),
        notices=notices,
    )


def checked_settings(settings_list: list[RunSettings]) -> list[RunSettings]:
    """The settings of a new handle, each validated (SettingsError names the problem); ValueError when empty."""
    if not settings_list:
        raise ValueError("a job needs at least one run")
    return [s.validate() for s in settings_list]


def plan_records(
    settings_list: list[RunSettings], fingerprints: list[str | None] | None = None, run_ids: list[str] | None = None
) -> list[RunRecord]:
    """One record per run, made before it starts so its id is known (and listed) at once.

    `run_ids` keeps ids chosen elsewhere: a Ray worker's job uses the app server's.
    """
    fingerprints = list(fingerprints) if fingerprints else [None] * len(settings_list)
    planned = [RunRecord.start(s.method, s.to_dict(), fingerprint=f) for s, f in zip(settings_list, fingerprints, strict=True)]
    for record, run_id in zip(planned, run_ids or [], strict=False):
        record.run_id = run_id
    return planned


class PlannedRuns:
    """What both jobs share: the records planned before they start (`plan_records`), whose ids are the runs' ids."""

    planned: list[RunRecord]

    @property
    def run_ids(self) -> list[str]:
        return [record.run_id for record in self.planned]


class RunHandle(Protocol):
    """What the page does with a run, however it is made: start it, read it, stop it, wait for it."""

    def start(self) -> RunHandle: ...

    def stop(self) -> None: ...

    def join(self, timeout: float | None = None) -> bool: ...

    def snapshot(self) -> JobSnapshot: ...


class SharedRun(RunHandle, Protocol):
    """A computation the hub shares between visitors: a thread job or a Ray job."""

    planned: list[RunRecord]

    @property
    def run_ids(self) -> list[str]: ...

    @property
    def ended(self) -> bool: ...

    @property
    def viewers(self) -> int: ...

    def attach(self, viewer: str) -> bool: ...

    def detach(self, viewer: str) -> None: ...
