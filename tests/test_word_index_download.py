"""The word index arrives with the Keras data, checked by its hash like the archive.

Preparing never downloads, so before this a fresh server that downloaded the
archive showed token ids instead of words in "What the model learned" for good.
The download itself is Keras's `get_file`; these tests replace the network with
a local copy (there is none here) and check what the app asks for and keeps.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import pytest
import streamlit as st
from conftest import REAL_WORD_INDEX_PATH
from fixture_data import write_fixture_npz, write_fixture_word_index

from core import data
from core.data import KERAS_WORD_INDEX_NAME, KERAS_WORD_INDEX_SHA256, keras_cache_dir


@pytest.fixture
def data_in_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    keras_cache_dir().mkdir(parents=True)
    write_fixture_npz(keras_cache_dir() / "reuters.npz")
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_data_from_keras_brings_its_word_index_downloaded_with_the_archives_check(data_in_the_keras_cache, tmp_path, monkeypatch):
    from ui.data_source import current_dataset

    calls = []
    source = write_fixture_word_index(tmp_path / "served.json")

    def fake_get_file(fname, origin, file_hash=None, cache_dir=None, cache_subdir=None):
        calls.append((fname, origin, file_hash))
        target = Path(cache_dir) / cache_subdir / fname
        shutil.copy(source, target)
        return str(target)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    prepared = current_dataset(40)
    assert prepared.word_index is not None and prepared.word_index["word7"] == 7
    assert calls == [(KERAS_WORD_INDEX_NAME, data.KERAS_ORIGIN + KERAS_WORD_INDEX_NAME, KERAS_WORD_INDEX_SHA256)]


def test_a_word_index_that_fails_its_hash_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    served = tmp_path / "served"
    served.mkdir()
    write_fixture_word_index(served / KERAS_WORD_INDEX_NAME)  # not the real file: its hash differs
    monkeypatch.setattr(data, "KERAS_ORIGIN", served.as_uri() + "/")
    assert data.find_word_index_file(download=True) is None


def test_the_real_word_index_passes_the_check(tmp_path, monkeypatch):
    # The project's variable names the real file in CI (.ci/run); the isolation fixture hides it from the app.
    real = Path(REAL_WORD_INDEX_PATH or "/nonexistent")
    if not real.is_file():
        pytest.skip("REUTERS_WORD_INDEX_PATH does not name the real reuters_word_index.json")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "KERAS_ORIGIN", real.parent.as_uri() + "/")
    found = data.find_word_index_file(download=True)
    assert found is not None and found.parent == keras_cache_dir()


def test_a_file_given_by_path_never_downloads_a_word_index(tmp_path, monkeypatch):
    from ui.data_source import current_dataset

    monkeypatch.setenv("REUTERS_NPZ_PATH", str(write_fixture_npz(tmp_path / "reuters.npz")))

    def no_download(*args, **kwargs):
        raise AssertionError("a visitor's own data file must not fetch Keras's word index")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    st.cache_resource.clear()
    try:
        assert current_dataset(40).word_index is None
    finally:
        st.cache_resource.clear()
