"""Where a session's dataset comes from: the shared cached copy, or this session's upload.

The prepared dataset is built once per (max_len, source file) with
`st.cache_resource` and shared read-only by every session. When no file is
reachable, `dataset_or_panel` draws a panel that says how to supply one and
offers an upload, validated by core's safe loader and kept for this session.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from core.config import environment
from core.data import (
    DATA_PATH_ENV,
    DataError,
    DatasetUnavailableError,
    PreparedData,
    find_reuters_file,
    find_word_index_file,
    keras_cache_dir,
    prepare_data,
    read_reuters_npz,
)
from ui.i18n import tr

UPLOAD_KEY = "uploaded_reuters"  # session_state: (file name, sha256, bytes) of a validated upload


@st.cache_resource(show_spinner=False, ttl=60)
def _download_once() -> tuple[str | None, str]:
    """The Keras download, or None and why. Cached for a minute so an offline server does not retry every rerun."""
    try:
        return str(find_reuters_file(download=True)), ""
    except DataError as error:
        return None, getattr(error, "problem", str(error))  # the page adds its own advice, translated


@st.cache_resource(show_spinner=False, ttl=60)
def _word_index_download_once() -> str | None:
    """The word index from Keras, checked by its hash like the archive; None offline (retried after a minute)."""
    found = find_word_index_file(download=True)
    return str(found) if found else None


def _locate_file() -> tuple[str | None, str]:
    """The given file or the Keras cache (cheap, checked every time), else one cached download attempt."""
    try:
        return str(find_reuters_file(download=False)), ""
    except DatasetUnavailableError:
        return _download_once()


def _locate_word_index() -> str | None:
    """The words behind the token ids: given, in the Keras cache, or downloaded beside a downloaded archive.

    Only data that came from Keras brings Keras's word index along: a file named by
    REUTERS_NPZ_PATH or uploaded is the visitor's own, and its words (if any) come from
    REUTERS_WORD_INDEX_PATH. Without this, a fresh server showed token ids in "What the
    model learned" for good, because preparing never downloads.
    """
    found = find_word_index_file(download=False)
    if found is not None:
        return str(found)
    if environment().reuters_npz_path:
        return None
    return _word_index_download_once()


@st.cache_resource(show_spinner=False, max_entries=4)
def _prepare_from_file(max_len: int, path: str, modified: float, word_index: str | None) -> PreparedData:
    # `modified` is part of the key: a replaced file is prepared again; so is `word_index`, once it has arrived.
    return prepare_data(max_len, path, word_index, download=False)


@st.cache_resource(show_spinner=False, max_entries=4)
def _prepare_from_upload(max_len: int, digest: str, _payload: bytes) -> PreparedData:
    # Keyed by the upload's hash (the underscore keeps the bytes out of the key).
    return prepare_data(max_len, _payload, download=False)


def current_dataset(max_len: int) -> PreparedData:
    """The dataset this session trains on. Raises DataError with a readable message."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload:
        _name, digest, payload = upload
        return _prepare_from_upload(max_len, digest, payload)
    path, why = _locate_file()
    if path is None:
        raise DatasetUnavailableError(why)
    return _prepare_from_file(max_len, path, Path(path).stat().st_mtime, _locate_word_index())


def check_upload(name: str, payload: bytes) -> tuple[tuple[str, str, bytes] | None, str]:
    """(kept upload, "") when `payload` is a valid Reuters archive, else (None, the reason)."""
    try:
        read_reuters_npz(payload)
    except DataError as error:
        return None, f"`{safe_name(name)}`: {error}"  # a code span: a name like www.x.com is no link
    return (name, hashlib.sha256(payload).hexdigest(), payload), ""


def _accept_upload() -> None:
    """on_change of the uploader: validate before keeping anything."""
    uploaded = st.session_state.get("reuters_upload")
    st.session_state.pop("upload_error", None)
    if uploaded is None:
        return
    kept, problem = check_upload(uploaded.name, uploaded.getvalue())
    if kept is None:
        st.session_state["upload_error"] = problem
    else:
        st.session_state[UPLOAD_KEY] = kept


def dataset_or_panel(max_len: int) -> PreparedData | None:
    """The dataset, or None after drawing the 'how to supply the data' panel."""
    try:
        with st.spinner(tr("data.preparing")):
            return current_dataset(max_len)
    except DataError as error:
        problem = getattr(error, "problem", str(error))  # what went wrong; the advice below is the page's own
    st.error(tr("data.unavailable"), icon=":material/dataset:")
    st.markdown(tr("data.how_to", problem=problem, env=DATA_PATH_ENV, cache=keras_cache_dir()))
    upload_panel()
    return None


def upload_panel() -> None:
    st.file_uploader(tr("data.upload"), type=["npz"], key="reuters_upload", on_change=_accept_upload)
    if st.session_state.get("upload_error"):
        st.error(st.session_state["upload_error"])
    upload = st.session_state.get(UPLOAD_KEY)
    if upload:
        st.success(tr("data.using_upload", name=safe_name(upload[0])))
        st.button(tr("data.forget_upload"), key="forget_upload", on_click=forget_upload)


def safe_name(name: str) -> str:
    """A file name as plain text: no markdown, no HTML, bounded length."""
    return "".join(ch for ch in name if ch.isalnum() or ch in "._- ")[:80] or "upload"


def forget_upload() -> None:
    st.session_state.pop(UPLOAD_KEY, None)
