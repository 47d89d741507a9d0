"""Streamlit's per-rerun Keras reset must not reach TensorFlow while other sessions train, however Keras gets imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_cleanup_after_a_rerun_no_longer_clears_the_kernel_cache(monkeypatch):
    """A script run's end, as Streamlit's own runner does it: without the guard it clears TensorFlow's caches."""
    import keras
    from streamlit.testing.v1 import AppTest
    from tensorflow.python.eager import context

    from ui import keras_guard

    cleared = []
    monkeypatch.setattr(context.context(), "clear_kernel_cache", lambda: cleared.append(True))
    # keras.utils.clear_session is Keras's own function under its other public name, which the guard leaves alone.
    monkeypatch.setattr(keras.backend, "clear_session", keras.utils.clear_session)
    AppTest.from_string("import keras").run()
    assert cleared, "without the guard, Streamlit's cleanup resets TensorFlow for the whole process"

    cleared.clear()
    keras_guard.keep_keras_session()
    AppTest.from_string("import keras").run()
    assert cleared == []


def test_the_guard_goes_on_when_keras_is_imported_later_by_anyone():
    # A fresh interpreter: app.py calls the guard before anything has imported Keras.
    script = textwrap.dedent(
        """
        import sys
        from ui.keras_guard import keep_keras_session
        keep_keras_session()
        assert "keras" not in sys.modules and "tensorflow" not in sys.modules
        from core.model import build_model  # imports Keras, as the first page to need it does
        import keras
        from streamlit.testing.v1 import AppTest
        from tensorflow.python.eager import context
        assert keras.backend.clear_session is not keras.utils.clear_session  # Keras's own, under its other name
        cleared = []
        context.context().clear_kernel_cache = lambda: cleared.append(True)
        AppTest.from_string("import keras").run()  # a script run ends with Streamlit's cleanup
        assert cleared == [], cleared
        print("guarded")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "guarded" in done.stdout, done.stderr[-3000:]
