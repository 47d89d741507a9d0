"""Tiny Reuters-format files for tests: same layout as the real reuters.npz, built in a second.

The real archive holds `x` (an object array of Python lists of word ranks,
pickled) and `y` (int64 topic ids). These fixtures have the same shape, with a
planted signal (each topic has its own frequent words) so a model can learn
something in one or two epochs.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

FIXTURE_TOPICS = 46


def make_fixture_arrays(newswires: int = 240, seed: int = 0, vocab: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, FIXTURE_TOPICS, size=newswires).astype(np.int64)
    labels[:FIXTURE_TOPICS] = np.arange(FIXTURE_TOPICS)  # every topic present: 46 outputs, like the real set
    xs = np.empty(newswires, dtype=object)
    for i, label in enumerate(labels):
        length = int(rng.integers(5, 60))
        common = rng.integers(1, vocab, size=length)
        topical = 100 + int(label) * 6 + rng.integers(0, 6, size=length)  # the topic's own words
        mask = rng.random(length) < 0.5
        xs[i] = [int(w) for w in np.where(mask, topical, common)]
    return xs, labels


def write_fixture_npz(path: Path, newswires: int = 240, seed: int = 0) -> Path:
    xs, labels = make_fixture_arrays(newswires, seed)
    np.savez(path, x=xs, y=labels)
    return Path(path)


def write_fixture_word_index(path: Path, vocab: int = 700) -> Path:
    Path(path).write_text(json.dumps({f"word{rank}": rank for rank in range(1, vocab)}), encoding="utf-8")
    return Path(path)


# -- hostile and hand-made archives, for the tests of the safe reader


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def write_npz(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    """An .npz written member by member, so a test can put anything in it."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def ragged(*sequences) -> np.ndarray:
    array = np.empty(len(sequences), dtype=object)
    array[:] = [list(s) for s in sequences]
    return array


class TouchMarker:
    """Unpickling this calls pathlib.Path.touch(marker): a file appears if the pickle runs."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


class SystemCommand:
    """Unpickling this runs a shell command that creates the marker."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def write_pickle_bomb(path: Path, payload: object) -> Path:
    """An .npz whose x is an 'object array' made of an arbitrary pickle."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    x_member = header.getvalue() + pickle.dumps(payload, protocol=2)
    return write_npz(path, {"x.npy": x_member, "y.npy": npy_bytes(np.array([0]))})
