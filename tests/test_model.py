"""The reference model: the chapter's layer shapes and parameter count, weights a function of the seed."""

from __future__ import annotations

import numpy as np

from core.model import REUTERS_NUM_CLASSES, REUTERS_VOCAB_SIZE, build_model, summary_rows
from core.settings import RunSettings

CHAPTER_SUMMARY = [
    ("embedding", "Embedding", "(batch, 300, 7)", 216874),
    ("conv1d", "Conv1D", "(batch, 296, 64)", 2304),
    ("max_pooling1d", "MaxPooling1D", "(batch, 148, 64)", 0),
    ("conv1d_1", "Conv1D", "(batch, 146, 32)", 6176),
    ("max_pooling1d_1", "MaxPooling1D", "(batch, 73, 32)", 0),
    ("flatten", "Flatten", "(batch, 2336)", 0),
    ("dense", "Dense", "(batch, 46)", 107502),
]


def test_default_model_matches_the_chapter():
    model = build_model(RunSettings())
    assert (REUTERS_VOCAB_SIZE, REUTERS_NUM_CLASSES) == (30982, 46)
    assert model.count_params() == 332_856
    rows = summary_rows(model)
    assert [(r.layer, r.type, r.output_shape, r.parameters) for r in rows] == CHAPTER_SUMMARY
    assert sum(r.parameters for r in rows) == 332_856


def test_sizes_follow_the_data_and_max_len():
    model = build_model(RunSettings(max_len=40), vocab_size=402, num_classes=46)
    rows = {r.layer: r for r in summary_rows(model)}
    assert rows["embedding"].parameters == 402 * 7
    assert rows["embedding"].output_shape == "(batch, 40, 7)"
    assert rows["flatten"].output_shape == "(batch, 256)"  # ((40 - 4) // 2 - 2) // 2 = 8 steps of 32
    assert rows["dense"].output_shape == "(batch, 46)"


def test_shortest_allowed_input_still_builds():
    from core.settings import MIN_MAX_LEN

    rows = {r.layer: r for r in summary_rows(build_model(RunSettings(max_len=MIN_MAX_LEN), 100, 46))}
    assert rows["flatten"].output_shape == "(batch, 32)"


def weights_of(seed: int) -> list[np.ndarray]:
    return [w.numpy() for w in build_model(RunSettings(max_len=40, seed=seed), 402, 46).weights]


def test_same_seed_gives_identical_weights():
    first, second = weights_of(7), weights_of(7)
    assert len(first) == len(second) == 7  # embedding, 2 conv kernels + biases, dense kernel + bias
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


def test_different_seed_gives_different_weights():
    first, second = weights_of(7), weights_of(8)
    kernels = [(a, b) for a, b in zip(first, second) if a.ndim > 1]
    assert len(kernels) == 4
    for a, b in kernels:
        assert not np.array_equal(a, b)


def test_largest_seed_builds_distinct_weights():
    # Keras keeps 32 bits of an integer seed: seed * 10 + offset must not collide or overflow.
    top = 2**31 - 1
    assert RunSettings(seed=top).validate()
    first, second = weights_of(top), weights_of(top - 1)
    assert not np.array_equal(first[0], second[0])
