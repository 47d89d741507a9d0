"""What a trained model learned: its weights kept after a run, and its answers on the test set.

A `TrainedModel` is the end of a run reduced to what prediction needs: the
weights as read-only NumPy arrays (~1.3 MB at the chapter's sizes), the
settings that shape the network, and which run and data it came from. It holds
no Keras object, so keeping a few per session costs only their weights, and
`build()` makes a fresh model from them when predictions are wanted.

`predict_test_set` runs a model over the 2,246 test newswires once (~1 s); the
functions after it turn those answers into the tables the charts read: one
newswire's top-k topics, the confusion counts, the most confused pairs, and
accuracy per topic against how often the topic occurs. Plain NumPy and pandas;
TensorFlow is imported only inside `build()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import methods
from core.data import PreparedData, decode_newswire
from core.records import RunRecord
from core.settings import RunSettings
from core.shared import BuiltOnce

# A session keeps the latest trained model of each method, one per method of the registry: Compare
# shows them side by side.
MODELS_PER_SESSION = len(methods.REGISTRY)
TOP_K = 5


@dataclass(frozen=True)
class TrainedModel:
    """A finished (or stopped) run's weights, and what is needed to rebuild and label it."""

    run_id: str
    method: str
    label: str  # the run's label, as on the charts ("fit · 14:02:11")
    settings: dict[str, Any]  # RunSettings.to_dict() of the run
    epochs: int  # epochs it completed
    vocab_size: int  # the data it was trained on: Embedding and Dense sizes must match to predict
    num_classes: int
    data_source: str
    weights: tuple[np.ndarray, ...] = field(repr=False)

    @classmethod
    def capture(cls, model: Any, record: RunRecord, data: PreparedData) -> TrainedModel:
        """Copy the weights of a just-trained Keras model; the model itself can then be freed."""
        weights = tuple(np.array(w, copy=True) for w in model.get_weights())
        for array in weights:
            array.setflags(write=False)  # shared by snapshots and pages: nobody may change it
        return cls(
            run_id=record.run_id,
            method=record.method,
            label=record.label or record.run_id,
            settings=dict(record.settings),
            epochs=len(record.epochs),
            vocab_size=data.vocab_size,
            num_classes=data.num_classes,
            data_source=data.source,
            weights=weights,
        )

    @property
    def max_len(self) -> int:
        return int(self.settings["max_len"])

    @property
    def nbytes(self) -> int:
        return sum(w.nbytes for w in self.weights)

    def fits(self, data: PreparedData) -> bool:
        """True when `data` is the data this model can read (same file, sizes and padding)."""
        return (
            data.source == self.data_source
            and data.vocab_size == self.vocab_size
            and data.num_classes == self.num_classes
            and data.max_len == self.max_len
        )

    def build(self) -> Any:
        """A new Keras model of the run's architecture holding the trained weights."""
        from core.model import build_model

        model = build_model(RunSettings.from_dict(self.settings), self.vocab_size, self.num_classes)
        model.set_weights(list(self.weights))
        return model


def keep_latest(
    kept: dict[str, TrainedModel], new: Iterable[TrainedModel], limit: int = MODELS_PER_SESSION
) -> dict[str, TrainedModel]:
    """The models to keep, keyed by method: a new model replaces its method's older one; oldest out first.

    Returns a new dict in order of arrival (oldest first) with at most `limit`
    entries, so a session's memory for models stays bounded however often it trains.
    """
    result = dict(kept)
    for model in new:
        current = result.get(model.method)
        if current is not None and current.run_id == model.run_id:
            continue
        result.pop(model.method, None)  # re-inserted last: it is now the newest
        result[model.method] = model
    while len(result) > limit:
        result.pop(next(iter(result)))
    return result


@dataclass(frozen=True)
class Predictions:
    """A model's answers on the test set: one row of topic probabilities per newswire."""

    run_id: str
    probabilities: np.ndarray  # (test newswires, topics) float32, rows sum to 1
    y_true: np.ndarray  # (test newswires,) topic ids

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.y_true).mean()) if len(self.y_true) else float("nan")


def predict_test_set(trained: TrainedModel, data: PreparedData, batch_size: int = 256) -> Predictions:
    """Run the trained model over every test newswire (about a second for the real 2,246)."""
    if not trained.fits(data):
        raise ValueError(f"{trained.label} was trained on other data ({trained.data_source}, max_len {trained.max_len})")
    model = trained.build()
    probabilities = np.asarray(model.predict(data.x_test, batch_size=batch_size, verbose=0), dtype=np.float32)
    probabilities.setflags(write=False)
    return Predictions(trained.run_id, probabilities, np.asarray(data.y_test))


# A run's test-set answers, computed once per process for every session that shows them: a class that watched one run
# reaches its end together, and thirty sessions each building the model and tracing its predict step held the server
# for minutes (issue 20). A run id names one set of weights; the key also names the data they read. Read-only arrays.
SHARED_PREDICTIONS = BuiltOnce(capacity=8)


def shared_test_predictions(trained: TrainedModel, data: PreparedData) -> Predictions:
    """predict_test_set, once per run and data for the whole process: concurrent callers wait for the one prediction."""
    key = (trained.run_id, data.source, data.vocab_size, data.max_len)
    return SHARED_PREDICTIONS.get(key, lambda: predict_test_set(trained, data))


def newswire_words(data: PreparedData, index: int) -> tuple[str, bool]:
    """A test newswire as words when the word index is known (True), else its token ids (False)."""
    tokens = data.x_test[index]
    text = decode_newswire(tokens, data.word_index)
    if text is not None:
        return text, True
    return " ".join(str(int(t)) for t in tokens if t), False


def top_k_frame(probabilities: np.ndarray, true_topic: int, names: Sequence[str], k: int = TOP_K) -> pd.DataFrame:
    """The k most probable topics of one newswire: columns rank, topic, probability, is_true (top_k_chart's input)."""
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:k]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(order) + 1),
            "topic": [names[i] for i in order],
            "probability": [float(probabilities[i]) for i in order],
            "is_true": [bool(i == true_topic) for i in order],
        }
    )


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(true topic, predicted topic) -> number of test newswires; rows are the true topics."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def confusion_frame(counts: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """Long form of the non-zero cells: true, predicted, count, and the share of the true topic's newswires.

    Zero cells are left out: they draw nothing, and a log colour scale cannot place them.
    """
    true_ids, predicted_ids = np.nonzero(counts)
    per_true = counts.sum(axis=1)
    return pd.DataFrame(
        {
            "true": [names[i] for i in true_ids],
            "predicted": [names[j] for j in predicted_ids],
            "count": counts[true_ids, predicted_ids].astype(np.int64),
            "share": counts[true_ids, predicted_ids] / per_true[true_ids],
            "correct": true_ids == predicted_ids,
        },
        columns=["true", "predicted", "count", "share", "correct"],
    )


def most_confused_pairs(counts: np.ndarray, names: Sequence[str], n: int = 8) -> pd.DataFrame:
    """The off-diagonal cells with the most newswires: which topic was taken for which, most often first."""
    off = counts.copy()
    np.fill_diagonal(off, 0)
    true_ids, predicted_ids = np.nonzero(off)
    per_true = counts.sum(axis=1)
    frame = pd.DataFrame(
        {
            "true": [names[i] for i in true_ids],
            "predicted": [names[j] for j in predicted_ids],
            "count": off[true_ids, predicted_ids].astype(np.int64),
            "share": off[true_ids, predicted_ids] / per_true[true_ids],
        },
        columns=["true", "predicted", "count", "share"],
    )
    return frame.sort_values(["count", "share"], ascending=False, kind="stable").head(n).reset_index(drop=True)


def per_topic_accuracy(y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str], y_train: np.ndarray) -> pd.DataFrame:
    """One row per topic present in the test set: how often it occurs and how often the model gets it right."""
    num_classes = len(names)
    test_counts = np.bincount(y_true, minlength=num_classes)
    right = np.bincount(y_true[np.asarray(y_pred) == y_true], minlength=num_classes)
    train_counts = np.bincount(y_train, minlength=num_classes)
    predicted_counts = np.bincount(y_pred, minlength=num_classes)
    present = np.nonzero(test_counts)[0]
    return pd.DataFrame(
        {
            "topic": [names[i] for i in present],
            "topic_id": present,
            "test_newswires": test_counts[present],
            "train_newswires": train_counts[present],
            "accuracy": right[present] / test_counts[present],
            "times_predicted": predicted_counts[present],
        }
    )


def plateau_summary(per_topic: pd.DataFrame, head: int = 2) -> dict[str, float]:
    """Why accuracy stalls: the `head` biggest topics against the rest, as shares and accuracies.

    Returns share_head (of test newswires), accuracy_head, accuracy_rest,
    never_right (topics with zero accuracy) and topics (topics in the test set).
    """
    ordered = per_topic.sort_values("test_newswires", ascending=False)
    top, rest = ordered.head(head), ordered.iloc[head:]
    total = ordered["test_newswires"].sum()

    def weighted(part: pd.DataFrame) -> float:
        n = part["test_newswires"].sum()
        return float((part["accuracy"] * part["test_newswires"]).sum() / n) if n else float("nan")

    return {
        "share_head": float(top["test_newswires"].sum() / total) if total else float("nan"),
        "accuracy_head": weighted(top),
        "accuracy_rest": weighted(rest),
        "never_right": int((ordered["accuracy"] == 0).sum()),
        "topics": int(len(ordered)),
    }
