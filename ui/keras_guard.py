"""Stop Streamlit from resetting Keras for the whole process after every script run, without importing Keras.

After each run of a page (and each one-second refresh of a live view),
Streamlit calls `keras.backend.clear_session()` (streamlit.runtime.scriptrunner.
script_runner._clean_problem_modules), but only once "keras" is in
sys.modules. In Keras 3 that clears TensorFlow's process-wide kernel cache and
forces a full garbage collection, while other sessions' models are training in
worker threads: measured here, two concurrent runs slowed from seconds to
minutes per epoch. The app never relies on a global Keras session (every run
builds its own model with explicit names and seeds), so the public
`keras.backend.clear_session` name is replaced by a function that leaves
running trainings alone. Keras's own internal function is untouched.

app.py must not import Keras itself (that is TensorFlow, seconds before the
first page could paint), so the replacement goes in the moment Keras is
imported, whoever imports it: at once if it already is, else by an import
hook that runs Keras's own module code and then puts the guard on, before
any script run can end with Keras loaded.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from types import ModuleType

_lock = threading.Lock()


def _leave_running_trainings_alone(*args, **kwargs) -> None:
    """Called by Streamlit after every script run; deliberately does nothing."""


def _guard(keras: ModuleType) -> None:
    with _lock:
        if keras.backend.clear_session is not _leave_running_trainings_alone:
            keras.backend.clear_session = _leave_running_trainings_alone


class _GuardKerasWhenImported(importlib.abc.MetaPathFinder):
    """Finds "keras" the way Python would, and wraps its loader so the guard goes on right after it runs."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)  # the normal search, without this finder
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None  # let Python report it, or another finder handle it
        run_keras = spec.loader.exec_module

        def run_then_guard(module: ModuleType) -> None:
            run_keras(module)
            _guard(module)

        spec.loader.exec_module = run_then_guard
        return spec


_HOOK = _GuardKerasWhenImported()


def keep_keras_session() -> None:
    """Guard Keras now if it is loaded, otherwise as soon as anything imports it. Cheap; call on every run."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        _guard(keras)
    elif _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)
