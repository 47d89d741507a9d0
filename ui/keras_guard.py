"""Stop Streamlit from resetting Keras for the whole process after every script run.

After each run of a page (and each one-second refresh of a live view),
Streamlit calls `keras.backend.clear_session()` (streamlit.runtime.scriptrunner.
script_runner._clean_problem_modules). In Keras 3 that clears TensorFlow's
process-wide kernel cache and forces a full garbage collection, while other
sessions' models are training in worker threads: measured here, two concurrent
runs slowed from seconds to minutes per epoch. The app never relies on a global
Keras session (every run builds its own model with explicit names and seeds), so
the public `keras.backend.clear_session` name is replaced by a function that
leaves running trainings alone. Keras's own internal function is untouched.
"""

from __future__ import annotations

import keras

_original_clear_session = keras.backend.clear_session


def _leave_running_trainings_alone(*args, **kwargs) -> None:
    """Called by Streamlit after every script run; deliberately does nothing."""


def keep_keras_session() -> None:
    keras.backend.clear_session = _leave_running_trainings_alone
