"""Spaces: whose runs a visitor sees. Private (`me:<visitor id>`) by default, a class's (`class:<code>`) by link.

A visitor's private key is a random secret (192 bits) that their browser keeps
(ui/classroom.py puts it in a cookie). The server never stores it: the visitor
id, and so the private space, is a hash of it (`visitor_id_from_key`), so
neither the database nor any page that shows a space's name gives the key away.

Plain string rules with no imports beyond the standard library, so the sidebar can
show a visitor's space before the page has loaded the run store (SQLAlchemy) or pandas.
"""

from __future__ import annotations

import hashlib
import re
import secrets

SERVER_SPACE = "server"  # runs made outside the web app (command line, imported JSON): no link reaches it
CLASS_CODE = re.compile(r"[a-z0-9][a-z0-9-]{2,23}")  # short, readable aloud, safe in a URL
PRIVATE_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")  # URL-safe base 64: 22 characters are 132 bits


def new_private_key() -> str:
    return secrets.token_urlsafe(24)  # 192 bits from the operating system's generator


def valid_private_key(text: object) -> str | None:
    return text if isinstance(text, str) and PRIVATE_KEY.fullmatch(text) else None


def visitor_id_from_key(key: str) -> str:
    """The visitor id a private key stands for: `k` and 128 bits of its SHA-256 (ids of per-tab sessions had no `k`)."""
    return "k" + hashlib.sha256(f"three-ways private:{key}".encode()).hexdigest()[:32]


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
