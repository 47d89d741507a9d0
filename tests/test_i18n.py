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
from core.i18n import EN, LANGUAGES, STRINGS, ZH, language_from_locale, t
from core.states import MessageCode, RunMessage

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


# The sentences a run ended with before its ending was a message code, as core wrote them then:
# the English catalogue must say exactly these, so exports and the command line read as before.
ENDINGS_AS_WRITTEN = [
    (RunMessage(MessageCode.STOPPED_DURING, {"epoch": 3}), "Stopped by request during epoch 3."),
    (RunMessage(MessageCode.STOPPED_BEFORE_FIRST), "Stopped by request before the first epoch."),
    (RunMessage(MessageCode.STOPPED_BETWEEN), "Stopped by request before the next method started."),
    (RunMessage(MessageCode.STOPPED_WAITING), "Stopped before a training slot became free."),
    (
        RunMessage(MessageCode.LEFT_WATCHING, {"others": 2}),
        "You stopped watching; the run goes on for 2 other viewer(s) with identical settings.",
    ),
    (RunMessage(MessageCode.EARLY_STOPPING, {"epoch": 4}), "Early stopping ended the run after epoch 4."),
    (RunMessage(MessageCode.WORKER_LOST), "The training worker was lost."),
    (
        RunMessage(MessageCode.INTERRUPTED),
        "Interrupted: the process training it ended (a server restart or a lost worker). Its finished epochs are kept.",
    ),
    (RunMessage(MessageCode.IMPORTED_RUNNING), "Imported while it was still running."),
    (
        RunMessage(MessageCode.QUOTA_VISITOR, {"limit": 3, "used": 3, "wanted": 1}),
        "Refused: your quota of 3 runs is full (3 kept, 1 new). Only your own finished private "
        "runs are ever removed to make room, and not enough of them can go.",
    ),
    (
        RunMessage(MessageCode.QUOTA_CLASS, {"limit": 3, "used": 3, "wanted": 1}),
        "Refused: this class's quota of 3 runs is full (3 kept, 1 new). Only your own finished "
        "runs in this class are ever removed to make room, and not enough of them can go: ask your teacher.",
    ),
    (
        RunMessage(MessageCode.QUOTA_SERVER, {"limit": 8, "used": 8, "wanted": 1}),
        "Refused: this server's quota of 8 runs is full (8 kept, 1 new). Only your own finished "
        "private runs are ever removed to make room, and not enough of them can go.",
    ),
]


def test_a_runs_ending_is_said_in_the_sessions_language_and_in_english_for_exports():
    """A run keeps its ending as a code and values; each language says it, English as core wrote it before."""
    coded = {m.code for m, _ in ENDINGS_AS_WRITTEN}
    assert coded == set(MessageCode) - {MessageCode.NONE, MessageCode.TEXT}, "every code has its sentence here"
    for message, english in ENDINGS_AS_WRITTEN:
        assert str(message) == message.text("en") == english
        chinese = message.text("zh")
        assert chinese == t(f"message.{message.code}", "zh", **message.values) and chinese != english, message.code
        assert RunMessage.from_stored(message.stored()) == message  # the store's column gives it back
    assert RunMessage(MessageCode.STOPPED_DURING, {"epoch": 4}).text("zh") == "在第 4 个 epoch 中按请求停止。"
    error = RunMessage.plain("ValueError: shapes (32, 46) and (32, 45) differ")
    assert error.text("zh") == error.text("en") == "ValueError: shapes (32, 46) and (32, 45) differ"
    assert RunMessage().text("zh") == "" and not RunMessage() and RunMessage().stored() == ""


def test_a_store_refusal_is_said_in_both_languages_and_only_once():
    refused = RunMessage(MessageCode.WORKER_LOST).saying_not_saved(RuntimeError("disk full"))
    assert str(refused) == "The training worker was lost. (not saved: RuntimeError: disk full)"
    assert refused.text("zh") == "训练工作进程丢失了。（未保存：RuntimeError: disk full）"
    assert refused.saying_not_saved(RuntimeError("again")) == refused
    assert str(RunMessage().saying_not_saved(OSError("gone"))) == "(not saved: OSError: gone)"


def test_an_ending_stored_before_codes_is_shown_as_it_was_written():
    """Rows from before messages were codes hold English: every language shows that text, nothing parses it."""
    old = RunMessage.from_stored("Stopped by request during epoch 3.")
    assert old == RunMessage.plain("Stopped by request during epoch 3.")
    assert old.text("zh") == "Stopped by request during epoch 3."
    # Text that looks like a stored message but is not one (a wrong code, missing values) is text too.
    for stored in (
        '{"code": "nonsense", "values": {}, "not_saved": ""}',
        '{"code": "stopped_during", "values": {}, "not_saved": ""}',
        "{",
    ):
        assert RunMessage.from_stored(stored) == RunMessage.plain(stored)


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
