"""The Reuters newswire data: finding the file, reading it safely, the Keras split, tf.data.

Owns everything between a `reuters.npz` somewhere on disk and the batches a
trainer iterates: where the file is looked for (`find_reuters_file`), reading it
without ever running code hidden in its pickles (`read_reuters_npz`, which lives
in `core.npz_reader` with the limits and errors and is re-exported here), the exact
split `keras.datasets.reuters.load_data()` makes (`split_like_keras`), padding
(`prepare_data`), the optional word index for decoded text, and the input
pipeline (`make_datasets`). Prepared arrays are read-only so one copy can be
shared by every session of the web server.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

# The untrusted-file reader is its own module; these names are imported from
# core.data throughout the app and tests, so they stay importable from here.
from core import config, npz_reader
from core.npz_reader import (  # noqa: F401  (re-exported)
    MAX_NEWSWIRES,
    MAX_UNPACKED_BYTES,
    TOPIC_NAMES,
    DataError,
    DatasetUnavailableError,
    InvalidDatasetError,
)

# The data's variables (core.config): a reuters.npz to use instead of the Keras download, and its word index.
DATA_PATH_ENV, WORD_INDEX_PATH_ENV = config.DATA_PATH_ENV, config.WORD_INDEX_PATH_ENV

KERAS_FILE_NAME = "reuters.npz"
KERAS_WORD_INDEX_NAME = "reuters_word_index.json"
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
# Checked like the archive, by SHA-256 (Keras's own get_word_index checks the MD5 4d44cc38712099c9e383dc6e5f11a921).
KERAS_WORD_INDEX_SHA256 = "9b56000edc4b34a32e89fd5a23b2605594682c74efcf7d8f4e2a5514b771e633"

# Padding makes newswires x max_len int32 tokens, held about three times (the padded arrays, the
# training pipeline's cache and a conversion): the real file at the largest max_len (2000) makes
# 22.5 million. Checked before padding, so a file with many short newswires cannot ask for gigabytes.
MAX_PADDED_TOKENS = 40_000_000

# The defaults of keras.datasets.reuters.load_data(); the split must match it exactly.
KERAS_SPLIT_SEED = 113
TEST_SPLIT = 0.2
START_CHAR = 1
OOV_CHAR = 2
INDEX_FROM = 3


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded datasets ($KERAS_HOME/datasets or ~/.keras/datasets)."""
    return config.environment().keras_home.expanduser() / "datasets"


def _keras_cache() -> dict[str, str]:
    # Keras reads KERAS_HOME once, at import; naming the folder keeps a download where the lookup above finds it.
    # It must exist: Keras falls back to /tmp/.keras for a folder it cannot write, where nobody would look again.
    folder = keras_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return {"cache_dir": str(folder.parent), "cache_subdir": folder.name}


def how_to_supply_data() -> str:
    """One paragraph a user can act on when no data file is reachable."""
    return (
        f"Set the environment variable {DATA_PATH_ENV} to the path of a reuters.npz "
        f"(optionally {WORD_INDEX_PATH_ENV} to its reuters_word_index.json), or put "
        f"the files in the Keras cache at {keras_cache_dir() / KERAS_FILE_NAME}, or "
        f"connect to the internet so Keras can download them from {KERAS_ORIGIN}."
    )


def read_reuters_npz(source: str | os.PathLike[str] | bytes | IO[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """core.npz_reader's `read_reuters_npz`; a missing file's error also says where else the data can come from."""
    try:
        return npz_reader.read_reuters_npz(source)
    except DatasetUnavailableError as error:
        raise DatasetUnavailableError(error.problem, how_to_supply_data()) from error


# ---------------------------------------------------------------------------
# Finding the file


def find_reuters_file(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """The file to load, in this order: `path`, $REUTERS_NPZ_PATH, the Keras cache, a download."""
    for source, candidate in (("the given path", path), (DATA_PATH_ENV, config.environment().reuters_npz_path)):
        if candidate:
            found = Path(candidate).expanduser()
            if not found.is_file():
                raise DatasetUnavailableError(f"{source} points at {found}, which is not a file.", how_to_supply_data())
            return found
    cached = keras_cache_dir() / KERAS_FILE_NAME
    if cached.is_file():
        return cached
    if download:
        try:
            import keras  # imported here: only this branch needs TensorFlow

            return Path(
                keras.utils.get_file(
                    KERAS_FILE_NAME, origin=KERAS_ORIGIN + KERAS_FILE_NAME, file_hash=KERAS_SHA256, **_keras_cache()
                )
            )
        except Exception as error:  # offline, proxy, disk full: all mean "not available"
            raise DatasetUnavailableError(
                f"The Reuters data could not be downloaded ({type(error).__name__}: {error}).", how_to_supply_data()
            ) from error
    raise DatasetUnavailableError("No Reuters data file was found.", how_to_supply_data())


def find_word_index_file(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path | None:
    """Same lookup order as the data; None when unavailable (the word index is optional)."""
    for candidate in (path, config.environment().reuters_word_index_path):
        if candidate:
            found = Path(candidate).expanduser()
            return found if found.is_file() else None
    cached = keras_cache_dir() / KERAS_WORD_INDEX_NAME
    if cached.is_file():
        return cached
    if download:
        try:
            import keras

            return Path(
                keras.utils.get_file(
                    KERAS_WORD_INDEX_NAME,
                    origin=KERAS_ORIGIN + KERAS_WORD_INDEX_NAME,
                    file_hash=KERAS_WORD_INDEX_SHA256,
                    **_keras_cache(),
                )
            )
        except Exception:
            return None
    return None


def load_word_index(path: Path | None) -> dict[str, int] | None:
    """The word -> rank mapping, or None when missing or unreadable (decoded text is optional)."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            index = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict):
        return None
    return {str(word): int(rank) for word, rank in index.items() if isinstance(rank, int)}


# ---------------------------------------------------------------------------
# The split and padding


def split_like_keras(
    xs: np.ndarray, labels: np.ndarray
) -> tuple[tuple[list[list[int]], np.ndarray], tuple[list[list[int]], np.ndarray]]:
    """Exactly what keras.datasets.reuters.load_data() does with its defaults (num_words=None).

    Shuffle with RandomState(113), prepend start_char 1, offset ids by 3, then map
    every id >= the largest id to oov_char 2 (Keras sets num_words to the largest
    id and keeps ids strictly below it, so the single largest id becomes OOV),
    and cut 80/20.
    """
    rng = np.random.RandomState(KERAS_SPLIT_SEED)
    indices = np.arange(len(xs))
    rng.shuffle(indices)
    xs, labels = xs[indices], labels[indices]
    shifted = [[START_CHAR] + [int(w) + INDEX_FROM for w in x] for x in xs]
    num_words = max(max(x) for x in shifted)
    shifted = [[w if 0 <= w < num_words else OOV_CHAR for w in x] for x in shifted]
    cut = int(len(shifted) * (1 - TEST_SPLIT))
    return (shifted[:cut], np.asarray(labels[:cut])), (shifted[cut:], np.asarray(labels[cut:]))


@dataclass(frozen=True)
class PreparedData:
    """Padded arrays ready for training, shared read-only by every run and session."""

    x_train: np.ndarray  # (8982, max_len) int32, pre-padded with 0
    y_train: np.ndarray  # (8982,) int32 topic ids
    x_test: np.ndarray  # (2246, max_len) int32
    y_test: np.ndarray  # (2246,) int32
    train_lengths: np.ndarray  # tokens per newswire before padding (for the histogram)
    test_lengths: np.ndarray
    vocab_size: int  # largest word id + 1: the Embedding's input_dim (30,982)
    num_classes: int  # largest topic id + 1: the Dense layer's width (46)
    max_len: int
    source: str  # the file the data came from, for display
    word_index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def topic_names(self) -> tuple[str, ...]:
        return TOPIC_NAMES[: self.num_classes]

    @functools.cached_property
    def content_hash(self) -> str:
        """SHA-256 of exactly what training reads (padded tokens and topics of both splits).

        Part of a run's fingerprint: the same newswires padded the same way give the same
        numbers, whatever file or upload they came from. Computed once (~20 ms on the real set).
        """
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            digest.update(f"{array.dtype.str}{array.shape};".encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def prepare_data(
    max_len: int = 300,
    path: str | os.PathLike[str] | bytes | None = None,
    word_index_path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
) -> PreparedData:
    """Find (or take) the file, split it like Keras, pad to `max_len`. Raises DataError only."""
    from keras.utils import pad_sequences

    if isinstance(path, (bytes, bytearray)):
        xs, labels = read_reuters_npz(path)
        source = "uploaded file"
    else:
        found = find_reuters_file(path, download=download)
        xs, labels = read_reuters_npz(found)
        source = str(found)
    if len(xs) * max_len > MAX_PADDED_TOKENS:
        raise InvalidDatasetError(
            f"{source}: {len(xs):,} newswires padded to max_len {max_len:,} make {len(xs) * max_len:,} tokens, more "
            f"than the {MAX_PADDED_TOKENS:,} this app prepares: lower max_len to at most {MAX_PADDED_TOKENS // len(xs):,}."
        )
    (train_seqs, y_train), (test_seqs, y_test) = split_like_keras(xs, labels)
    if not train_seqs or not test_seqs:
        raise InvalidDatasetError(f"{source}: {len(xs)} newswires are too few to make a training and a test set.")
    # pad_sequences pre-pads and pre-truncates by default, as the chapter does.
    x_train = pad_sequences(train_seqs, maxlen=max_len).astype(np.int32)
    x_test = pad_sequences(test_seqs, maxlen=max_len).astype(np.int32)
    arrays = {
        "x_train": x_train,
        "y_train": y_train.astype(np.int32),
        "x_test": x_test,
        "y_test": y_test.astype(np.int32),
        "train_lengths": np.array([len(s) for s in train_seqs], dtype=np.int32),
        "test_lengths": np.array([len(s) for s in test_seqs], dtype=np.int32),
    }
    for array in arrays.values():
        array.setflags(write=False)  # shared between sessions: nobody may change it
    word_index = load_word_index(find_word_index_file(word_index_path, download=download))
    return PreparedData(
        **arrays,
        # The chapter's MAX_WORDS = x_train.max() + 1 and CAT_NUM = y_train.max() + 1 (the
        # same on the real data), but over both splits: an id or topic seen only in the
        # test split must still fit the Embedding and Dense layers, or validation fails.
        vocab_size=max(int(x_train.max()), int(x_test.max())) + 1,
        num_classes=max(int(y_train.max()), int(y_test.max())) + 1,
        max_len=max_len,
        source=source,
        word_index=word_index,
    )


def decode_newswire(tokens: np.ndarray, word_index: dict[str, int] | None) -> str | None:
    """The words of a padded newswire, or None without a word index.

    Ids are offset by 3: 0 is padding, 1 marks the start, 2 an unknown word.
    """
    if not word_index:
        return None
    words_by_id = {rank + INDEX_FROM: word for word, rank in word_index.items()}
    words = [words_by_id.get(int(t), "?") for t in tokens if int(t) not in (0, START_CHAR)]
    return " ".join(words)


# ---------------------------------------------------------------------------
# The input pipeline


def make_datasets(data: PreparedData, batch_size: int, shuffle_buffer: int, seed: int):
    """tf.data pipelines: cache, then a seeded shuffle that differs every epoch, then batch, then prefetch.

    The chapter writes `.shuffle().batch().prefetch().cache()`: caching *after*
    the shuffle stores the first epoch's order, so every later epoch replays the
    same batches. Caching first and shuffling after keeps a fresh order each
    epoch. A dataset built with the same seed yields the same sequence of
    orders, which is what makes the trainers see identical batches.
    """
    import tensorflow as tf

    train = (
        tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
        .cache()
        .shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    # Validation order does not change any metric, so it is not shuffled.
    valid = tf.data.Dataset.from_tensor_slices((data.x_test, data.y_test)).cache().batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return train.with_options(without_autotuning()), valid.with_options(without_autotuning())


def without_autotuning():
    """tf.data options with the autotuner's model thread off.

    Measured (bench/pipeline.py): with autotuning on, freeing an epoch's
    iterator at the end of a Python loop can block until the autotuner's thread
    next wakes, at 10·(2^n−1) ms after the loop began (1.27, 2.55, 5.11 s), so an
    epoch of 2.6 s could take 5.1 s. Prefetch still sizes its own buffer; the
    batches, their order and every number are unchanged.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options
