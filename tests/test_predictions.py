"""core.predictions and the model hand-over: weights kept after a run, test-set answers, the tables the panel draws.

The table functions are checked on small hand-made arrays whose answers are
known; the hand-over (a trainer's TrainedRun.model, TrainingJob's snapshot) and
predict_test_set on the tiny fixture data.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core import charts
from core.predictions import (
    TrainedModel,
    confusion_counts,
    confusion_frame,
    keep_latest,
    most_confused_pairs,
    newswire_words,
    per_topic_accuracy,
    plateau_summary,
    predict_test_set,
    shared_test_predictions,
    top_k_frame,
)
from core.shared import BuiltOnce

NAMES = ("a", "b", "c", "d")
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 2, 3])
Y_PRED = np.array([0, 0, 0, 1, 1, 0, 0, 0])


def fake_model(method: str, run_id: str) -> TrainedModel:
    return TrainedModel(run_id, method, run_id, {"max_len": 40}, 1, 10, 4, "file", (np.zeros(3),))


def test_keep_latest_keeps_one_per_method_and_at_most_the_limit():
    kept = keep_latest({}, [fake_model("fit", "f1"), fake_model("custom_loop", "c1")])
    kept = keep_latest(kept, [fake_model("fit", "f2")])
    assert {m: t.run_id for m, t in kept.items()} == {"custom_loop": "c1", "fit": "f2"}
    assert list(kept) == ["custom_loop", "fit"], "a newer model moves to the end"
    kept = keep_latest(kept, [fake_model("train_on_batch", "b1"), fake_model("extra", "x1")], limit=3)
    assert list(kept) == ["fit", "train_on_batch", "extra"], "the oldest goes first"
    assert keep_latest(kept, [kept["fit"]]) == kept, "taking in the same run again changes nothing"


def test_top_k_frame_orders_by_probability_and_marks_the_true_topic():
    frame = top_k_frame(np.array([0.1, 0.6, 0.05, 0.25]), true_topic=3, names=NAMES, k=3)
    assert list(frame["topic"]) == ["b", "d", "a"]
    assert list(frame["is_true"]) == [False, True, False]
    assert frame["probability"].iloc[0] == pytest.approx(0.6)
    charts.top_k_chart(frame).to_dict()  # the chart the panel draws accepts it


def test_confusion_counts_frame_and_most_confused_pairs():
    counts = confusion_counts(Y_TRUE, Y_PRED, 4)
    assert counts.sum() == len(Y_TRUE) and counts[0, 0] == 3 and counts[0, 1] == 1 and counts[3, 0] == 1
    cells = confusion_frame(counts, NAMES)
    assert len(cells) == np.count_nonzero(counts) and (cells["count"] > 0).all()
    assert cells.loc[(cells["true"] == "a") & (cells["predicted"] == "a"), "share"].item() == pytest.approx(0.75)
    pairs = most_confused_pairs(counts, NAMES, n=2)
    assert (pairs["true"] != pairs["predicted"]).all()
    assert len(pairs) == 2 and pairs["count"].tolist() == [1, 1]
    assert pairs["share"].iloc[0] == pytest.approx(1.0), "ties go to the larger share: all of c and d are wrong"
    spec = charts.confusion_chart(cells, list(NAMES)).to_dict()
    assert spec["encoding"]["color"]["scale"]["type"] == "log"


def test_per_topic_accuracy_and_why_accuracy_plateaus():
    per_topic = per_topic_accuracy(Y_TRUE, Y_PRED, NAMES, y_train=np.array([0, 0, 1, 2, 3, 3]))
    assert per_topic.set_index("topic")["accuracy"].to_dict() == {"a": 0.75, "b": 0.5, "c": 0.0, "d": 0.0}
    assert per_topic.set_index("topic")["train_newswires"].to_dict() == {"a": 2, "b": 1, "c": 1, "d": 2}
    assert per_topic.set_index("topic")["times_predicted"]["a"] == 6
    summary = plateau_summary(per_topic)
    assert summary["share_head"] == pytest.approx(6 / 8)
    assert summary["accuracy_head"] == pytest.approx(4 / 6)
    assert summary["accuracy_rest"] == 0.0 and summary["never_right"] == 2 and summary["topics"] == 4
    charts.per_topic_accuracy_chart(per_topic, overall=0.5).to_dict()
    charts.per_topic_accuracy_chart(per_topic.iloc[0:0], overall=0.0).to_dict()


def test_newswire_words_with_and_without_word_index(tiny_data):
    ids, as_words = newswire_words(tiny_data, 0)
    assert not as_words and all(part.isdigit() for part in ids.split())
    with_index = replace(tiny_data, word_index={f"word{rank}": rank for rank in range(1, 700)})
    text, as_words = newswire_words(with_index, 0)
    assert as_words and text.split()[0].startswith("word")


def test_a_trainer_hands_back_the_trained_model(tiny_data, tiny_settings):
    from core.training import train

    trained_run = train(replace(tiny_settings, epochs=1), tiny_data)
    record, model = trained_run.record, trained_run.model
    assert record.status == "finished" and model is not None
    trained = TrainedModel.capture(model, record, tiny_data)
    assert trained.run_id == record.run_id and trained.epochs == 1 and trained.fits(tiny_data)
    assert all(not w.flags.writeable for w in trained.weights)
    predictions = predict_test_set(trained, tiny_data)
    direct = model.predict(tiny_data.x_test, verbose=0)
    np.testing.assert_allclose(predictions.probabilities, direct, rtol=1e-5, atol=1e-6)
    assert predictions.probabilities.shape == (len(tiny_data.y_test), tiny_data.num_classes)
    assert 0.0 <= predictions.accuracy <= 1.0


def test_a_class_reaching_a_run_s_end_together_predicts_the_test_set_once(tiny_data, tiny_settings, monkeypatch):
    import core.predictions
    from core.training import train

    shared = BuiltOnce(capacity=8)
    monkeypatch.setattr(core.predictions, "SHARED_PREDICTIONS", shared)
    trained_run = train(replace(tiny_settings, epochs=1), tiny_data)
    trained = TrainedModel.capture(trained_run.model, trained_run.record, tiny_data)
    calls: list[str] = []
    real = core.predictions.predict_test_set
    monkeypatch.setattr(core.predictions, "predict_test_set", lambda *a: calls.append(a[0].run_id) or real(*a))

    # Thirty sessions' final page runs ask at once, as a class watching one run does when it ends.
    answers: list = []
    start = threading.Barrier(30)

    def session() -> None:
        start.wait()
        answers.append(shared_test_predictions(trained, tiny_data))

    threads = [threading.Thread(target=session) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert calls == [trained.run_id], "one prediction for the whole class"
    assert len(answers) == 30 and all(a is answers[0] for a in answers)
    np.testing.assert_array_equal(answers[0].probabilities, predict_test_set(trained, tiny_data).probabilities)
    assert not answers[0].probabilities.flags.writeable, "shared between sessions: nobody may change it"


def test_no_model_is_handed_back_when_stopped_before_an_epoch(tiny_data, tiny_settings):
    from core.training import RunHooks, train

    stop = threading.Event()
    stop.set()
    trained_run = train(tiny_settings, tiny_data, RunHooks(stop=stop))
    assert trained_run.record.status == "stopped" and trained_run.model is None


def test_a_job_exposes_the_trained_weights_in_its_snapshot(tiny_data, tiny_settings, tmp_path):
    from core.runs.jobs import TrainingJob
    from core.runs.slots import JobSlots

    settings = replace(tiny_settings, epochs=1)
    job = TrainingJob([settings, settings.with_method("custom_loop")], tiny_data, slots=JobSlots(2))
    job.start().join(timeout=120)
    snapshot = job.snapshot()
    assert snapshot.state == "finished"
    assert list(snapshot.models) == [r.run_id for r in snapshot.records]
    assert [m.method for m in snapshot.models.values()] == ["fit", "custom_loop"]
    assert all(m.label == r.label for m, r in zip(snapshot.models.values(), snapshot.records, strict=True))
    assert 0 < next(iter(snapshot.models.values())).nbytes < 5_000_000


def test_a_model_trained_on_other_data_is_refused(tiny_data):
    other = fake_model("fit", "f1")
    assert not other.fits(tiny_data)
    with pytest.raises(ValueError, match="other data"):
        predict_test_set(other, tiny_data)


def test_confusion_frame_is_empty_safe():
    cells = confusion_frame(np.zeros((3, 3), dtype=int), NAMES[:3])
    assert cells.empty
    charts.confusion_chart(cells, list(NAMES[:3])).to_dict()
    assert isinstance(most_confused_pairs(np.zeros((3, 3), dtype=int), NAMES[:3]), pd.DataFrame)


def test_a_session_keeps_a_model_of_every_method():
    """Compare shows every method's model side by side: after Train all, none is evicted."""
    from core import methods

    kept = keep_latest({}, [fake_model(name, f"{name}-1") for name in methods.names()])
    assert list(kept) == list(methods.names())
