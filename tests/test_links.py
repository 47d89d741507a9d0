"""core.links: settings written into a link and read back; bad values are named and ignored, never fatal."""

from __future__ import annotations

from core.links import LINK_FIELDS, settings_from_query, settings_to_query
from core.settings import RunSettings


def test_a_link_round_trips_every_sidebar_setting():
    settings = RunSettings(
        epochs=7,
        batch_size=64,
        max_len=120,
        learning_rate=0.0025,
        seed=42,
        lr_halving_epoch=None,
        steps_per_execution=8,
        early_stopping_patience=3,
        reduce_lr_patience=2,
    )
    query = settings_to_query(settings)
    assert list(query) == list(LINK_FIELDS)
    assert query["lr_halving_epoch"] == "0" and query["learning_rate"] == "0.0025"
    back, ignored = settings_from_query(query)
    assert back == settings and ignored == []


def test_invalid_values_are_ignored_by_name_and_the_rest_applies():
    query = {
        "epochs": "5",
        "batch_size": "-3",
        "max_len": "abc",
        "learning_rate": "nan",
        "seed": "1e9",
        "steps_per_execution": "8",
    }
    settings, ignored = settings_from_query(query)
    assert (settings.epochs, settings.steps_per_execution) == (5, 8)
    assert settings.batch_size == RunSettings().batch_size and settings.max_len == RunSettings().max_len
    assert ignored == ["batch_size", "max_len", "learning_rate", "seed"]


def test_links_are_read_defensively():
    base = RunSettings(epochs=3)
    settings, ignored = settings_from_query({"epochs": "9" * 100, "method": "evil", "utm_source": "mail"}, base)
    assert settings == base and ignored == ["epochs"], "unknown keys are not ours to judge; the method is the page's"
    settings, ignored = settings_from_query(
        {"max_len": ["50", "60"], "early_stopping_patience": "off", "reduce_lr_patience": " 4 "}
    )
    assert settings.max_len == 60 and settings.early_stopping_patience is None and settings.reduce_lr_patience == 4
    assert ignored == []
    settings, ignored = settings_from_query({"max_len": "5", "epochs": "0", "lr_halving_epoch": "999"})
    assert settings == RunSettings() and ignored == ["epochs", "max_len", "lr_halving_epoch"]
