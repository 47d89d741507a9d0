"""`streamlit run app.py` on a free local port for browser tests, stopped afterwards whatever happens."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(
    folder: Path,
    env: dict[str, str],
    extra_args: tuple[str, ...] = (),
    root: Path = ROOT,
    timeout: float = 90,
    command: list[str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free port, in its own process group, once /_stcore/health says ok; (process, URL).

    `root` is the checkout whose app.py runs (a benchmark measures another one for its "before" row).
    `command` replaces the whole command line (e.g. the README's `streamlit run app.py` word for word,
    from another environment's PATH); the port and address then go in through Streamlit's variables.
    The server's output goes to `folder`/server.log. Stop it with `stop_app`.
    """
    port = free_port()
    log_path = folder / "server.log"
    if command is None:
        command = [
            sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            *extra_args,
        ]  # fmt: skip
    else:
        env = {**env, "STREAMLIT_SERVER_PORT": str(port), "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_app(process)
            raise RuntimeError(f"the server did not start; log: {log_path.read_text()[-2000:]}")
        time.sleep(0.3)


def stop_app(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (its process group): politely, then for sure."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def running_app(folder: Path, env: dict[str, str], extra_args: tuple[str, ...] = (), root: Path = ROOT) -> Iterator[str]:
    """Start the app with `env`, yield its URL once it answers; stop it at the end, whatever happens."""
    process, url = start_app(folder, env, extra_args, root)
    try:
        yield url
    finally:
        stop_app(process)
