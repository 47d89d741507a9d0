"""A method is defined in one place: a toy method registered in a test gets everything with nothing else edited.

The fixture adds an entry to core/methods.py's registry (its trainer in
tests/toy_method.py) and its texts to both catalogues, and nothing more: the
navigation gives it a page at /toy, the home table a row, Compare trains it
with the others, the sweep offers it, and every count of methods grows by one.
"""

from __future__ import annotations

import inspect

import pytest
import toy_method as toy_module
from support import apply_tiny_settings, new_app, open_page, texts, wait_for_job

from core import methods
from core.i18n import EN, ZH, t

TOY = methods.Method(
    name="toy", trainer="train_with_toy", sources=(("train_with_toy", "main"),), seconds_per_run=6.0, module="toy_method"
)
TOY_TEXTS = {
    "method.toy": ("toy method", "玩具方法"),
    "nav.toy": ("Toy", "玩具"),
    "page.toy": ("Toy", "玩具"),
    "home.link.toy": ("Toy method", "玩具方法"),
    "table.toy.name": ("Toy method", "玩具方法"),
    "table.toy.control": ("None", "无"),
    "table.toy.flexibility": ("Plain SGD", "普通 SGD"),
    "table.toy.when": ("In tests", "在测试中"),
    "toy.title": ("Toy training", "玩具训练"),
    "toy.intro": ("A method registered by a test.", "测试注册的方法。"),
    "cmp.method.toy": ("toy", "玩具"),
    "source.toy.main": ("The toy trainer", "玩具训练函数"),
}


@pytest.fixture
def toy_method(monkeypatch):
    monkeypatch.setattr(methods, "REGISTRY", [*methods.REGISTRY, TOY])
    for key, (english, chinese) in TOY_TEXTS.items():
        monkeypatch.setitem(EN, key, english)
        monkeypatch.setitem(ZH, key, chinese)
    return TOY


def test_the_toy_entry_names_exactly_the_texts_it_brings(toy_method):
    assert sorted(methods.catalogue_keys(toy_method)) == sorted(TOY_TEXTS)
    assert methods.names()[-1] == "toy" and methods.number("toy") == len(methods.REGISTRY)


def test_a_registered_method_gets_its_page_home_row_texts_and_counts(app_env, toy_method):
    place = methods.number("toy")
    at = new_app()
    assert not at.exception, [e.value for e in at.exception]
    word = EN["number.words"].split()[len(methods.REGISTRY)]
    assert at.title[0].value == f"{word.capitalize()} ways to train a Keras model"
    table = at.dataframe[0].value
    row = table[table["Method"] == "Toy method"]
    assert list(row["Lines of code"]) == [len(inspect.getsource(toy_module.train_with_toy).splitlines())]
    assert table["Method"].iloc[-1] == "Toy method", "its row comes in its place"

    open_page(at, "toy").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == f"{place} · Toy training"
    assert "A method registered by a test." in texts(at)
    assert "def train_with_toy" in at.code[0].value, "its real source is shown"
    at.radio(key="language_choice").set_value("zh").run()
    assert at.title[0].value == f"{place} · 玩具训练"
    assert at.button(key="train_toy").label and at.button(key="stop_toy").label == "停止"
    open_page(at, "compare").run()
    assert at.title[0].value == methods.numbered(place + 1, t("compare.title", "zh"))
    assert ZH["number.words"].split()[len(methods.REGISTRY)] in at.title[0].value


def test_compare_trains_a_registered_method_with_the_others(app_env, toy_method):
    at = new_app()
    apply_tiny_settings(at, epochs=1)
    open_page(at, "compare").run()
    assert at.selectbox(key="sweep_method").options[-1] == "toy method", "the sweep offers it"
    at.button(key="train_compare").click().run()
    wait_for_job(at, timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    snap = at.session_state["job"].snapshot()
    assert [r.method for r in snap.records] == list(methods.names())
    assert snap.records[-1].status == "finished" and len(snap.records[-1].epochs) == 1
    assert list(at.table[0].value["method"]) == list(methods.names())
