"""Streamlit's per-rerun Keras reset must not reach TensorFlow while other sessions train, however Keras gets imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_cleanup_after_a_rerun_no_longer_clears_the_kernel_cache(monkeypatch):
    import keras
    from streamlit.runtime.scriptrunner import script_runner
    from tensorflow.python.eager import context

    from ui import keras_guard

    keras_guard.keep_keras_session()
    cleared = []
    monkeypatch.setattr(context.context(), "clear_kernel_cache", lambda: cleared.append(True))
    monkeypatch.setattr(keras.backend, "clear_session", keras_guard._original_clear_session)
    script_runner._clean_problem_modules()
    assert cleared, "without the guard, Streamlit's cleanup resets TensorFlow for the whole process"

    cleared.clear()
    keras_guard.keep_keras_session()
    script_runner._clean_problem_modules()
    assert cleared == []


def test_the_guard_goes_on_when_keras_is_imported_later_by_anyone():
    # A fresh interpreter: app.py calls the guard before anything has imported Keras.
    script = textwrap.dedent(
        """
        import sys
        from ui.keras_guard import keep_keras_session, _leave_running_trainings_alone
        keep_keras_session()
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules
        from core.model import build_model  # imports Keras, as the first page to need it does
        import keras
        from streamlit.runtime.scriptrunner import script_runner
        from tensorflow.python.eager import context
        assert keras.backend.clear_session is _leave_running_trainings_alone
        cleared = []
        context.context().clear_kernel_cache = lambda: cleared.append(True)
        script_runner._clean_problem_modules()
        assert cleared == [], cleared
        print("guarded")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "guarded" in done.stdout, done.stderr[-3000:]
