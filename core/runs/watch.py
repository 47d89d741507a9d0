"""A visitor's Train press: a `Watch` over the hub's computations, one method after the other.

A `Watch` resolves each method in turn through the hub (core.runs.hub; the
comparison has three): joined, cached or newly trained. It lists in the visitor's
space which runs they used, and gives the page one `JobSnapshot` over them. Stop
ends the watching; the computation itself stops only when no watcher is left.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from core.data import PreparedData
from core.predictions import TrainedModel
from core.records import RunRecord
from core.runs.handle import JobSnapshot, RunHandle, checked_settings, job_snapshot
from core.runs.hub import Hub, Part
from core.settings import RunSettings
from core.states import JobState, MessageCode, RunMessage, Source
from core.store import SERVER_OWNER, QuotaFull

log = logging.getLogger(__name__)


def stop_when_owner_gone(
    worker: threading.Thread, stop: threading.Event, owner_gone: Callable[[], bool], check_every: float, name: str
) -> None:
    """From a small thread, while `worker` lives (or has not started), set `stop` once `owner_gone()` says True."""

    def watch() -> None:
        while worker.is_alive() or not worker.ident:
            if stop.wait(check_every):
                return
            if owner_gone():
                stop.set()
                return

    threading.Thread(target=watch, name=name, daemon=True).start()


@dataclass
class _WatchState:
    parts: list[Part] = field(default_factory=list)
    state: JobState = JobState.WAITING
    message: RunMessage = field(default_factory=RunMessage)
    ended_at: float | None = None
    version: int = 0


@dataclass
class _Merged:
    """The parts of a watch read as one: their records, weights and how each was shared, and the one still active."""

    records: list[RunRecord] = field(default_factory=list)
    models: dict[str, TrainedModel] = field(default_factory=dict)
    shared: dict[str, Source] = field(default_factory=dict)
    version: int = 0  # the sum of the parts' versions: it moves whenever one of them does
    current: JobSnapshot | None = None

    @classmethod
    def of(cls, parts: list[Part]) -> _Merged:
        merged = cls()
        for part in parts:
            if part.how != Source.TRAINED:
                merged.shared[part.run_id] = part.how  # by run: a sweep has one method and several runs
            snap = part.snapshot()
            if snap is None:
                assert part.record is not None  # a cached part
                record = copy.deepcopy(part.record)
                merged.records.append(record)
                if part.model is not None:
                    merged.models[record.run_id] = part.model
                continue
            merged.records.extend(snap.records)
            merged.models.update(snap.models)
            merged.version += snap.version
            if snap.active:
                merged.current = snap
        return merged


class Watch:
    """One visitor's Train press over one or more methods; the page reads `snapshot()`.

    A `RunHandle` as the jobs are (start, stop, join, snapshot), so the live view does not care
    how the figures are made; the page also ties it to the browser session (stop_when,
    stop_when_collected).
    `owner` is whose quota new runs count against: the visitor's id (ui.classroom.visitor_id);
    by default the private space's visitor, or the server's for other spaces (scripts, tests).
    """

    def __init__(
        self,
        hub: Hub,
        settings_list: list[RunSettings],
        data: PreparedData,
        *,
        space: str,
        display_name: str = "",
        fresh: bool = False,
        owner: str | None = None,
    ):
        if owner is None:
            owner = space.removeprefix("me:") if space.startswith("me:") else SERVER_OWNER
        self.owner = owner
        self.hub = hub
        self.settings_list = checked_settings(settings_list)
        self.data = data
        self.space = space
        self.display_name = display_name
        self.fresh = fresh
        self.viewer = uuid.uuid4().hex
        self.stop_event = threading.Event()
        self.started_at = time.monotonic()
        self._lock = threading.Lock()
        self._state = _WatchState()
        self._thread = threading.Thread(target=self._work, name="training-watch", daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_for_first_batch(self, timeout: float) -> bool:
        """Up to `timeout` seconds until the view has a counted batch (or has ended). True if it has."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.snapshot()
            if snap.batches_done > 0 or any(record.epochs for record in snap.records) or not snap.active:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)

    def stop_when(self, owner_gone: Callable[[], bool], check_every: float = 1.0) -> None:
        """Stop watching once `owner_gone()` says the browser session is gone for good."""

        stop_when_owner_gone(self._thread, self.stop_event, owner_gone, check_every, "training-watch-owner")

    def stop_when_collected(self, owner: object) -> None:
        weakref.finalize(owner, self.stop_event.set)

    # -- the watching thread --------------------------------------------------

    def _bump(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._state, name, value)
            self._state.version += 1

    def _work(self) -> None:
        final, message = JobState.FINISHED, RunMessage()
        try:
            for settings in self.settings_list:
                if self.stop_event.is_set():
                    final, message = JobState.STOPPED, RunMessage(MessageCode.STOPPED_BETWEEN)
                    break
                part = self.hub.request(settings, self.data, self.viewer, fresh=self.fresh, owner=self.owner, space=self.space)
                with self._lock:
                    self._state.parts.append(part)
                self._bump(state=JobState.RUNNING)
                self._add_to_space(part)
                if part.job is not None:
                    while not part.job.join(0.2):
                        if self.stop_event.is_set():
                            part.leave(self.viewer)
                            break
                    else:
                        part.job.detach(self.viewer)
                    self._bump()
                status = part.status()
                if status != JobState.FINISHED:
                    last = part.snapshot()
                    final, message = status, last.message if last is not None else RunMessage()
                    break
        except QuotaFull as refusal:  # nothing was trained: the message names the full quota
            final, message = JobState.FAILED, refusal.message
        except Exception as error:  # noqa: BLE001 - the page must learn of any failure
            final, message = JobState.FAILED, RunMessage.of_error(error)
        self._bump(state=final, message=message, ended_at=time.monotonic())

    def _add_to_space(self, part: Part) -> None:
        """List the part's run in the visitor's space; the run row is written first if this store lacks it."""
        try:
            if part.job is not None:
                # A run another server started (Ray) may not be saved where this server looks yet.
                self.hub.recorder.known(part.job.planned[0])
            self.hub.store.add_to_space(self.space, part.run_id, self.display_name, part.how)
        except Exception:  # noqa: BLE001 - the run still shows; only the list of saved runs misses it
            log.warning("could not add run %s to space %s", part.run_id, self.space, exc_info=True)

    # -- what the page reads --------------------------------------------------

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            parts = list(self._state.parts)
            state, message, ended_at, own_version = (
                self._state.state,
                self._state.message,
                self._state.ended_at,
                self._state.version,
            )
        merged = _Merged.of(parts)
        records, models, shared, current = merged.records, merged.models, merged.shared, merged.current
        notices = tuple(part.notice for part in parts if part.notice)
        version = own_version + merged.version
        if ended_at is None:  # still watching: the current job's state, or waiting until the first is resolved
            state = current.state if current is not None else (JobState.RUNNING if parts else JobState.WAITING)
        return job_snapshot(
            self.settings_list,
            state=state,
            current_method=current.current_method if current else (parts[-1].settings.method if parts else None),
            epoch=current.epoch if current else 0,
            batches_done=current.batches_done if current else 0,
            batches_per_epoch=current.batches_per_epoch if current else 0,
            seconds_left_in_epoch=current.seconds_left_in_epoch if current else None,
            records=records,
            message=message,
            version=version,
            started_at=self.started_at,
            ended_at=ended_at,
            models=models,
            queue_position=current.queue_position if current else None,
            estimated_start=current.estimated_start if current else None,
            shared=shared,
            notices=notices,
        )


_: type[RunHandle] = Watch  # mypy checks the watch against the protocol the page relies on
