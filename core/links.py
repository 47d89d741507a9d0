"""Settings as URL query parameters, so a link can open the app with the same settings.

`settings_to_query` writes the sidebar's settings under their `RunSettings`
field names (`?epochs=5&batch_size=64&...`); optional settings that are off
are written as 0, as the sidebar shows them. `settings_from_query` reads a
link back: every value is checked on its own through `RunSettings.validate()`,
the valid ones are applied and the others are returned by name, so a bad or
hand-edited link never stops the app. Keys this module does not know are left
alone (they may belong to Streamlit or to another page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core.settings import CHOSEN_FIELDS, OPTIONAL_FIELDS, RunSettings, SettingsError

# The settings a link carries: the ones the sidebar offers (the method is the page's).
LINK_FIELDS: tuple[str, ...] = CHOSEN_FIELDS
MAX_VALUE_LENGTH = 32  # longer than any valid value: refuse without parsing


def settings_to_query(settings: RunSettings) -> dict[str, str]:
    """The link's parameters for these settings, in the sidebar's order."""
    query = {}
    for name in LINK_FIELDS:
        value = getattr(settings, name)
        if value is None:
            query[name] = "0"
        elif isinstance(value, float):
            query[name] = f"{value:g}"
        else:
            query[name] = str(value)
    return query


def _parse(name: str, text: str) -> int | float | None:
    """One parameter's value, or ValueError. Optional settings read 0 (or 'none', 'off') as off."""
    text = text.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise ValueError("too long")
    if name in OPTIONAL_FIELDS and text.lower() in ("0", "none", "off", ""):
        return None
    if name == "learning_rate":
        return float(text)
    return int(text)


def settings_from_query(query: Mapping[str, str | list[str]], base: RunSettings | None = None) -> tuple[RunSettings, list[str]]:
    """Apply a link's valid settings to `base`; return the result and the names of the ignored ones.

    A repeated key uses its last value, as `st.query_params` does.
    """
    settings = base or RunSettings()
    ignored: list[str] = []
    for name in LINK_FIELDS:
        if name not in query:
            continue
        raw = query[name]
        text = raw[-1] if isinstance(raw, list) and raw else raw
        try:
            change: dict[str, Any] = {name: _parse(name, str(text))}
            candidate = replace(settings, **change)
            settings = candidate.validate()  # base is valid, so a failure is this value's
        except (ValueError, SettingsError):
            ignored.append(name)
    return settings, ignored
