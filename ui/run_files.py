"""fit's logging callbacks on the page: the choice before Train, and the `callbacks=[...]` that ran after it.

The choice adds Keras' `CSVLogger` and `TensorBoard` callbacks to the run
(core.run_files); TensorBoard's is offered only where the `tensorboard` package
is installed, since Keras writes its events through TensorBoard's own code.
After the run, the page shows the list passed to `model.fit` as the trainer
wrote it down, read from the store (so a reload, another server or a cached
result shows it too), and where its files are in Compare's export.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.plain_text import markdown_literal
from core.records import RunRecord
from core.run_files import CALLBACKS_FILE, tensorboard_installed
from core.settings import RunSettings
from core.store import store_from_environment
from ui.i18n import tr

FILES_KEY = "run_files_shown"  # run id -> its files, for the run the page shows (one at a time)


def logging_choice(settings: RunSettings) -> RunSettings:
    """fit: two boxes that add the logging callbacks; other methods' settings come back as they are."""
    if settings.method != "fit":
        return settings
    st.caption(tr("take.callbacks_label"))
    left, right, _ = st.columns([2, 2, 3])
    csv_logger = left.checkbox(tr("take.csv_logger"), key="fit_csv_logger")
    available = tensorboard_installed()
    tensorboard = right.checkbox(tr("take.tensorboard_callback"), key="fit_tensorboard_callback", disabled=not available)
    if not available:  # said under the boxes, not in a tooltip: a greyed-out box alone does not say why
        st.caption(tr("take.tensorboard_missing"))
    chosen = replace(settings, csv_logger=csv_logger, tensorboard_callback=tensorboard and available)
    added = [name for name, on in (("CSVLogger", chosen.csv_logger), ("TensorBoard", chosen.tensorboard_callback)) if on]
    if added:
        st.caption(tr("take.callbacks_added", names=", ".join(f"`keras.callbacks.{name}`" for name in added)))
    return chosen


def _files(run_id: str) -> dict[str, bytes]:
    shown = st.session_state.get(FILES_KEY, {})
    if run_id in shown:
        return shown[run_id]
    try:
        found = store_from_environment().files_of([run_id]).get(run_id, {})
    except Exception:  # noqa: BLE001 - a database problem hides this panel, not the page
        return {}
    if found:  # kept once found; a run whose files are not saved yet is asked again at the next rerun
        st.session_state[FILES_KEY] = {run_id: found}
    return found


def callbacks_that_ran(records: list[RunRecord]) -> None:
    """For each shown run that kept its callbacks (fit), the list passed to `model.fit` and where its files are."""
    for record in records:
        files = _files(record.run_id)
        if CALLBACKS_FILE not in files:
            continue
        st.markdown(f"**{tr('take.callbacks_title')}**")
        st.code(files[CALLBACKS_FILE].decode("utf-8", "replace"), language="python")
        others = sorted(path for path in files if path != CALLBACKS_FILE)
        label = markdown_literal(record.label or record.run_id)
        if others:
            listed = ", ".join(f"`{path}`" for path in others[:6]) + (" …" if len(others) > 6 else "")
            st.caption(tr("take.callbacks_files", label=label, files=listed, run_id=record.run_id))
        else:
            st.caption(tr("take.callbacks_caption", label=label))
