"""Streamlit's per-rerun Keras reset must not reach TensorFlow while other sessions train."""

from __future__ import annotations

import keras
from streamlit.runtime.scriptrunner import script_runner
from tensorflow.python.eager import context

from ui.keras_guard import _original_clear_session, keep_keras_session


def test_streamlit_cleanup_after_a_rerun_no_longer_clears_the_kernel_cache(monkeypatch):
    cleared = []
    monkeypatch.setattr(context.context(), "clear_kernel_cache", lambda: cleared.append(True))
    monkeypatch.setattr(keras.backend, "clear_session", _original_clear_session)
    script_runner._clean_problem_modules()
    assert cleared, "without the guard, Streamlit's cleanup resets TensorFlow for the whole process"

    cleared.clear()
    keep_keras_session()
    script_runner._clean_problem_modules()
    assert cleared == []
