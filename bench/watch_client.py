"""A Streamlit 1.67 session as the browser drives it, over the websocket, for bench/class_watch.py.

What the browser does and this client copies (read from Streamlit 1.67's frontend bundle and its
`runtime/app_session.py`, `scriptrunner_utils/script_run_context.py`, `web/server/starlette/`):

- It connects to `/_stcore/stream` with the subprotocol `streamlit` and sends one `rerun_script`
  BackMsg with the page's name (from the address path), the query string, its widget states and
  the hashes of the messages it has cached. Every rerun it sends (Train, an auto-rerun tick) carries
  the states of all the widgets on the page, the hashes of its whole cache, and the query string as
  the server last set it (`page_info_changed`), and the page it shows (`navigation.page_script_hash`
  with st.navigation; without, the `new_session`'s).
- The forward-message cache is driven by the client: a `new_element` delta of at least
  `global.minCachedMessageSize` (10 kB) comes with `metadata.cacheable`; the browser keeps it by hash,
  lists every hash it keeps in its next `rerun_script`, and the server then sends a `ref_hash`
  message (hash and metadata only) instead of an identical element. A reference to a message the
  client does not hold is an error in the browser ("Cached ForwardMsg MISS"): here it fails the
  session. After each script run that finished (not "early for rerun"), entries not used for more
  than `max_cached_message_age` runs (2) are dropped; after a fragment run only that fragment's.
- Fragments with `run_every` are refreshed by the client: the server sends `auto_rerun` (interval,
  fragment id) and the browser runs a `setInterval` that sends a fragment rerun
  (`fragment_id`, `is_auto_rerun`) every interval, whether or not the last one has been answered.
  A full script run (a `new_session` without fragment ids) clears every timer; `stop_auto_rerun`
  clears the named ones.

The client records what a viewer would see: every progress bar's value and text, when each
arrived, how the script runs ended, and every byte received.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
# The widgets whose value the browser keeps and resends, and the WidgetState field each uses.
# A widget of another kind is left out: the server then keeps the value it had, as it would.
_VALUE_FIELD = {"checkbox": "bool_value", "text_input": "string_value", "text_area": "string_value"}


@dataclass
class Progress:
    at: float  # monotonic seconds
    value: int
    text: str


@dataclass
class Session:
    """One browser tab on `path` (with its query string) of the server at `base_url`."""

    base_url: str
    path: str  # "fit?epochs=2&class=abc", no leading slash
    name: str = ""
    bytes_received: int = 0
    connected_at: float | None = None
    closed_at: float | None = None
    error: str | None = None
    progress: list[Progress] = field(default_factory=list)  # every change of the progress bar, as received
    finished: dict[str, int] = field(default_factory=dict)  # script_finished status name -> count
    fragment_requests: int = 0  # auto-rerun ticks sent
    cache_hits: int = 0  # ref_hash messages resolved from the cache
    bytes_by_kind: dict[str, int] = field(default_factory=dict)  # element type (or message type) -> bytes received
    full_runs: list[tuple[float, bool]] = field(default_factory=list)  # (ended at, registered an auto-rerun)
    clicked_at: float | None = None
    bytes_before_window: int = 0  # bytes_received when the row's measured window began (the page load is not counted)
    kinds_before_window: dict[str, int] = field(default_factory=dict)
    compressed: bool = False  # permessage-deflate on the wire (bytes_received counts the messages, uncompressed)

    def __post_init__(self):
        split = urlsplit("/" + self.path)
        self.page_name = split.path.strip("/")
        self.query_string = split.query
        self.page_script_hash = ""
        self._ws = None
        self._cache: dict[str, list] = {}  # hash -> [encoded message, run count when last used, fragment id]
        self._run_count = 0
        self._max_age = 2
        self._new_session_seen = False
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._widgets: dict[str, WidgetState] = {}
        self._buttons: set[str] = set()
        self._run_fragment_ids: list[str] = []
        self._auto_rerun_this_run = False
        self._last_progress: tuple[int, str] | None = None
        self._loaded = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._closing = False
        self._navigation = False

    # --- connection -------------------------------------------------------------------------

    async def open(self, timeout: float) -> None:
        """Connect and send the page load's rerun; returns once the first full script run finished."""
        from websockets.asyncio.client import connect

        url = self.base_url.replace("http://", "ws://") + "/_stcore/stream"
        self._ws = await asyncio.wait_for(
            # No client pings (the browser sends none) and no size cap (the browser has none).
            connect(url, subprotocols=["streamlit"], origin=self.base_url, ping_interval=None, max_size=None),
            timeout,
        )
        self.connected_at = time.monotonic()
        extensions = self._ws.response.headers.get("Sec-WebSocket-Extensions", "") if self._ws.response else ""
        self.compressed = "permessage-deflate" in extensions
        self._reader = asyncio.create_task(self._read())
        await self._send_rerun(page_name=self.page_name)
        await asyncio.wait_for(self._loaded.wait(), timeout)

    async def close(self) -> None:
        self._closing = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            try:
                await asyncio.wait_for(self._ws.close(), 5)
            except Exception:  # noqa: BLE001 - closing what may already be gone
                pass
        if self._reader is not None:
            self._reader.cancel()
        self.closed_at = self.closed_at or time.monotonic()

    def start_window(self) -> None:
        """From now on count the bytes of the row: the page load before Train is not what watching costs."""
        self.bytes_before_window = self.bytes_received
        self.kinds_before_window = dict(self.bytes_by_kind)

    def window_bytes(self) -> int:
        return self.bytes_received - self.bytes_before_window

    def window_bytes_by_kind(self) -> dict[str, int]:
        return {k: v - self.kinds_before_window.get(k, 0) for k, v in self.bytes_by_kind.items()}

    @property
    def dropped(self) -> bool:
        """The connection ended while the bench still used it (not closed by `close`)."""
        return self.error is not None

    # --- what the browser sends --------------------------------------------------------------

    async def click(self, key: str) -> None:
        """Press the button whose widget key is `key` (its id ends with `-<key>`)."""
        ids = [i for i in self._buttons if i.endswith(f"-{key}")]
        if not ids:
            raise RuntimeError(f"{self.name}: no button with key {key!r} on the page")
        self.clicked_at = time.monotonic()
        trigger = WidgetState(id=ids[0], trigger_value=True)
        await self._send_rerun(extra=[trigger])

    async def _send_rerun(self, fragment_id: str = "", auto: bool = False, page_name: str = "", extra=()) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_script_hash
        state.page_name = page_name
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.cached_message_hashes.extend(self._cache)
        for widget in (*self._widgets.values(), *extra):
            state.widget_states.widgets.append(widget)
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.base_url}/{self.page_name}" + (f"?{self.query_string}" if self.query_string else "")
        info.color_scheme = "light"
        self._new_session_seen = False
        if self._ws is None:
            return
        try:
            # Bounded: a server that stops reading would otherwise hold the sender forever.
            await asyncio.wait_for(self._ws.send(message.SerializeToString()), 30)
        except Exception as problem:  # noqa: BLE001 - a dropped connection is counted, not raised
            self._fail(f"send failed: {problem!r}")

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        """The browser's setInterval for a fragment's run_every: a fragment rerun every interval, answered or not."""
        current = self._timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return
        self._stop_timer(fragment_id)

        async def tick():
            while True:
                await asyncio.sleep(interval)
                self.fragment_requests += 1
                await self._send_rerun(fragment_id=fragment_id, auto=True)

        self._timers[fragment_id] = (interval, asyncio.create_task(tick()))

    def _stop_timer(self, fragment_id: str) -> None:
        current = self._timers.pop(fragment_id, None)
        if current is not None:
            current[1].cancel()

    # --- what the browser receives ------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                self.bytes_received += len(raw)
                self._handle(raw)
        except asyncio.CancelledError:
            raise
        except Exception as problem:  # noqa: BLE001
            self._fail(f"connection lost: {problem!r}")
            return
        if not self._closing:
            self._fail("the server closed the connection")

    def _fail(self, why: str) -> None:
        if self.error is None and not self._closing:
            self.error = why
            self.closed_at = time.monotonic()
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        self._loaded.set()  # whoever waits for the page is told at once

    def _handle(self, raw: bytes) -> None:
        message = ForwardMsg.FromString(raw)
        raw_kind = message.WhichOneof("type")
        if raw_kind == "ref_hash":
            entry = self._cache.get(message.ref_hash)
            if entry is None:
                self._fail(f"cached ForwardMsg miss {message.ref_hash}")
                return
            entry[1] = self._run_count
            self.cache_hits += 1
            resolved = ForwardMsg.FromString(entry[0])
            resolved.metadata.CopyFrom(message.metadata)
            message = resolved
        elif message.metadata.cacheable and message.hash:
            if message.hash in self._cache:
                self._cache[message.hash][1] = self._run_count
            else:
                fragment = message.delta.fragment_id if message.HasField("delta") else ""
                self._cache[message.hash] = [raw, self._run_count, fragment]
        kind = message.WhichOneof("type")
        what = "ref_hash" if raw_kind == "ref_hash" else kind
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element" and raw_kind != "ref_hash":
            what = message.delta.new_element.WhichOneof("type")
        self.bytes_by_kind[what] = self.bytes_by_kind.get(what, 0) + len(raw)
        if kind == "new_session":
            self._new_session(message)
        elif kind == "delta":
            self._delta(message.delta)
        elif kind == "auto_rerun":
            self._auto_rerun_this_run = True
            self._start_timer(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in message.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment_id)
        elif kind == "navigation":
            # With st.navigation the page being shown is named here; the browser sends it with every rerun.
            self.page_script_hash = message.navigation.page_script_hash
            self._navigation = True
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "script_finished":
            self._script_finished(message)

    def _new_session(self, message: ForwardMsg) -> None:
        self._new_session_seen = True
        session = message.new_session
        self._max_age = session.config.max_cached_message_age or self._max_age
        if not self._navigation:  # an app without st.navigation: its one page
            self.page_script_hash = session.page_script_hash
        self._run_fragment_ids = list(message.metadata.run.fragment_ids)
        if not self._run_fragment_ids:
            # A full script run: the browser clears every fragment timer; this run re-registers its own.
            for fragment_id in list(self._timers):
                self._stop_timer(fragment_id)
            self._auto_rerun_this_run = False

    def _delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "progress":
            shown = (element.progress.value, element.progress.text)
            if shown != self._last_progress:
                self._last_progress = shown
                self.progress.append(Progress(time.monotonic(), *shown))
        elif kind in ("button", "form_submit_button"):
            self._buttons.add(getattr(element, kind).id)
        elif kind == "number_input":
            widget = element.number_input
            number = widget.value if _has_set_value(widget) else widget.default
            state = WidgetState(id=widget.id)
            # NumberInput.DataType: INT = 0, FLOAT = 1.
            if widget.data_type == 0:
                state.int_value = int(number)
            else:
                state.double_value = float(number)
            self._widgets[widget.id] = state
        elif kind in _VALUE_FIELD:
            widget = getattr(element, kind)
            value = widget.value if _has_set_value(widget) else widget.default
            state = WidgetState(id=widget.id)
            setattr(state, _VALUE_FIELD[kind], value)
            self._widgets[widget.id] = state

    def _script_finished(self, message: ForwardMsg) -> None:
        status = message.script_finished
        self.finished[FINISHED.Name(status)] = self.finished.get(FINISHED.Name(status), 0) + 1
        if status == FINISHED.FINISHED_SUCCESSFULLY and not self._run_fragment_ids:
            self.full_runs.append((time.monotonic(), self._auto_rerun_this_run))
            self._loaded.set()
        # The browser's cache expiry: after a run that was not cut short, once its new_session arrived.
        if status != FINISHED.FINISHED_EARLY_FOR_RERUN and self._new_session_seen and message.metadata.HasField("run"):
            self._run_count += 1
            fragments = list(message.metadata.run.fragment_ids)
            for key, (_, used, fragment) in list(self._cache.items()):
                if fragments and (not fragment or fragment not in fragments):
                    continue
                if self._run_count - used > self._max_age:
                    del self._cache[key]

    # --- what the bench reads ---------------------------------------------------------------

    def done_at(self) -> float | None:
        """When this viewer saw the run end: the first full run after the click that set no auto-rerun."""
        if self.clicked_at is None:
            return None
        for ended, refreshing in self.full_runs:
            if ended > self.clicked_at and not refreshing:
                return ended
        return None

    def gaps(self) -> list[float]:
        """Seconds between successive progress updates received after the click, until the run ended."""
        if self.clicked_at is None:
            return []
        end = self.done_at() or float("inf")
        times = [p.at for p in self.progress if self.clicked_at <= p.at <= end]
        return [b - a for a, b in zip(times, times[1:])]

    def first_progress(self) -> float | None:
        """Seconds from the click to the first progress bar this viewer received."""
        if self.clicked_at is None:
            return None
        later = [p.at for p in self.progress if p.at >= self.clicked_at]
        return later[0] - self.clicked_at if later else None


def _has_set_value(widget) -> bool:
    """Whether the element carries a value the server set; `value` is optional in some widgets' protos and plain in others.

    A plain (proto3 scalar) field has no presence: HasField raises, and its `set_value` flag says whether it was set.
    """
    try:
        return widget.HasField("value")
    except ValueError:
        return bool(getattr(widget, "set_value", False))
