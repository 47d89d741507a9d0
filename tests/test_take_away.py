"""Taking a run's model away: the `.keras` file predicts as the page's model, and the pages offer it honestly.

The file is checked on the tiny fixture data for each method: loaded with
`keras.saving.load_model` (without a warning), its test-set predictions equal
the page's (core.predictions.predict_test_set) to 6 decimals, and it comes
compiled as the run trained. The pages are checked through AppTest: a finished
run offers its model; a result shown from the store whose weights the server
no longer keeps says so, and Train again brings a downloadable model back.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
from support import open_page, open_session, press_train, texts, wait_for_job

from core.keras_file import keras_file_bytes, keras_file_name
from core.methods import names
from core.plain_text import markdown_literal
from core.predictions import TrainedModel, predict_test_set


@pytest.mark.parametrize("method", names())
def test_a_downloaded_model_predicts_like_the_pages_model_to_6_decimals(tiny_data, tiny_settings, tmp_path, method):
    import keras

    from core.training import train

    trained_run = train(replace(tiny_settings, epochs=1, method=method, learning_rate=0.002), tiny_data)
    trained = TrainedModel.capture(trained_run.model, trained_run.record, tiny_data)
    path = tmp_path / keras_file_name(trained)
    path.write_bytes(keras_file_bytes(trained))
    assert path.name == f"{trained_run.record.run_id}.keras"

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a student's load must not warn (an unbuilt optimizer would)
        loaded = keras.saving.load_model(path)
    shown = predict_test_set(trained, tiny_data).probabilities
    taken = loaded.predict(tiny_data.x_test, verbose=0)
    np.testing.assert_array_equal(np.round(taken, 6), np.round(shown, 6))

    # Compiled as the run trained: Nadam at its learning rate, its loss, and its two metrics.
    assert type(loaded.optimizer).__name__ == "Nadam"
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.002)
    figures = loaded.evaluate(tiny_data.x_test, tiny_data.y_test, verbose=0, return_dict=True)
    assert set(figures) == {"loss", "accuracy", "top5_accuracy"}
    assert figures["accuracy"] == pytest.approx(float((shown.argmax(axis=1) == tiny_data.y_test).mean()), abs=1e-6)


def downloads(at) -> dict[str, str]:
    """The page's model download buttons: widget key -> label."""
    return {button.proto.id.split("-")[-1]: button.proto.label for button in at.get("download_button")}


def model_buttons(at) -> list[str]:
    return [label for label in downloads(at).values() if label.endswith("(.keras)")]


def test_a_finished_run_offers_its_model_and_says_how_to_load_it(app_env, server_slots, sessions):
    server_slots(2)
    at = open_session(sessions)
    press_train(at, "fit")
    wait_for_job(at)
    assert not at.exception, [e.value for e in at.exception]
    run = at.session_state["job"].snapshot().records[0]
    assert model_buttons(at) == [f"Download the model of {markdown_literal(run.label)} (.keras)"]
    assert f'keras.saving.load_model("{run.run_id}.keras")' in texts(at)
    # Compare: the same model, beside the other methods' (not trained in this session).
    open_page(at, "compare").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(model_buttons(at)) == 1


def test_a_cached_result_downloads_while_the_server_keeps_its_weights(app_env, server_slots, sessions):
    server_slots(2)
    press_train(first := open_session(sessions), "fit")
    wait_for_job(first)
    second = open_session(sessions)  # another visitor, same settings: the result comes from the store
    press_train(second, "fit")
    wait_for_job(second)
    assert second.session_state["job"].snapshot().shared_by_method() == {"fit": "cached"}
    assert model_buttons(second) == model_buttons(first) and len(model_buttons(second)) == 1


def test_a_cached_result_without_kept_weights_says_so_and_train_again_brings_them(app_env, server_slots, sessions, monkeypatch):
    import core.runs.hub

    server_slots(2)
    monkeypatch.setattr(core.runs.hub, "MODELS_BY_FINGERPRINT", 0)  # as after more results than the server keeps weights of
    press_train(first := open_session(sessions), "fit")
    wait_for_job(first)
    assert len(model_buttons(first)) == 1, "the session that trained keeps its own model"

    second = open_session(sessions)
    press_train(second, "fit")
    wait_for_job(second)
    assert second.session_state["job"].snapshot().shared_by_method() == {"fit": "cached"}
    assert not second.exception, [e.value for e in second.exception]
    assert model_buttons(second) == []
    assert "are no longer kept on this server" in texts(second)
    second.button(key="fresh_fit").click().run()
    wait_for_job(second)
    assert second.session_state["job"].snapshot().shared == {}, "trained again"
    assert len(model_buttons(second)) == 1 and "no longer kept" not in texts(second)
