"""The app server's connection to a Ray cluster: made once, checked, and its shared datasets.

`connect` joins the cluster once per app server (the project's `core` package is
shipped to the workers as a py_module); a cluster that cannot be reached, or
went away, raises `RayUnavailable` with a message saying which and why. A dataset
is put into the object store once per process (`data_ref`). Importing this module
imports Ray: only core.runs.ray_jobs does.
"""

from __future__ import annotations

import os
import socket
import threading
import weakref

import ray

import core
from core.data import PreparedData
from core.states import MessageCode, RunMessage

NAMESPACE = "three-ways-training"  # every app server of one deployment looks runs up here

WORKER_LOST = RunMessage(MessageCode.WORKER_LOST)
CONNECT_TIMEOUT = 3.0  # seconds to reach the cluster's GCS port before calling it unreachable
STALE_AFTER = 10.0  # seconds without an answer from a running actor before checking the cluster is there

# Ray ends a driver process 60 s after it lost the cluster's GCS: that would take the app server
# down with it. A week instead; a run's page hears of the loss at once through _probe.
RECONNECT_ENV = "RAY_gcs_rpc_server_reconnect_timeout_s"
RECONNECT_SECONDS = "604800"

_connect_lock = threading.Lock()
_connected_address: str | None = None
_lost: str | None = None  # the message, once the cluster this process was connected to went away


class RayUnavailable(RuntimeError):
    """The Ray cluster cannot be reached; the message says which address and why."""


def probe(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise RayUnavailable unless the GCS port at `address` (host:port) accepts a connection.

    `ray.init` on an address nobody answers retries for minutes; a page must hear at once.
    """
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as error:
        raise RayUnavailable(f"The Ray cluster at {address} cannot be reached ({error}).") from error


def _unreachable(address: str, error: BaseException) -> str:
    """Why a connection failed, in words; a cluster that asks for a token says what the app server lacks.

    Ray 2.60 turns token authentication on for `ray start --head` when ~/.ray/auth_token exists (any
    local `ray.init()` writes one), while a driver given an address uses a token only when told to.
    """
    causes = []
    cause: BaseException | None = error
    while cause is not None:
        causes.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    if any("Authentication" in text or "auth_token" in text for text in causes):
        return (
            f"The Ray cluster at {address} asks for a token that this app server did not send: set "
            "RAY_AUTH_MODE=token and the cluster's token in RAY_AUTH_TOKEN (or ~/.ray/auth_token) here, "
            "or start the cluster with RAY_AUTH_MODE=disabled."
        )
    return f"The Ray cluster at {address} cannot be reached ({error})."


def connect(address: str | None) -> None:
    """Connect this process to the cluster once (a driver per app server); RayUnavailable if unreachable.

    `address` None or "auto" means the cluster started on this machine. The
    project's `core` package is shipped to the workers (py_modules), so the
    cluster's nodes need the pinned requirements, not a copy of the code.
    """
    global _connected_address
    with _connect_lock:
        if _lost:
            raise RayUnavailable(_lost)
        if ray.is_initialized():
            if _connected_address and _connected_address != "auto":
                try:
                    probe(_connected_address)  # a cluster that went away: new jobs hear it (and may fall back)
                except RayUnavailable as error:
                    raise RayUnavailable(cluster_lost(str(error))) from error
            return
        if address and address != "auto":
            probe(address)
        os.environ.setdefault(RECONNECT_ENV, RECONNECT_SECONDS)  # read by Ray when it starts this driver
        try:
            ray.init(
                address=address or "auto",
                namespace=NAMESPACE,
                log_to_driver=False,
                runtime_env={"py_modules": [core]},
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise RayUnavailable(_unreachable(address or "auto", error)) from error
        _connected_address = address


def cluster_lost(reason: str) -> str:
    """Remember that the cluster went away; the message every later start gets.

    `ray.shutdown()` hangs without a GCS to talk to, so this process cannot join a
    new cluster: restart the app server (one at a time behind the balancer) once
    the cluster is back.
    """
    global _lost
    _lost = f"{reason} Restart this app server to use the cluster again once it is back."
    return _lost


def raise_if_gone(silent_for: float) -> None:
    """RayUnavailable when the cluster went away: at once if known, else probed once an actor is `silent_for` long."""
    if _lost:
        raise RayUnavailable(_lost)
    if silent_for > STALE_AFTER and _connected_address:
        try:
            probe(_connected_address)
        except RayUnavailable as error:
            raise RayUnavailable(cluster_lost(f"The Ray cluster went away during the run: {error}")) from error


def why_lost() -> RunMessage:
    """A run's worker is gone: say whether the whole cluster went with it (in the cluster's own words)."""
    if _connected_address and _connected_address != "auto":
        try:
            probe(_connected_address)
        except RayUnavailable as error:
            return RunMessage.plain(cluster_lost(f"The Ray cluster went away during the run: {error}"))
    return WORKER_LOST


def disconnect() -> None:
    """Leave the cluster (tests and benchmarks that stop one and start another); runs on it go on."""
    global _connected_address
    global _lost
    with _connect_lock:
        ray.shutdown()
        _connected_address, _lost = None, None
        _data_refs.clear()  # their ObjectRefs belonged to the old connection


# Datasets already in the object store: id(data) -> (a weak reference to it, its ObjectRef).
_data_refs: dict[int, tuple[weakref.ref, object]] = {}


def data_ref(data: PreparedData):
    """Put a dataset into the object store once per process; every run of it shares that copy."""
    key = id(data)
    known = _data_refs.get(key)
    if known is not None and known[0]() is data:
        return known[1]
    ref = ray.put(data)
    _data_refs[key] = (weakref.ref(data, lambda _: _data_refs.pop(key, None)), ref)
    return ref
