"""Two languages: the catalogue is complete in both, and every page renders in each.

The catalogue check compares keys and `{placeholders}` of English and Chinese;
the page checks run the real app through AppTest in each language, chosen
three ways: the sidebar switch, a `?lang=zh` link, and the browser's locale.
"""

from __future__ import annotations

import string

import pytest
from streamlit.testing.v1 import AppTest
from support import APP, open_page

from core import methods
from core.i18n import EN, LANGUAGES, RUN_MESSAGES, STRINGS, ZH, language_from_locale, run_message, t

PAGES = [*methods.names(), "compare"]  # by URL path (ui/navigation.py)
CHINESE_TITLES = {
    None: "训练 Keras 模型的四种方法",
    "fit": "1 · model.fit",
    "train_on_batch": "2 · train_on_batch 循环",
    "custom_loop": "3 · 自定义训练循环",
    "custom_train_step": "4 · 带自定义 train_step 的 fit",
    "compare": "5 · 比较四种方法",
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_key_exists_in_both_languages_with_the_same_placeholders():
    assert set(STRINGS) == set(LANGUAGES)
    assert set(EN) == set(ZH), f"only English: {set(EN) - set(ZH)}; only Chinese: {set(ZH) - set(EN)}"
    for key in EN:
        assert placeholders(EN[key]) == placeholders(ZH[key]), key
        assert ZH[key].strip(), key


def test_chinese_texts_are_chinese_and_lookups_fill_values():
    translated = [k for k in EN if EN[k] != ZH[k]]
    assert len(translated) > 0.8 * len(EN), "most texts differ between the languages"
    assert t("run.finished", "en", done=2, seconds="3", message="") == "Finished: 2 epochs in 3 s. "
    assert t("run.finished", "zh", done=2, seconds="3", message="").startswith("已完成")
    assert t("run.stop", "fr") == "Stop", "an unknown language falls back to English"


def test_a_runs_ending_sentence_is_shown_in_the_sessions_language():
    """Core writes these in English (records and files keep them); a Chinese page says them in Chinese."""
    from pathlib import Path

    core_source = "".join(path.read_text(encoding="utf-8") for path in Path(APP).parent.joinpath("core").glob("**/*.py"))
    values = {"epoch": "3", "others": "2", "limit": "100", "used": "100", "wanted": "1"}
    for pattern, key in RUN_MESSAGES:
        english = t(key, "en", **values)
        assert pattern.fullmatch(english), key
        assert run_message(english, "en") == english  # an English page shows exactly what core wrote
        chinese = run_message(english, "zh")
        assert chinese == t(key, "zh", **values) and chinese != english, key
        # The sentence is still the one core writes (its fixed words are in core's source).
        assert english[:20] in core_source, english
    assert run_message("Stopped by request during epoch 4.", "zh") == "在第 4 个 epoch 中按请求停止。"
    error = "ValueError: shapes (32, 46) and (32, 45) differ"
    assert run_message(error, "zh") == error  # an error's own text is shown as it is


@pytest.mark.parametrize(
    "locale,expected", [("zh-CN", "zh"), ("zh_TW", "zh"), ("ZH", "zh"), ("en-GB", "en"), ("fr", "en"), (None, "en"), ("", "en")]
)
def test_the_browser_locale_picks_the_default_language(locale, expected):
    assert language_from_locale(locale) == expected


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_renders_in_chinese_from_the_sidebar_switch(app_env, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert at.title[0].value == "Four ways to train a Keras model"
    at.radio(key="language_choice").set_value("zh").run()
    assert at.session_state["language"] == "zh"
    if page:
        open_page(at, page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == CHINESE_TITLES[page]
    assert at.query_params.get("lang") == "zh", "the choice is in the link"
    if page and page != "compare":
        assert at.button(key=f"stop_{page}").label == "停止"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_english_by_default(app_env, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    open_page(at, page).run()
    assert not at.exception
    assert at.session_state["language"] == "en"
    assert at.button(key=f"train_{page}").label.startswith("Train")


def test_a_link_and_the_browser_locale_choose_the_language(app_env):
    linked = AppTest.from_file(APP, default_timeout=60)
    linked.query_params["lang"] = "zh"
    linked.run()
    assert linked.title[0].value == CHINESE_TITLES[None]
    assert linked.button(key="apply_settings").label == "应用设置"
    browser = AppTest.from_file(APP, default_timeout=60)
    browser.context = {"locale": "zh-CN"}
    browser.run()
    assert browser.session_state["language"] == "zh"
    assert "lang" not in browser.query_params, "a default from the browser does not write itself into the link"
    bad = AppTest.from_file(APP, default_timeout=60)
    bad.query_params["lang"] = "fr"
    bad.run()
    assert not bad.exception and bad.session_state["language"] == "en"
    assert any("lang" in str(n.value) for n in bad.sidebar.info)


def test_every_method_has_its_texts_in_both_languages():
    """What the registry (core/methods.py) asks of a method's texts: every key, in each catalogue."""
    for entry in methods.REGISTRY:
        for key in methods.catalogue_keys(entry):
            assert key in EN and key in ZH, (entry.name, key)


def test_the_number_of_methods_is_said_from_the_registry(monkeypatch):
    count = len(methods.REGISTRY)
    english, chinese = EN["number.words"].split()[count], ZH["number.words"].split()[count]
    assert t("app.title", "en") == f"{english.capitalize()} ways to train a Keras model"
    assert chinese in t("app.title", "zh") and chinese in t("compare.title", "zh")
    assert english in t("run.train_all", "en") and english in t("compare.title", "en")
    monkeypatch.setattr(methods, "REGISTRY", [*methods.REGISTRY, methods.REGISTRY[0]])
    assert EN["number.words"].split()[count + 1] in t("run.train_all", "en")
