"""Every text the app shows, in English and Simplified Chinese, and `t()` to look one up.

One catalogue file per language (`en.py`, `zh.py`), each a dict with the same keys; a test checks both
have every key with the same `{placeholders}`. Pages and the Streamlit glue
never compare languages themselves: they ask `t(key, lang, **values)`.
Reuters topic names, code and the names of Keras functions stay as they are in
both languages. Messages made deep inside `core` (a data file's problem, a
setting's bounds) stay English: they quote values and paths, and are shown as they are.

Why in core/ and not beside the Streamlit glue (ui/i18n.py, which only picks the
session's language and calls `t`): the catalogues are plain data, checked by tests
without Streamlit, and they are the one source of a text in every language, for
core as well: a run's ending is stored as a message code (core.states) and
rendered in English for exports by core, which must never import ui/. A method's texts are keyed by
its registry name (core/methods.py `catalogue_keys`), and `{method_count}` in
any text says how many methods the registry holds.
The sentences a run ends with (stopped, left, early stopping, a lost worker) are `message.<code>`
keys: a run keeps the code and its values, and each page says them in its session's language.
"""

from __future__ import annotations

from core import methods
from core.i18n.en import EN
from core.i18n.zh import ZH

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
STRINGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def language_from_locale(locale: str | None) -> str:
    """'zh' for any Chinese browser locale (zh, zh-CN, zh-Hans-SG…), else English."""
    if locale and locale.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return "zh"
    return DEFAULT_LANGUAGE


def count_words(catalogue: dict[str, str]) -> dict[str, str]:
    """How many methods the registry holds, in the catalogue's words: `{method_count}` and, capitalised, `{Method_count}`."""
    count = len(methods.REGISTRY)
    words = catalogue["number.words"].split()
    word = words[count] if count < len(words) else str(count)
    return {"method_count": word, "Method_count": word[:1].upper() + word[1:]}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (English when the language is unknown), with `values` filled in.

    Every text may also say how many methods there are (`{method_count}`): the count comes from the registry.
    """
    catalogue = STRINGS.get(lang, STRINGS[DEFAULT_LANGUAGE])
    return catalogue[key].format(**{**count_words(catalogue), **values})
