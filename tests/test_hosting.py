"""The app says when its runs live on a disk that a restart wipes (Community Cloud), and only then."""

from __future__ import annotations

from pathlib import Path

from core.hosting import runs_may_vanish


def test_a_checkout_under_mount_src_with_the_default_store_may_lose_its_runs(monkeypatch):
    monkeypatch.delenv("TRAINING_STORE_EPHEMERAL", raising=False)
    assert runs_may_vanish(Path("/mount/src/my-fork"))
    assert not runs_may_vanish(Path("/home/teacher/app"))


def test_a_database_url_keeps_runs_across_restarts(monkeypatch):
    monkeypatch.delenv("TRAINING_STORE_EPHEMERAL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db/training")
    assert not runs_may_vanish(Path("/mount/src/my-fork"))


def test_the_variable_overrides_the_guess(monkeypatch):
    monkeypatch.setenv("TRAINING_STORE_EPHEMERAL", "1")
    assert runs_may_vanish(Path("/home/teacher/app"))
    monkeypatch.setenv("TRAINING_STORE_EPHEMERAL", "0")
    assert not runs_may_vanish(Path("/mount/src/my-fork"))


def test_the_compare_page_warns_where_runs_may_vanish(app_env, monkeypatch):
    from support import new_app, open_page, texts

    monkeypatch.setenv("TRAINING_STORE_EPHEMERAL", "1")
    at = new_app()
    open_page(at, "compare").run()
    assert not at.exception
    assert "restart of this server" in texts(at)
    monkeypatch.setenv("TRAINING_STORE_EPHEMERAL", "0")
    at.run()
    assert "restart of this server" not in texts(at)
