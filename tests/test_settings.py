"""RunSettings: the chapter's defaults, one readable message per problem, dict round trips."""

from __future__ import annotations

import math

import pytest

from core.methods import names
from core.settings import RunSettings, SettingsError


def problems_of(**changes) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        RunSettings(**changes).validate()
    return caught.value.problems


def test_defaults_are_the_chapters():
    settings = RunSettings()
    assert settings.epochs == 10
    assert settings.batch_size == 32
    assert settings.max_len == 300
    assert settings.learning_rate == 0.001
    assert settings.lr_halving_epoch == 5
    assert settings.method == "fit"
    assert settings.validate() is settings


@pytest.mark.parametrize("method", names())
def test_every_method_is_valid(method):
    assert RunSettings(method=method).validate().method == method


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"epochs": 0}, "epochs must be between 1 and"),
        ({"epochs": -3}, "epochs must be between 1 and"),
        ({"batch_size": 0}, "batch_size must be between 1 and"),
        ({"max_len": 1}, "max_len must be between 14 and"),
        ({"learning_rate": math.nan}, "learning_rate must be a finite number"),
        ({"learning_rate": math.inf}, "learning_rate must be a finite number"),
        ({"learning_rate": -0.001}, "learning_rate must be above 0"),
        ({"learning_rate": 0.0}, "learning_rate must be above 0"),
        ({"learning_rate": 1e6}, "learning_rate must be above 0 and at most 1.0"),
        ({"learning_rate": True}, "learning_rate must be a finite number"),
        ({"learning_rate": "0.001"}, "learning_rate must be a finite number"),
        ({"epochs": True}, "epochs must be a whole number, got True"),
        ({"batch_size": False}, "batch_size must be a whole number, got False"),
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"lr_halving_epoch": 0}, "lr_halving_epoch must be between 1 and"),
        ({"steps_per_execution": 0}, "steps_per_execution must be between 1 and"),
        ({"seed": -1}, "seed must be between 0 and"),
        ({"method": "sgd"}, f"method must be one of {', '.join(names())}, got 'sgd'"),
    ],
)
def test_invalid_value_gives_a_message_naming_it(changes, expected):
    problems = problems_of(**changes)
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems[0]


def test_optional_fields_accept_none():
    settings = RunSettings(lr_halving_epoch=None, early_stopping_patience=None, reduce_lr_patience=None)
    assert settings.validate() is settings


def test_several_problems_are_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        RunSettings(method="nope", epochs=0, batch_size=0, max_len=1, learning_rate=math.nan).validate()
    names = [problem.split()[0] for problem in caught.value.problems]
    assert names == ["method", "epochs", "batch_size", "max_len", "learning_rate"]
    # The exception's text is every message, so a caller that prints it shows them all.
    assert str(caught.value) == "; ".join(caught.value.problems)


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


def test_from_dict_ignores_unknown_keys():
    settings = RunSettings.from_dict({"epochs": 3, "colour": "blue", "method": "custom_loop"})
    assert settings == RunSettings(epochs=3, method="custom_loop")


def test_to_dict_round_trip():
    settings = RunSettings(method="train_on_batch", epochs=7, learning_rate=0.0123, lr_halving_epoch=None, seed=42)
    values = settings.to_dict()
    assert values["epochs"] == 7 and values["lr_halving_epoch"] is None
    assert RunSettings.from_dict(values) == settings


def test_with_method_changes_only_the_method():
    settings = RunSettings(epochs=4, seed=9)
    other = settings.with_method("custom_loop")
    assert other.method == "custom_loop"
    assert {**other.to_dict(), "method": "fit"} == settings.to_dict()
