"""How a run stands and how it ended, as data: states as enums, an ending as a message code with its values.

`RunStatus` is what the store keeps for a run; `JobState` is what a run handle
(core.runs) is doing, which adds "waiting" for a slot or the cluster and never
says "interrupted" (only the store's leases find that). `Source` says how a viewer
got a run it did not start. All three are `StrEnum`s: their values are the strings
the store and older records hold, so a row compares, stores and loads as before.

A run's ending is a `RunMessage`: a `MessageCode` and the values its sentence
quotes. Core never writes the sentence; the page says it in the visitor's language
(`text(lang)`, from the catalogues), and exports and the command line say it in
English (`str()`). An error's own words are a message too (`MessageCode.TEXT`),
shown as they are in every language. The store keeps a message in its text column
as JSON (`stored`); a row written before messages were codes holds an English
sentence, which reads back as text and is shown as it was written.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from core.i18n import EN, t


class RunStatus(StrEnum):
    """A saved run's status."""

    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process ended without saying how the run ended (core.store's leases)


class JobState(StrEnum):
    """What a run handle is doing (its `JobSnapshot.state`)."""

    WAITING = "waiting"  # for a training slot, the cluster, or the first method to be resolved
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (JobState.WAITING, JobState.RUNNING)


class Source(StrEnum):
    """How a run came to a viewer or a space: trained for it, joined live, a finished result from the store, a file."""

    TRAINED = "trained"
    JOINED = "joined"
    CACHED = "cached"
    IMPORTED = "imported"  # only in a space's list (core.store): a visitor's file


class MessageCode(StrEnum):
    """Each sentence a run can end with; `message.<code>` in the catalogues says it."""

    NONE = ""  # the run ended as planned: nothing to say
    TEXT = "text"  # words core did not choose (an error's text, an old row's English): shown as they are
    STOPPED_DURING = "stopped_during"
    STOPPED_BEFORE_FIRST = "stopped_before_first"
    STOPPED_BETWEEN = "stopped_between"
    STOPPED_WAITING = "stopped_waiting"
    LEFT_WATCHING = "left_watching"
    EARLY_STOPPING = "early_stopping"
    WORKER_LOST = "worker_lost"
    INTERRUPTED = "interrupted"
    IMPORTED_RUNNING = "imported_running"
    QUOTA_VISITOR = "quota_visitor"
    QUOTA_CLASS = "quota_class"
    QUOTA_SERVER = "quota_server"


def _placeholders(code: MessageCode) -> set[str]:
    """The values the English sentence for `code` quotes (the catalogue test keeps both languages alike)."""
    if code is MessageCode.TEXT:
        return {"text"}
    if code is MessageCode.NONE:
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(EN[f"message.{code}"]) if name}


@dataclass(frozen=True)
class RunMessage:
    """How a run ended: a code, the values its sentence quotes, and the store's refusal if it could not be saved."""

    code: MessageCode = MessageCode.NONE
    values: Mapping[str, str | int] = field(default_factory=dict)
    not_saved: str = ""  # the error the store answered with, quoted as it is

    @classmethod
    def plain(cls, text: str) -> RunMessage:
        """Words shown as they are, in every language; empty text says nothing."""
        return cls(MessageCode.TEXT, {"text": text}) if text else cls()

    @classmethod
    def of_error(cls, error: BaseException) -> RunMessage:
        return cls.plain(f"{type(error).__name__}: {error}")

    def saying_not_saved(self, error: BaseException) -> RunMessage:
        """This message with the store's refusal added, once."""
        return self if self.not_saved else replace(self, not_saved=f"{type(error).__name__}: {error}")

    def text(self, lang: str) -> str:
        """The message in `lang` (English for exports and logs)."""
        if self.code is MessageCode.TEXT:
            said = str(self.values["text"])
        elif self.code is MessageCode.NONE:
            said = ""
        else:
            said = t(f"message.{self.code}", lang, **self.values)
        if self.not_saved:
            said = t("message.not_saved", lang, message=said, error=self.not_saved).strip()
        return said

    def __str__(self) -> str:
        return self.text("en")

    def __bool__(self) -> bool:
        return self.code is not MessageCode.NONE or bool(self.not_saved)

    # -- as data: the store's column, a record's JSON ----------------------------------

    def data(self) -> dict[str, Any]:
        return {"code": str(self.code), "values": dict(self.values), "not_saved": self.not_saved}

    @classmethod
    def from_data(cls, data: Any) -> RunMessage | None:
        """The message `data()` made, checked (it may come from a file): None unless every part is what a message holds."""
        if not isinstance(data, dict) or set(data) != {"code", "values", "not_saved"}:
            return None
        code, values, not_saved = data["code"], data["values"], data["not_saved"]
        if code not in set(MessageCode) or not isinstance(values, dict) or not isinstance(not_saved, str):
            return None
        code = MessageCode(code)
        if set(values) != _placeholders(code) or not all(
            isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)) for v in values.values()
        ):
            return None
        return cls(code, values, not_saved)

    def stored(self) -> str:
        """The form the store's text column holds: "" for nothing, else JSON."""
        return json.dumps(self.data(), ensure_ascii=False, sort_keys=True) if self else ""

    @classmethod
    def from_stored(cls, stored: str) -> RunMessage:
        """A stored message; a row from before messages were codes holds English text, shown as it is."""
        if not stored:
            return cls()
        try:
            message = cls.from_data(json.loads(stored))
        except ValueError:
            message = None
        return message if message is not None else cls.plain(stored)
