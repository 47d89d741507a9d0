"""Work done once per process for everything many sessions show: built-once values and paced counters.

Streamlit reruns a page's script once per open page, so anything a live view
computes per rerun is paid once per viewer. Values that depend only on what
they show (a chart's spec for a run at some progress, in one language) are
built here once, by the first session that asks, and handed to every other
one; sessions asking for a value being built wait for that build instead of
repeating it. `Pacer` publishes a growing count (a run's per-batch points) at
most every few seconds, the same count for every viewer, so a chart of it is
rebuilt, and re-sent to the browsers, at that pace rather than at each batch.
Plain Python, thread-safe, no Streamlit.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

BUILD_WAIT_SECONDS = 60.0  # a session waiting for another's build gives up and builds itself after this long


class BuiltOnce:
    """A bounded, thread-safe cache that builds each key's value once, however many threads ask at the same time.

    `builds` counts the values built (the live-view tests check one build per run and
    version, whatever the number of sessions); `on_build` callbacks get each key built.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._lock = threading.Lock()
        self._values: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self._building: dict[Hashable, threading.Event] = {}
        self.builds = 0
        self.on_build: list[Callable[[Hashable], None]] = []

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                underway = self._building.get(key)
                if underway is None or time.monotonic() > deadline:
                    done = threading.Event()
                    self._building[key] = done
                    break
            underway.wait(max(0.0, deadline - time.monotonic()))  # another session builds it: use theirs
        try:
            value = build()
        finally:
            with self._lock:
                if self._building.get(key) is done:
                    del self._building[key]
            done.set()  # on failure too: a waiting session then builds (and reports) it itself
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.capacity:
                self._values.popitem(last=False)
            self.builds += 1
            hooks = list(self.on_build)
        for hook in hooks:
            hook(key)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class Pacer:
    """Per key, a value published at most every `every` seconds: everyone who asks in between gets the same one.

    `value(key, current)` returns `current` when the key is new, when `every` seconds
    have passed since the last publication, or when `current` no longer extends
    the published value (`extends(published, current)` False); otherwise the
    published one.
    """

    def __init__(self, every: float, capacity: int = 1024, clock: Callable[[], float] = time.monotonic):
        self.every = every
        self.capacity = capacity
        self.clock = clock
        self._lock = threading.Lock()
        self._published: collections.OrderedDict[Hashable, tuple[Any, float]] = collections.OrderedDict()

    def value(self, key: Hashable, current: Any, extends: Callable[[Any, Any], bool] = lambda old, new: True) -> Any:
        now = self.clock()
        with self._lock:
            published = self._published.get(key)
            if published is not None and now - published[1] < self.every and extends(published[0], current):
                return published[0]
            self._published[key] = (current, now)
            self._published.move_to_end(key)
            while len(self._published) > self.capacity:
                self._published.popitem(last=False)
            return current


class Presence:
    """Who was seen lately: `seen(key)` marks a key now, `count(within)` says how many were marked in the last seconds.

    The live views mark their session at each progress tick, so the page can tell how many
    are watching on this server and space its costlier refreshes by that number (issue 20).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._last_seen: dict[Hashable, float] = {}

    def seen(self, key: Hashable) -> None:
        with self._lock:
            self._last_seen[key] = self.clock()

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._last_seen.pop(key, None)

    def count(self, within: float) -> int:
        cutoff = self.clock() - within
        with self._lock:
            for key in [k for k, when in self._last_seen.items() if when < cutoff]:
                del self._last_seen[key]  # gone quiet: a closed tab, or a view that stopped refreshing
            return len(self._last_seen)
