"""The data layer: Keras's exact split, safe reading of hostile files, where the file is looked for, tf.data order."""

from __future__ import annotations

import os
import zipfile
from dataclasses import replace
from pathlib import Path

import keras
import keras.src.datasets.reuters as keras_reuters
import numpy as np
import pytest
from fixture_data import (
    SystemCommand,
    TouchMarker,
    make_fixture_arrays,
    npy_bytes,
    ragged,
    write_fixture_npz,
    write_fixture_word_index,
    write_npz,
    write_pickle_bomb,
)

from core import data, npz_reader
from core.data import (
    DataError,
    DatasetUnavailableError,
    InvalidDatasetError,
    decode_newswire,
    find_reuters_file,
    make_datasets,
    prepare_data,
    read_reuters_npz,
    split_like_keras,
)


@pytest.fixture
def use_fixture_in_keras(monkeypatch, fixture_npz):
    """keras.datasets.reuters.load_data() reads the fixture instead of downloading."""
    monkeypatch.setattr(keras_reuters, "get_file", lambda *args, **kwargs: str(fixture_npz))


# ---------------------------------------------------------------------------
# The same data as Keras


def test_reader_returns_the_arrays_of_the_file(fixture_npz):
    xs, labels = read_reuters_npz(fixture_npz)
    expected_x, expected_y = make_fixture_arrays()
    assert len(xs) == len(labels) == 240
    assert [list(x) for x in xs] == [list(x) for x in expected_x]
    assert np.array_equal(labels, expected_y)


def test_split_equals_keras_load_data(fixture_npz, use_fixture_in_keras):
    (keras_x_train, keras_y_train), (keras_x_test, keras_y_test) = keras.datasets.reuters.load_data()
    (x_train, y_train), (x_test, y_test) = split_like_keras(*read_reuters_npz(fixture_npz))
    assert len(x_train) == len(keras_x_train) == 192
    assert len(x_test) == len(keras_x_test) == 48
    assert [list(x) for x in keras_x_train] == x_train
    assert [list(x) for x in keras_x_test] == x_test
    assert np.array_equal(keras_y_train, y_train)
    assert np.array_equal(keras_y_test, y_test)


def test_prepared_arrays_equal_keras_padded(tiny_data, use_fixture_in_keras):
    (x_train, y_train), (x_test, y_test) = keras.datasets.reuters.load_data()
    assert np.array_equal(tiny_data.x_train, keras.utils.pad_sequences(x_train, maxlen=40))
    assert np.array_equal(tiny_data.x_test, keras.utils.pad_sequences(x_test, maxlen=40))
    assert np.array_equal(tiny_data.y_train, y_train)
    assert np.array_equal(tiny_data.y_test, y_test)
    assert list(tiny_data.train_lengths) == [len(x) for x in x_train]


def test_topic_names_equal_keras():
    assert tuple(keras.datasets.reuters.get_label_names()) == data.TOPIC_NAMES
    assert len(data.TOPIC_NAMES) == 46


# ---------------------------------------------------------------------------
# Hostile and broken files


@pytest.mark.parametrize("payload_type", [TouchMarker, SystemCommand])
def test_pickle_payload_is_refused_and_never_runs(tmp_path, payload_type):
    # First prove the payload is live: numpy's unsafe loader does run it.
    control = tmp_path / "control-marker"
    control_file = write_pickle_bomb(tmp_path / "control.npz", payload_type(control))
    with np.load(control_file, allow_pickle=True) as unsafe:
        unsafe["x"]
    assert control.exists(), "the payload did not run even unsafely: this test would prove nothing"

    marker = tmp_path / "marker"
    hostile = write_pickle_bomb(tmp_path / "hostile.npz", payload_type(marker))
    with pytest.raises(InvalidDatasetError, match="x array was refused: it asks to run") as caught:
        read_reuters_npz(hostile)
    assert "which a data file never needs" in str(caught.value)
    assert not marker.exists()


def test_pickle_payload_in_an_upload_is_refused(tmp_path):
    marker = tmp_path / "marker"
    hostile = write_pickle_bomb(tmp_path / "hostile.npz", TouchMarker(marker))
    with pytest.raises(InvalidDatasetError, match="the uploaded file: the x array was refused"):
        prepare_data(max_len=40, path=hostile.read_bytes(), download=False)
    assert not marker.exists()


def test_not_a_zip(tmp_path):
    path = tmp_path / "reuters.npz"
    path.write_text("this is a newswire, not an archive")
    with pytest.raises(InvalidDatasetError, match="is not a .npz archive"):
        read_reuters_npz(path)


def test_zip_without_x(tmp_path):
    path = write_npz(tmp_path / "reuters.npz", {"y.npy": npy_bytes(np.array([1, 2])), "z.npy": b""})
    with pytest.raises(InvalidDatasetError, match=r"it has no x array \(found: `y.npy`, `z.npy`\)"):
        read_reuters_npz(path)


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (ragged([1, 2], [3]), np.array([1, 2, 3]), "x has 2 newswires but y has 3 labels"),
        (ragged([1.5, 2.0], [3.0]), np.array([1, 2]), "newswire 0 is not a list of integer word ids"),
        (ragged([1, 2], [3, -4]), np.array([1, 2]), "newswire 1 has a negative word id"),
        (ragged([1, 2], [3]), np.array([1, 46]), "labels must be topic ids from 0 to 45, found values from 1 to 46"),
        (ragged([1, 2], [3]), np.array([-1, 2]), "labels must be topic ids from 0 to 45, found values from -1 to 2"),
        (ragged([1, 2], [3]), np.array([1.0, 2.0]), "labels must be integers, got float64"),
        (ragged(), np.array([], dtype=np.int64), "the archive holds no newswires"),
        (ragged([1, 2], [[3, 4]]), np.array([1, 2]), "newswire 1 is not a list of integer word ids"),
        (np.zeros((2, 3), dtype=np.int64), np.array([1, 2]), "x and y must be one-dimensional"),
    ],
    ids=["length-mismatch", "float-tokens", "negative-tokens", "label-46", "label-minus-1", "float-labels",
         "empty", "nested-lists", "two-dimensional"],
)  # fmt: skip
def test_invalid_contents(tmp_path, x, y, expected):
    path = write_npz(tmp_path / "reuters.npz", {"x.npy": npy_bytes(x), "y.npy": npy_bytes(y)})
    with pytest.raises(InvalidDatasetError, match=expected):
        read_reuters_npz(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_copy(tmp_path, fixture_npz, keep):
    whole = fixture_npz.read_bytes()
    path = tmp_path / "reuters.npz"
    path.write_bytes(whole[: int(len(whole) * keep)])
    with pytest.raises(InvalidDatasetError, match="not a .npz archive"):
        read_reuters_npz(path)


def test_damaged_member_is_reported(tmp_path, fixture_npz):
    # Bytes changed inside the x array while the zip directory stays intact: the CRC catches it.
    damaged = bytearray(fixture_npz.read_bytes())
    middle = len(damaged) // 3
    damaged[middle : middle + 64] = bytes(64)
    path = tmp_path / "reuters.npz"
    path.write_bytes(bytes(damaged))
    with pytest.raises(InvalidDatasetError, match="the file is damaged or truncated"):
        read_reuters_npz(path)


def test_member_shorter_than_its_header(tmp_path):
    y = npy_bytes(np.arange(10, dtype=np.int64))
    path = write_npz(tmp_path / "reuters.npz", {"x.npy": npy_bytes(ragged(*[[1]] * 10)), "y.npy": y[:-8]})
    with pytest.raises(InvalidDatasetError, match="the y array cannot be read .*truncated file"):
        read_reuters_npz(path)


def test_member_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    # 16 MB of zeros compresses to a few kB: a small file that would unpack to much more.
    bomb = write_npz(
        tmp_path / "reuters.npz",
        {"x.npy": npy_bytes(ragged([1])), "y.npy": npy_bytes(np.zeros(2_000_000, dtype=np.int64))},
        compression=zipfile.ZIP_DEFLATED,
    )
    assert bomb.stat().st_size < 100_000
    monkeypatch.setattr(npz_reader, "MAX_UNPACKED_BYTES", 1_000_000)  # read where the reader uses it
    with pytest.raises(InvalidDatasetError, match="the y array unpacks to 16,000,128 bytes, over the 1,000,000-byte limit"):
        read_reuters_npz(bomb)


def test_bytes_input_works(fixture_npz):
    xs, _labels = read_reuters_npz(fixture_npz.read_bytes())
    assert len(xs) == 240
    prepared = prepare_data(max_len=40, path=fixture_npz.read_bytes(), download=False)
    assert prepared.source == "uploaded file"
    assert prepared.x_train.shape == (192, 40)


def test_bytes_input_that_is_not_a_zip():
    with pytest.raises(InvalidDatasetError, match="the uploaded file is not a .npz archive"):
        read_reuters_npz(b"GIF89a")


def test_every_data_error_is_a_data_error():
    assert issubclass(InvalidDatasetError, DataError)
    assert issubclass(DatasetUnavailableError, DataError)


# ---------------------------------------------------------------------------
# Where the file is looked for


@pytest.fixture
def three_sources(tmp_path, monkeypatch):
    """A file at an explicit path, one named by the variable, one in the Keras cache."""
    explicit = write_fixture_npz(tmp_path / "explicit.npz")
    from_env = write_fixture_npz(tmp_path / "from_env.npz")
    cached = data.keras_cache_dir() / "reuters.npz"
    cached.parent.mkdir(parents=True)
    write_fixture_npz(cached)
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(from_env))
    return explicit, from_env, cached


def test_explicit_path_beats_the_variable(three_sources):
    explicit, _, _ = three_sources
    assert find_reuters_file(explicit, download=False) == explicit


def test_variable_beats_the_keras_cache(three_sources):
    _, from_env, _ = three_sources
    assert find_reuters_file(download=False) == from_env


def test_keras_cache_is_used_last(three_sources, monkeypatch, tmp_path):
    _, _, cached = three_sources
    monkeypatch.delenv("REUTERS_NPZ_PATH")
    assert cached == Path(os.environ["KERAS_HOME"]) / "datasets" / "reuters.npz"
    assert find_reuters_file(download=False) == cached


def test_no_file_and_no_download_says_what_to_do():
    with pytest.raises(DatasetUnavailableError) as caught:
        find_reuters_file(download=False)
    message = str(caught.value)
    assert "REUTERS_NPZ_PATH" in message
    assert str(Path(os.environ["KERAS_HOME"]) / "datasets" / "reuters.npz") in message


def test_variable_naming_a_missing_file(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "reuters.npz"
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(missing))
    with pytest.raises(DatasetUnavailableError, match=f"REUTERS_NPZ_PATH points at {missing}, which is not a file"):
        find_reuters_file(download=False)
    with pytest.raises(DatasetUnavailableError, match="REUTERS_NPZ_PATH"):
        prepare_data(max_len=40, download=False)


def test_explicit_missing_path(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="the given path points at"):
        find_reuters_file(tmp_path / "missing.npz", download=False)


# ---------------------------------------------------------------------------
# The prepared data


def test_word_index_is_optional(tiny_data):
    assert tiny_data.word_index is None
    assert decode_newswire(tiny_data.x_train[0], tiny_data.word_index) is None


def test_word_index_decodes_words(fixture_npz, tmp_path):
    index_path = write_fixture_word_index(tmp_path / "reuters_word_index.json")
    prepared = prepare_data(max_len=40, path=fixture_npz, word_index_path=index_path, download=False)
    assert prepared.word_index["word7"] == 7
    row = prepared.x_train[0]
    words = decode_newswire(row, prepared.word_index).split()
    tokens = [int(t) for t in row if t not in (0, 1)]  # padding and the start mark are not words
    assert len(words) == len(tokens)
    assert words == [f"word{t - 3}" if t > 2 else "?" for t in tokens]


def test_word_index_from_the_variable(fixture_npz, tmp_path, monkeypatch):
    monkeypatch.setenv("REUTERS_WORD_INDEX_PATH", str(write_fixture_word_index(tmp_path / "index.json")))
    assert prepare_data(max_len=40, path=fixture_npz, download=False).word_index is not None


def test_prepared_arrays_are_read_only_int32_and_pre_padded(tiny_data):
    for array in (tiny_data.x_train, tiny_data.y_train, tiny_data.x_test, tiny_data.y_test, tiny_data.train_lengths):
        assert array.dtype == np.int32
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 1
    assert tiny_data.x_train.shape == (192, 40) and tiny_data.x_test.shape == (48, 40)
    short = int(np.argmin(tiny_data.train_lengths))
    length = int(tiny_data.train_lengths[short])
    assert length < 40
    row = tiny_data.x_train[short]
    assert (row[: 40 - length] == 0).all(), "padding goes on the left"
    assert row[40 - length] == 1, "then the start mark"
    assert (row[40 - length :] > 0).all()
    # A long newswire keeps its last 40 tokens (pre-truncation).
    long = int(np.argmax(tiny_data.train_lengths))
    assert tiny_data.train_lengths[long] > 40
    assert (tiny_data.x_train[long] > 0).all()


def test_sizes_come_from_the_data(tiny_data):
    assert tiny_data.vocab_size == int(tiny_data.x_train.max()) + 1
    assert tiny_data.num_classes == 46
    assert tiny_data.topic_names == data.TOPIC_NAMES
    assert tiny_data.max_len == 40


def test_sizes_cover_ids_seen_only_in_the_test_split(tmp_path, tiny_settings):
    """A word id or topic that only the test split holds must still fit the Embedding and Dense layers.

    Sized from the training split alone (the chapter's x_train.max() + 1), the
    model has no row for such an id and validation fails with an
    InvalidArgumentError from the Embedding's gather.
    """
    from core.training import run_training

    xs, labels = make_fixture_arrays()
    # Which original newswire lands first in the test split: Keras's shuffle with seed 113.
    order = np.arange(len(xs))
    np.random.RandomState(113).shuffle(order)
    first_test = order[192]
    xs[first_test] = xs[first_test] + [5000, 6000]  # 6000 is the largest id: Keras maps it to OOV; 5000 stays
    labels[labels == 45] = 44
    labels[first_test] = 45  # the last topic only in the test split
    path = tmp_path / "reuters.npz"
    np.savez(path, x=xs, y=labels)
    prepared = prepare_data(max_len=40, path=path, download=False)
    assert prepared.x_test.max() == 5003 and prepared.x_train.max() < 5003
    assert prepared.y_test.max() == 45 and prepared.y_train.max() < 45
    assert prepared.vocab_size == 5004
    assert prepared.num_classes == 46
    record = run_training(replace(tiny_settings, epochs=1), prepared)
    assert record.status == "finished", record.message


# ---------------------------------------------------------------------------
# The input pipeline


def epoch_orders(dataset, epochs: int) -> list[np.ndarray]:
    """The rows of each epoch, in the order the dataset yields them."""
    return [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(epochs)]


def test_same_seed_gives_the_same_sequence_of_orders(tiny_data):
    first, _ = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=3)
    second, _ = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=3)
    first_orders, second_orders = epoch_orders(first, 3), epoch_orders(second, 3)
    for a, b in zip(first_orders, second_orders):
        assert np.array_equal(a, b)
    # Every epoch is a permutation of the training set...
    for order in first_orders:
        assert order.shape == tiny_data.x_train.shape
        assert sorted(map(bytes, order)) == sorted(map(bytes, tiny_data.x_train))
    # ...in a different order each time.
    assert not np.array_equal(first_orders[0], first_orders[1])
    assert not np.array_equal(first_orders[1], first_orders[2])


def test_different_seeds_give_different_orders(tiny_data):
    first, _ = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=3)
    second, _ = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=4)
    assert not np.array_equal(epoch_orders(first, 1)[0], epoch_orders(second, 1)[0])


def test_validation_is_not_shuffled(tiny_data):
    _, valid = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=3)
    for order in epoch_orders(valid, 2):
        assert np.array_equal(order, tiny_data.x_test)
    labels = np.concatenate([y.numpy() for _, y in valid])
    assert np.array_equal(labels, tiny_data.y_test)
    assert [len(y) for _, y in valid] == [16, 16, 16]


def test_pipelines_run_without_the_autotuner_and_yield_the_same_batches(tiny_data):
    """The autotuner's end-of-epoch stall (bench/pipeline.py) is avoided by turning it off; nothing else changes."""
    import tensorflow as tf

    train, valid = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=3)
    assert train.options().autotune.enabled is False
    assert valid.options().autotune.enabled is False
    tuned = tf.data.Options()
    tuned.autotune.enabled = True
    with_autotuner, _ = make_datasets(tiny_data, batch_size=16, shuffle_buffer=1000, seed=3)
    with_autotuner = with_autotuner.with_options(tuned)
    assert with_autotuner.options().autotune.enabled is True
    for a, b in zip(epoch_orders(train, 2), epoch_orders(with_autotuner, 2)):
        assert np.array_equal(a, b)
