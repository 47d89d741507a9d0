"""On the real reuters.npz (REUTERS_NPZ_PATH): the chapter's sizes, Keras's exact arrays, the chapter's accuracy.

All `slow`: run with `REUTERS_NPZ_PATH=/path/to/reuters.npz python -m pytest -m slow`.
Skipped, with the reason, when the variable is unset or names no file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REAL_WORD_INDEX_PATH

from core.data import KERAS_SHA256, decode_newswire, prepare_data
from core.settings import RunSettings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_data(real_data_path):
    return prepare_data(path=real_data_path, download=False)


def test_prepare_data_reads_the_variable(real_data_path, monkeypatch):
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(real_data_path))
    prepared = prepare_data(download=False)
    assert prepared.source == str(real_data_path)
    assert prepared.x_train.shape == (8982, 300)
    assert prepared.x_test.shape == (2246, 300)
    assert prepared.vocab_size == 30982
    assert prepared.num_classes == 46
    assert len(prepared.topic_names) == 46


# Keras's reuters.load_data in a process whose Keras home (KERAS_HOME, read when Keras is imported) is a
# temp folder: it finds the file there, checks its hash, downloads nothing; the padded arrays come back in a file.
KERAS_LOAD_DATA = """
import sys
import keras
import numpy as np

(x_train, y_train), (x_test, y_test) = keras.datasets.reuters.load_data()
np.savez(
    sys.argv[1],
    x_train=keras.utils.pad_sequences(x_train, maxlen=300),
    x_test=keras.utils.pad_sequences(x_test, maxlen=300),
    y_train=y_train,
    y_test=y_test,
    max_word=max(max(x) for x in x_train),
)
"""


def test_same_arrays_as_keras_load_data(real_data, real_data_path, tmp_path):
    import hashlib

    assert hashlib.sha256(real_data_path.read_bytes()).hexdigest() == KERAS_SHA256, "not the file Keras publishes"
    (tmp_path / "datasets").mkdir()
    shutil.copyfile(real_data_path, tmp_path / "datasets" / "reuters.npz")
    arrays = tmp_path / "keras_arrays.npz"
    done = subprocess.run(
        [sys.executable, "-c", KERAS_LOAD_DATA, str(arrays)],
        env={**os.environ, "KERAS_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    keras_made = np.load(arrays)
    assert np.array_equal(real_data.x_train, keras_made["x_train"])
    assert np.array_equal(real_data.x_test, keras_made["x_test"])
    assert np.array_equal(real_data.y_train, keras_made["y_train"])
    assert np.array_equal(real_data.y_test, keras_made["y_test"])
    assert real_data.vocab_size == int(keras_made["max_word"]) + 1  # the chapter's MAX_WORDS


def test_decoded_newswire_is_english(real_data_path):
    index_path = Path(REAL_WORD_INDEX_PATH or real_data_path.with_name("reuters_word_index.json"))
    if not index_path.is_file():
        pytest.skip(f"no reuters_word_index.json at {index_path} (set REUTERS_WORD_INDEX_PATH)")
    prepared = prepare_data(path=real_data_path, word_index_path=index_path, download=False)
    words = decode_newswire(prepared.x_train[0], prepared.word_index).split()
    assert len(words) == prepared.train_lengths[0] - 1  # all but the start mark
    assert sum(w in ("the", "of", "to", "and", "in", "said") for w in words) >= 3


def test_custom_loop_reaches_the_chapters_accuracy(real_data):
    from core.training import run_training

    record = run_training(RunSettings(method="custom_loop"), real_data)
    accuracies = [round(row.val_accuracy, 4) for row in record.epochs]
    print("validation accuracy by epoch:", accuracies)
    assert record.status == "finished", record.message
    assert len(accuracies) == 10
    assert 0.62 <= max(accuracies) <= 0.66
    assert 0.60 <= accuracies[-1] <= 0.65
