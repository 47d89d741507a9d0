"""The Reuters newswire data: finding the file, reading it safely, the Keras split, tf.data.

Owns everything between a `reuters.npz` somewhere on disk and the batches a
trainer iterates: where the file is looked for (`find_reuters_file`), reading it
without ever running code hidden in its pickles (`read_reuters_npz`), the exact
split `keras.datasets.reuters.load_data()` makes (`split_like_keras`), padding
(`prepare_data`), the optional word index for decoded text, and the input
pipeline (`make_datasets`). Prepared arrays are read-only so one copy can be
shared by every session of the web server.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

# Environment variables this project defines (documented in the README).
DATA_PATH_ENV = "REUTERS_NPZ_PATH"  # a reuters.npz to use instead of the Keras download
WORD_INDEX_PATH_ENV = "REUTERS_WORD_INDEX_PATH"  # a reuters_word_index.json, optional

KERAS_FILE_NAME = "reuters.npz"
KERAS_WORD_INDEX_NAME = "reuters_word_index.json"
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
KERAS_WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"

# The defaults of keras.datasets.reuters.load_data(); the split must match it exactly.
KERAS_SPLIT_SEED = 113
TEST_SPLIT = 0.2
START_CHAR = 1
OOV_CHAR = 2
INDEX_FROM = 3

# Limits that make a hostile upload fail fast instead of filling memory: the
# real file unpacks to about 4 MB, so 64 MB leaves room for bigger honest files.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_NEWSWIRES = 200_000
# A pickle can list the same newswire many times for a few bytes each, so the
# size on disk does not bound the words: count them (the real file has 1.6 million).
MAX_WORDS = 16_000_000
# The Embedding gets a row per word id: an id of a billion would ask for 28 GB of
# weights. The real file's largest id is 30,979.
MAX_WORD_ID = 1_000_000

# The Reuters topic names (keras.datasets.reuters.get_label_names()), kept here
# so the names are available without importing TensorFlow; a test checks they
# equal Keras's list.
TOPIC_NAMES: tuple[str, ...] = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton",
    "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal",
    "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei",
    "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)  # fmt: skip


class DataError(Exception):
    """Base of every data problem; its message is meant for the person reading it."""


class DatasetUnavailableError(DataError):
    """No Reuters file could be found or downloaded."""


class InvalidDatasetError(DataError):
    """A file was found but is not a valid Reuters archive; the message says why."""


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded datasets ($KERAS_HOME/datasets or ~/.keras/datasets)."""
    return Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"


def how_to_supply_data() -> str:
    """One paragraph a user can act on when no data file is reachable."""
    return (
        f"Set the environment variable {DATA_PATH_ENV} to the path of a reuters.npz "
        f"(optionally {WORD_INDEX_PATH_ENV} to its reuters_word_index.json), or put "
        f"the files in the Keras cache at {keras_cache_dir() / KERAS_FILE_NAME}, or "
        f"connect to the internet so Keras can download them from {KERAS_ORIGIN}."
    )


# ---------------------------------------------------------------------------
# Finding the file


def find_reuters_file(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """The file to load, in this order: `path`, $REUTERS_NPZ_PATH, the Keras cache, a download."""
    for source, candidate in (("the given path", path), (DATA_PATH_ENV, os.environ.get(DATA_PATH_ENV))):
        if candidate:
            found = Path(candidate).expanduser()
            if not found.is_file():
                raise DatasetUnavailableError(f"{source} points at {found}, which is not a file. {how_to_supply_data()}")
            return found
    cached = keras_cache_dir() / KERAS_FILE_NAME
    if cached.is_file():
        return cached
    if download:
        try:
            import keras  # imported here: only this branch needs TensorFlow

            return Path(
                keras.utils.get_file(
                    KERAS_FILE_NAME, origin=KERAS_ORIGIN + KERAS_FILE_NAME, file_hash=KERAS_SHA256
                )
            )
        except Exception as error:  # offline, proxy, disk full: all mean "not available"
            raise DatasetUnavailableError(
                f"The Reuters data could not be downloaded ({type(error).__name__}: {error}). {how_to_supply_data()}"
            ) from error
    raise DatasetUnavailableError(f"No Reuters data file was found. {how_to_supply_data()}")


def find_word_index_file(path: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path | None:
    """Same lookup order as the data; None when unavailable (the word index is optional)."""
    for candidate in (path, os.environ.get(WORD_INDEX_PATH_ENV)):
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
                    file_hash=KERAS_WORD_INDEX_MD5,
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
# Reading the file safely


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy object arrays and nothing else (the same allow-list Keras 3.15 uses).

    The Reuters arrays are ragged lists stored as pickles; a plain
    `np.load(allow_pickle=True)` would run whatever a tampered file asks for.
    """

    ALLOWED = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it asks to run {_quoted(module + '.' + name)}, which a data file never needs")


def _read_npy(stream: IO[bytes]) -> np.ndarray:
    """One .npy member: numeric arrays with pickling off, object arrays through the allow-list."""
    version = np.lib.format.read_magic(stream)
    if version[0] == 1:
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        # Format 3.0 differs from 2.0 only in the header's text encoding.
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        array = _NumpyOnlyUnpickler(stream).load()
        if not isinstance(array, np.ndarray):
            raise pickle.UnpicklingError("the pickled member is not an array")
        return array
    count = int(np.prod(shape, dtype=np.int64))
    data = stream.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError("the array is shorter than its header says (truncated file)")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _quoted(text: object, limit: int = 120) -> str:
    """Text that comes from a file, safe in a message a page renders as Markdown.

    One inline code span (no links, HTML or emphasis inside), without backticks or
    line breaks that could end it, and bounded in length.
    """
    plain = "".join(ch if ch.isprintable() and ch != "`" else " " for ch in str(text)).strip()
    return f"`{plain[:limit] + ('…' if len(plain) > limit else '') or ' '}`"


def _quoted_names(names: list[str], limit: int = 10) -> str:
    if not names:
        return "nothing"
    shown = ", ".join(_quoted(n, 60) for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def read_reuters_npz(source: str | os.PathLike[str] | bytes | IO[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The raw `x` (ragged token lists) and `y` (topic ids) of a reuters.npz, validated.

    `source` is a path, the file's bytes (an upload) or a binary stream. Raises
    InvalidDatasetError naming what is wrong; never executes code from the file.
    """
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    name = str(source) if isinstance(source, (str, os.PathLike)) else "the uploaded file"
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError as error:
        raise DatasetUnavailableError(f"{name} does not exist. {how_to_supply_data()}") from error
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidDatasetError(f"{name} is not a .npz archive (not a readable zip file: {error}).") from error
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        missing = [key for key in ("x.npy", "y.npy") if key not in members]
        if missing:
            raise InvalidDatasetError(
                f"{name} is not a Reuters archive: it has no {' or '.join(m[:-4] for m in missing)} array "
                f"(found: {_quoted_names(sorted(members))})."
            )
        arrays: dict[str, np.ndarray] = {}
        for key in ("x", "y"):
            info = members[f"{key}.npy"]
            if info.file_size > MAX_UNPACKED_BYTES:
                raise InvalidDatasetError(
                    f"{name}: the {key} array unpacks to {info.file_size:,} bytes, over the "
                    f"{MAX_UNPACKED_BYTES:,}-byte limit (the real file's is about 4 MB)."
                )
            try:
                with archive.open(info) as member:
                    # Read one byte past the limit: a lying header cannot make us read more.
                    raw = member.read(MAX_UNPACKED_BYTES + 1)
                if len(raw) > MAX_UNPACKED_BYTES:
                    raise InvalidDatasetError(f"{name}: the {key} array is larger than the archive says.")
                arrays[key] = _read_npy(io.BytesIO(raw))
            except InvalidDatasetError:
                raise
            except pickle.UnpicklingError as error:
                raise InvalidDatasetError(f"{name}: the {key} array was refused: {error}.") from error
            except Exception as error:  # zlib, EOF, bad header, bad CRC: all mean a broken file
                raise InvalidDatasetError(
                    f"{name}: the {key} array cannot be read ({type(error).__name__}: {_quoted(error)}); "
                    "the file is damaged or truncated."
                ) from error
    return _validated(arrays["x"], arrays["y"], name)


def _validated(xs: np.ndarray, labels: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check the shape of the data a Reuters file must have; return int arrays."""
    if xs.ndim != 1 or labels.ndim != 1:
        raise InvalidDatasetError(f"{name}: x and y must be one-dimensional lists, got shapes {xs.shape} and {labels.shape}.")
    if len(xs) == 0:
        raise InvalidDatasetError(f"{name}: the archive holds no newswires.")
    if len(xs) > MAX_NEWSWIRES:
        raise InvalidDatasetError(f"{name}: {len(xs):,} newswires is more than the {MAX_NEWSWIRES:,} this app accepts.")
    if len(xs) != len(labels):
        raise InvalidDatasetError(f"{name}: x has {len(xs):,} newswires but y has {len(labels):,} labels.")
    if labels.dtype.kind not in "iu":
        raise InvalidDatasetError(f"{name}: labels must be integers, got {labels.dtype.name}.")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= len(TOPIC_NAMES):
        raise InvalidDatasetError(
            f"{name}: labels must be topic ids from 0 to {len(TOPIC_NAMES) - 1}, found values from {low} to {high}."
        )
    # Count first (len() costs nothing), so a few bytes that name one list many times convert nothing.
    words = sum(s.size if isinstance(s, np.ndarray) else len(s) if isinstance(s, (list, tuple)) else 1 for s in xs)
    if words > MAX_WORDS:
        raise InvalidDatasetError(
            f"{name}: the newswires hold {words:,} words in all, more than the {MAX_WORDS:,} this app accepts "
            "(the real file has about 1.6 million)."
        )
    sequences = []
    for position, sequence in enumerate(xs):
        if isinstance(sequence, (list, tuple)):
            # Before np.asarray: nested lists would be unfolded into an array as large as they
            # claim (a 2 kB pickle can ask for gigabytes), or fail with a bare ValueError.
            odd = [t for t in sequence if not isinstance(t, (int, np.integer))][:1]
            if odd:
                raise InvalidDatasetError(
                    f"{name}: newswire {position} is not a list of integer word ids (it holds a {type(odd[0]).__name__})."
                )
        tokens = np.asarray(sequence)
        if tokens.ndim != 1 or (tokens.size and tokens.dtype.kind not in "iu"):
            raise InvalidDatasetError(
                f"{name}: newswire {position} is not a list of integer word ids (got {tokens.dtype.name}, shape {tokens.shape})."
            )
        if tokens.size and int(tokens.min()) < 0:
            raise InvalidDatasetError(f"{name}: newswire {position} has a negative word id.")
        if tokens.size and int(tokens.max()) > MAX_WORD_ID:
            raise InvalidDatasetError(
                f"{name}: newswire {position} has the word id {int(tokens.max()):,}, over the {MAX_WORD_ID:,} this app "
                "accepts (the real file's largest is 30,979)."
            )
        sequences.append(tokens.astype(np.int64, copy=False))
    clean = np.empty(len(sequences), dtype=object)
    clean[:] = sequences
    return clean, labels.astype(np.int64)


# ---------------------------------------------------------------------------
# The split and padding


def split_like_keras(xs: np.ndarray, labels: np.ndarray) -> tuple[tuple[list[list[int]], np.ndarray], tuple[list[list[int]], np.ndarray]]:
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
    orders, which is what makes the three trainers see identical batches.
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
