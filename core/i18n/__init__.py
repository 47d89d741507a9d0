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
core as well: `run_message` matches the sentences core writes, and a run's ending
stored as a message code (issue 22) is rendered in English for exports by core,
which must never import ui/. A method's texts are keyed by
its registry name (core/methods.py `catalogue_keys`), and `{method_count}` in
any text says how many methods the registry holds.
The fixed sentences a run ends with (stopped, left, early stopping, a lost worker) are kept in
English in the run's record and files, and shown in the session's language (`run_message`).
"""

from __future__ import annotations

import re

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


# The sentences core writes when a run ends (core.training, core.runs.jobs, core.runs.watch, core.runs.ray_jobs, core.runs.ray_cluster),
# matched whole, and the catalogue key that says them; anything else (an error's text) is shown as it is.
RUN_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Stopped by request during epoch (?P<epoch>\d+)\."), "message.stopped_during"),
    (re.compile(r"Stopped by request before the first epoch\."), "message.stopped_before_first"),
    (re.compile(r"Stopped by request before the next method started\."), "message.stopped_between"),
    (re.compile(r"Stopped before a training slot became free\."), "message.stopped_waiting"),
    (
        re.compile(r"You stopped watching; the run goes on for (?P<others>\d+) other viewer\(s\) with identical settings\."),
        "message.left_watching",
    ),
    (re.compile(r"Early stopping ended the run after epoch (?P<epoch>\d+)\."), "message.early_stopping"),
    (re.compile(r"The training worker was lost\."), "message.worker_lost"),
    (re.compile(r"Interrupted: the process training it ended \(a server restart or a lost worker\)\..*"), "message.interrupted"),
    *[
        (
            re.compile(rf"Refused: {whose} quota of (?P<limit>\d+) runs is full \((?P<used>\d+) kept, (?P<wanted>\d+) new\)\..*"),
            f"message.quota_{quota}",
        )
        for quota, whose in (("visitor", "your"), ("class", "this class's"), ("server", "this server's"))
    ],
]


def run_message(message: str, lang: str) -> str:
    """A run's ending message in `lang` when it is one of core's fixed sentences, else unchanged."""
    for pattern, key in RUN_MESSAGES:
        found = pattern.fullmatch(message.strip())
        if found:
            return t(key, lang, **found.groupdict())
    return message
