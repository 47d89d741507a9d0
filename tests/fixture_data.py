"""Tiny Reuters-format files for tests: same layout as the real reuters.npz, built in a second.

The real archive holds `x` (an object array of Python lists of word ranks,
pickled) and `y` (int64 topic ids). These fixtures have the same shape, with a
planted signal (each topic has its own frequent words) so a model can learn
something in one or two epochs.
"""

from __future__ import annotations

import json
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
