"""Two app servers, one Ray cluster, one PostgreSQL: a class spread over servers still shares one computation.

The deployment the README's "Scaling out" describes, started for real on this
machine: a 2-CPU Ray head and a PostgreSQL server (tests/engines.py), and two
`streamlit run app.py` processes on different ports with `RAY_ADDRESS` and
`DATABASE_URL` pointing at them. Two Chromium contexts open one class link, one
on each server, as a load balancer with sticky sessions would send two students.
"""

from __future__ import annotations

import os
import re

import pytest
from engines import fresh_database, postgres_url, ray_address  # noqa: F401 - pytest fixtures
from fixture_data import write_fixture_npz, write_fixture_word_index
from streamlit_server import running_app
from support import BROWSER_HANG_GUARD_MS, BROWSER_NEWSWIRES, no_exception, require_chromium, stop_joiner_then_starter, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.ray, pytest.mark.postgres]

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

from core.store import RunStore  # noqa: E402

SETTINGS = "&epochs=200&max_len=200&seed=23"  # minutes of training: still going when Bob comes


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, ray_address, postgres_url):  # noqa: F811 - the fixtures
    """Two app servers sharing the cluster and the database; yields (server 1 URL, server 2 URL, database URL)."""
    folder = tmp_path_factory.mktemp("scale-out")
    database = fresh_database(postgres_url)
    shared = dict(
        os.environ,
        REUTERS_NPZ_PATH=str(write_fixture_npz(folder / "reuters.npz", newswires=BROWSER_NEWSWIRES)),
        REUTERS_WORD_INDEX_PATH=str(write_fixture_word_index(folder / "reuters_word_index.json")),
        RAY_ADDRESS=ray_address,
        DATABASE_URL=database,
        KERAS_HOME=str(folder / "keras"),
    )
    first, second = folder / "server-1", folder / "server-2"
    first.mkdir()
    second.mkdir()
    with running_app(first, dict(shared, TRAINING_RUNS_DIR=str(first / "runs"))) as url_1:
        with running_app(second, dict(shared, TRAINING_RUNS_DIR=str(second / "runs"))) as url_2:
            yield url_1, url_2, database


def open_page(browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(BROWSER_HANG_GUARD_MS)
    page.goto(url)
    page.wait_for_selector('[data-testid="stSidebar"]')
    page.wait_for_selector("h1")
    return page


def epochs_finished(page: Page) -> int:
    text = page.get_by_text(re.compile(r"\d+ of 200 epochs finished")).first.inner_text()
    return int(re.search(r"(\d+) of 200 epochs finished", text).group(1))


def test_a_run_started_on_one_server_is_live_and_joined_on_the_other(browser, deployment):
    server_1, server_2, database = deployment
    store = RunStore(database)
    code, _secret = store.open_class("Scale-out", owner=None)  # the teacher opened the class on either server
    class_link = f"/fit?class={code}{SETTINGS}"
    ann = open_page(browser, server_1 + class_link)
    ann.get_by_role("button", name="Train", exact=True).click()
    # Through Ray the first epoch comes after a worker process starts and imports TensorFlow.
    expect(ann.get_by_text(re.compile(r"[1-9]\d* of 200 epochs finished"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)

    # Bob's session lives on the other server: the class's list there shows Ann's run, from the shared database.
    bob = open_page(browser, server_2 + f"/compare?class={code}")
    expect(bob.get_by_text(re.compile(r"The class's runs \(1\)"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    no_exception(bob)

    # With the same settings, Bob's Train joins the run on the cluster instead of training it again.
    bob.goto(server_2 + class_link)
    bob.get_by_role("button", name="Train", exact=True).click()
    expect(bob.get_by_text("you joined a run with identical settings")).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    expect(bob.get_by_text(re.compile(r"[1-9]\d* of 200 epochs finished"))).to_be_visible(timeout=BROWSER_HANG_GUARD_MS)
    seen = epochs_finished(bob)
    # Live: the epochs Ann's run finishes keep arriving on Bob's page, served by the other server.
    wait_for(lambda: epochs_finished(bob) > seen, "a later epoch on Bob's page")
    no_exception(bob)

    try:
        (run,) = store.space_runs(f"class:{code}")  # one run in the class, one computation on the cluster
        assert run.record.status == "running" and store.count_runs() == 1
    finally:
        store.engine.dispose()

    stop_joiner_then_starter(ann, bob)
    for page in (ann, bob):
        page.context.close()
