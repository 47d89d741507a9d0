"""Spaces: whose runs a visitor sees. Private (`me:<visitor id>`) by default, a class's (`class:<code>`) by link.

Plain string rules with no imports beyond `re`, so the sidebar can show a
visitor's space before the page has loaded the run store (SQLAlchemy) or pandas.
"""

from __future__ import annotations

import re

SERVER_SPACE = "server"  # runs made outside the web app (command line, imported JSON): no link reaches it
CLASS_CODE = re.compile(r"[a-z0-9][a-z0-9-]{2,23}")  # short, readable aloud, safe in a URL


def private_space(visitor_id: str) -> str:
    return f"me:{visitor_id}"


def class_space(code: str) -> str:
    return f"class:{code}"


def valid_class_code(text: object) -> str | None:
    """The class code in `text`, lower-cased, or None when it is not 3-24 letters, digits and dashes."""
    if not isinstance(text, str):
        return None
    code = text.strip().lower()
    return code if CLASS_CODE.fullmatch(code) else None
