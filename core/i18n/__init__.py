"""Every text the app shows, in English and Simplified Chinese, and `t()` to look one up.

One catalogue file per language (`en.py`, `zh.py`), each a dict with the same keys; a test checks both
have every key with the same `{placeholders}`. Pages and the Streamlit glue
never compare languages themselves: they ask `t(key, lang, **values)`.
Reuters topic names, code and the names of Keras functions stay as they are in
both languages. Messages made deep inside `core` (a data file's problem, a
setting's bounds) stay English: they quote values and paths, and are shown as they are.
"""

from __future__ import annotations

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


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (English when the language is unknown), with `values` filled in."""
    catalogue = STRINGS.get(lang, STRINGS[DEFAULT_LANGUAGE])
    return catalogue[key].format(**values)
