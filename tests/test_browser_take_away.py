"""Taking a run away in a real browser: fit with CSVLogger, the callbacks shown, the `.keras` file downloaded and loaded.

Chromium drives a real server on fixture data: the fit page trains one epoch
with CSVLogger ticked, shows the `callbacks=[...]` list that ran, and its model
downloads; the file, loaded with `keras.saving.load_model` here, predicts for
the newswire the page shows what the page says, to the shown tenth of a percent.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from fixture_data import write_fixture_npz
from support import (
    BROWSER_HANG_GUARD_MS,
    BROWSER_NEWSWIRES,
    apply_settings,
    go_to,
    no_exception,
    require_chromium,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

require_chromium()

from playwright.sync_api import expect  # noqa: E402


def test_a_fit_run_with_csv_logger_shows_its_callbacks_and_its_model_downloads_and_loads(browser, server, tmp_path):
    import keras

    from core.data import prepare_data

    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(BROWSER_HANG_GUARD_MS)
    page.goto(server)
    apply_settings(page, epochs=1, max_len=40)
    go_to(page, "1 · model.fit")
    page.get_by_text("CSVLogger: a CSV row per epoch").click()
    # Train's settings are those the page's last run drew: wait for the tick's rerun to draw them.
    expect(page.get_by_text("Train adds keras.callbacks.CSVLogger")).to_be_visible()
    wait_until_idle(page)
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text(re.compile(r"^Finished: 1 epochs"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    expect(page.get_by_text("keras.callbacks.CSVLogger('training.csv')")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)

    button = page.get_by_role("button", name=re.compile(r"^Download the model of .*\(\.keras\)$"))
    with page.expect_download() as download:
        button.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".keras" and path.stat().st_size > 100_000
    no_exception(page)

    # What the page says about newswire 0, and what the downloaded model says about it.
    verdict = page.get_by_text(re.compile(r"^True topic: .* · predicted: ")).first.inner_text()
    predicted, shown_probability = re.search(r"predicted: (.+?) \((\d+\.\d)%\)", verdict).groups()
    data = prepare_data(max_len=40, path=write_fixture_npz(tmp_path / "reuters.npz", newswires=BROWSER_NEWSWIRES), download=False)
    probabilities = keras.saving.load_model(path).predict(data.x_test[:1], verbose=0)[0]
    assert data.topic_names[int(np.argmax(probabilities))] == predicted
    assert f"{probabilities.max():.1%}" == f"{shown_probability}%"
    page.context.close()
