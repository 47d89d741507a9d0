"""Text that visitors typed or files brought, made plain to show and safe to export.

Everything a visitor can put into the app (a display name, a run's label or
message from an imported file, a file's name) reaches a page through Markdown
(notes, captions, reports) or a table and its CSV. Here it is made inert once:

- `plain_text`: printable characters only, one line, bounded. Control and
  formatting characters go, bidi overrides and isolates among them (a name
  could otherwise reverse the text after it), and so do lone surrogates
  (which no database can store) and NUL (which PostgreSQL refuses).
- `display_name_text`: a name in a class, as above, and never starting like a
  spreadsheet formula, because the class table can be downloaded as CSV.
- `markdown_literal`: text that Markdown shows character for character: every
  ASCII punctuation mark is backslash-escaped, so no link, image, emphasis,
  heading, HTML, math, colour directive, icon or bare web address can form.
- `spreadsheet_safe`: the text cells of a table that a spreadsheet would run
  as a formula get a leading apostrophe. Numeric columns are left alone, so a
  negative number stays a number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas loads only where a table is exported: the sidebar uses this module before any page title
    import pandas as pd

# Characters a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_DISPLAY_NAME = 40

_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain_text(text: str, limit: int) -> str:
    """`text` on one line of printable characters (runs of whitespace become one space), at most `limit` long."""
    # Work bounded by `limit`, not by the input: a megabyte of text is cut before it is cleaned (what
    # cleaning removes is mostly invisible, so the cut keeps the visible start).
    words = str(text)[: 4 * limit + 64].split()  # split(): every Unicode space, tab and line break
    # isprintable() is False for Unicode's "Other" categories (controls, formatting such as the bidi
    # controls, surrogates, private use, unassigned) and for every separator but the ASCII space.
    kept = " ".join(word if word.isprintable() else "".join(ch for ch in word if ch.isprintable()) for word in words)
    return " ".join(kept.split())[:limit].rstrip()


def display_name_text(text: str) -> str:
    """A display name: plain, at most MAX_DISPLAY_NAME characters, and not starting like a formula."""
    return plain_text(text, MAX_DISPLAY_NAME * 2).lstrip("".join(FORMULA_STARTS) + " ")[:MAX_DISPLAY_NAME].rstrip()


def markdown_literal(text: str) -> str:
    """`text` (made plain first) escaped so that Markdown shows it exactly, as text."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", plain_text(text, len(str(text))))


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot run as formulas ("=1+2" becomes "'=1+2"); numbers untouched."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        safe[column] = values.map(lambda cell: f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell)
    return safe
