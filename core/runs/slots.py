"""The server-wide cap on concurrent runs, and the pace runs train at on this server.

`JobSlots` caps how many jobs train at once across the whole server (each
TensorFlow run already uses every core), so extra jobs wait visibly, first come
first served, instead of slowing everyone down. `Pace` is the measured time per
epoch that a waiting visitor's estimate is made from.
"""

from __future__ import annotations

import collections
import heapq
import threading
from collections.abc import Callable

from core.config import Environment, environment

DEFAULT_JOB_SLOTS = Environment.job_slots  # TRAINING_JOB_SLOTS unset


class JobSlots:
    """A server-wide cap on jobs that train at the same time, served first come, first served.

    Waiting jobs queue in the order they asked; the head of the queue takes the
    next free slot. `position()` and `estimated_start()` tell a waiting visitor
    where they stand and roughly when their run begins.
    """

    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._changed = threading.Condition()
        self._queue: collections.deque[object] = collections.deque()
        # ticket -> seconds its job still needs (holders) / will need once started (waiters); None = unknown.
        self._remaining: dict[object, Callable[[], float | None]] = {}
        self.in_use = 0

    def acquire(
        self, stop: threading.Event, ticket: object | None = None, remaining: Callable[[], float | None] | None = None
    ) -> bool:
        """Block until this ticket's turn comes and a slot is free (True) or `stop` is set (False)."""
        ticket = ticket if ticket is not None else object()
        with self._changed:
            self._queue.append(ticket)
            self._remaining[ticket] = remaining or (lambda: None)
            try:
                while not stop.is_set():
                    if self._queue[0] is ticket and self.in_use < self.capacity:
                        self._queue.popleft()
                        self.in_use += 1
                        return True
                    self._changed.wait(0.2)  # also wakes up now and then to notice `stop`
                self._remaining.pop(ticket, None)
                return False
            finally:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._changed.notify_all()

    def release(self, ticket: object | None = None) -> None:
        with self._changed:
            self.in_use -= 1
            self._remaining.pop(ticket, None)
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._queue)

    def position(self, ticket: object) -> int | None:
        """1 for the next job to start, None when `ticket` is not waiting."""
        with self._changed:
            try:
                return self._queue.index(ticket) + 1
            except ValueError:
                return None

    def estimated_start(self, ticket: object) -> float | None:
        """Seconds until `ticket` should start: slots free up as running jobs end, then each job ahead runs.

        None while some job ahead (or running) has no estimate yet (no epoch measured on this server).
        """
        with self._changed:
            if ticket not in self._queue:
                return None
            holders = [t for t in self._remaining if t not in self._queue]
            ahead = list(self._queue)[: self._queue.index(ticket)]
            maybe = [self._remaining[t]() for t in holders + ahead]
        estimates = [e for e in maybe if e is not None]
        if len(estimates) < len(maybe):
            return None
        free_at = [0.0] * max(0, self.capacity - len(holders)) + estimates[: len(holders)]
        heapq.heapify(free_at)
        for duration in estimates[len(holders) :]:
            heapq.heappush(free_at, heapq.heappop(free_at) + duration)
        return heapq.heappop(free_at) if free_at else 0.0


class Pace:
    """Seconds per epoch as measured on this server, so a waiting visitor gets an estimate.

    Kept per token-step (newswires x tokens per epoch): a run with max_len 100 is about a
    third of one with 300. A moving average, because the machine's load varies.
    """

    def __init__(self) -> None:
        self._seconds_per_token: float | None = None
        self._lock = threading.Lock()

    def record(self, seconds: float, newswires: int, max_len: int) -> None:
        rate = seconds / max(1, newswires * max_len)
        with self._lock:
            old = self._seconds_per_token
            self._seconds_per_token = rate if old is None else 0.7 * old + 0.3 * rate

    def epoch_seconds(self, newswires: int, max_len: int) -> float | None:
        with self._lock:
            rate = self._seconds_per_token
        return None if rate is None else rate * newswires * max_len


def slots_from_environment() -> JobSlots:
    return JobSlots(environment().job_slots)


# One cap for the whole process: every session's jobs share it.
SERVER_SLOTS = slots_from_environment()
SERVER_PACE = Pace()
