"""The one writer of runs and epochs to the store.

Every part that trains reports to a `Recorder` and none writes itself: a thread
job reports its run as it starts, each epoch as it ends and the run as it ends;
a Ray job reports what its actor's snapshots show (the worker in the cluster
writes nothing); the hub reports a new run with its owner and space before
anyone can join it; a watch makes sure a run started by another server exists
here; the command line reports the runs it trained. While a run is reported as
running, its process holds its lease (core.store.Leases). A database that fails
does not lose the run on screen: the record's message says it was not saved.
(Runs a visitor imports from a file are not training: core.store saves those.)
"""

from __future__ import annotations

from collections.abc import Callable

from core.records import EpochRow, RunRecord
from core.states import RunStatus, Source
from core.store import RunStore


def note_not_saved(record: RunRecord, error: Exception) -> None:
    """Say in the run's message, once, that the store refused it."""
    record.message = record.message.saying_not_saved(error)


class Recorder:
    """Writes the runs it is told about into `store` (a store, or a function returning the current one)."""

    def __init__(self, store: RunStore | Callable[[], RunStore]):
        self._store = store

    @property
    def store(self) -> RunStore:
        return self._store if isinstance(self._store, RunStore) else self._store()

    def new_run(self, record: RunRecord, *, owner: str, space: str, alive: Callable[[], bool]) -> None:
        """A run starts (or queues) for `owner` in `space`: it exists before anyone joins it. Raises on failure."""
        store = self.store
        store.save_run(record, owner=owner, made_in=space)
        store.leases.hold(record.run_id, alive)

    def trained_elsewhere(self, record: RunRecord, *, owner: str, space: str, display_name: str) -> None:
        """A run trained without a job (the command line), ended: saved within `owner`'s quotas and listed in `space`."""
        self.store.add_new_run(record, owner, space, display_name, Source.TRAINED)

    def run(
        self, record: RunRecord, alive: Callable[[], bool], epoch: EpochRow | None = None, files: dict[str, bytes] | None = None
    ) -> Exception | None:
        """The run as it is now (or just its new `epoch`), with `files` its callbacks wrote; the error when the store refused it, else None.

        While it runs, this process vouches for it as long as `alive()` (a killed process stops
        renewing, and the run is shown as interrupted).
        """
        try:
            store = self.store
            if epoch is None:
                store.save_run(record)
            else:
                store.add_epoch(record.run_id, epoch)
            if files:
                store.save_run_files(record.run_id, files)
            if record.status == RunStatus.RUNNING:
                store.leases.hold(record.run_id, alive)
        except Exception as error:  # noqa: BLE001 - the caller shows it with the run, which goes on
            return error
        return None

    def ended(self, records: list[RunRecord], files: dict[str, dict[str, bytes]] | None = None) -> None:
        """A run's final records (and, by run id, the files their callbacks wrote); a refusal is noted in each record's message."""
        for record in records:
            try:
                self.store.save_run(record)
                if files and files.get(record.run_id):
                    self.store.save_run_files(record.run_id, files[record.run_id])
            except Exception as error:  # noqa: BLE001 - a failing database must not lose the run on screen
                note_not_saved(record, error)

    def known(self, record: RunRecord) -> None:
        """Save `record` unless the store has it already (a run another app server started on the cluster)."""
        store = self.store
        if store.get_run(record.run_id) is None:
            store.save_run(record)
