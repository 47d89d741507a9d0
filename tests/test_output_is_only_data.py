"""What the app shows and writes of visitors' text is only data: no formula in a CSV, no markup on a page.

- CSV: text cells a spreadsheet would run (=, +, -, @, tab, CR at the start) get
  a leading apostrophe; numeric columns are left alone, so -1.5 stays a number.
- Markdown: text a visitor typed or imported is escaped so that a CommonMark
  renderer (markdown-it, as Streamlit's micromark follows the same spec) shows
  exactly the plain characters: no link, image, emphasis or HTML; bidi
  controls and other invisible characters are gone before that.
- Display names: plain, bounded, never starting like a formula, on entry and
  when read back from the store.
- "Download all" is built when clicked, not on every rerun of Compare.
"""

from __future__ import annotations

import csv
import html
import io

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from support import APP, make_run, open_page

from core.exchange import read_runs_file, runs_table
from core.plain_text import MAX_DISPLAY_NAME, display_name_text, markdown_literal, plain_text, spreadsheet_safe
from core.records import EpochRow, record_to_csv
from core.store import private_space, store_from_environment

APP_TIMEOUT = 180  # seconds: a hang guard for a page run on a busy machine, not a speed requirement

HOSTILE_TEXTS = [
    "[link](https://evil.example/phish)",
    "![x](https://evil.example/track.png)",
    "<img src=x onerror=alert(1)> <b>bold</b> <script>alert(1)</script>",
    "**bold** _it_ `code` ~~strike~~ # head",
    "> quote\n- item\n1. one\n\n---",
    "www.evil.example and https://evil.example and mail@evil.example",
    ":red[colour] :material/home: :smile: $x^2$ $$y$$",
    "a\u202eb\u2066c\u200fd\u061ce\u200be",  # bidi overrides, isolates, marks, a zero-width space
    "line\nbreak\r\nand\ttab\x00nul\ud800",
    "&amp; &lt; \\[escaped\\] | table | cell |",
    "名字 😀 Ünïcödé",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=lambda text: repr(text[:24]))
def test_visitor_text_in_markdown_renders_as_exactly_its_plain_characters(text):
    from markdown_it import MarkdownIt  # comes with keras (through rich)

    plain = plain_text(text, 1000)
    assert plain.isprintable() and not set(plain) & set("\u202e\u2066\u200f\u061c\u200b\n\r\t\x00")
    rendered = MarkdownIt("commonmark").enable("strikethrough").enable("table").render(markdown_literal(text))
    assert rendered == f"<p>{html.escape(plain, quote=False).replace(chr(34), '&quot;')}</p>\n"


def test_display_names_are_plain_bounded_and_never_a_formula():
    assert display_name_text('  =HYPERLINK("http://x")  ') == 'HYPERLINK("http://x")'
    assert display_name_text("+-@=\t\rAnn") == "Ann"
    assert display_name_text("\u202eAnn\u202c Lee") == "Ann Lee"
    assert display_name_text("-5") == "5"
    assert len(display_name_text("x" * 500)) == MAX_DISPLAY_NAME
    assert display_name_text("\u202e\u200b") == ""
    run = make_run()
    table = runs_table([(run, "=cmd|' /C calc'!A0\u202e", "imported")])  # a name stored before names were cleaned
    assert table.iloc[0]["name"] == "cmd|' /C calc'!A0"


def test_csv_text_cells_cannot_run_and_negative_numbers_stay_numbers():
    record = make_run()
    record.epochs[0] = EpochRow(1, -1.5, 0.5, 0.7, 1.1, 0.4, 0.6, -0.001, 2.5, '=HYPERLINK("http://x","y")')
    record.epochs[1] = EpochRow(2, 1.0, 0.5, 0.7, 1.1, 0.4, 0.6, 0.001, 2.5, "@SUM(A1)")
    rows = list(csv.DictReader(io.StringIO(record_to_csv(record))))
    assert [row["finished_at"] for row in rows] == ['\'=HYPERLINK("http://x","y")', "'@SUM(A1)"]
    assert (rows[0]["loss"], rows[0]["learning_rate"]) == ("-1.5", "-0.001")  # numbers, as they were
    assert rows[0]["method"] == "fit"


def test_spreadsheet_safe_changes_only_text_cells_that_start_like_a_formula():
    import pandas as pd

    frame = pd.DataFrame({"text": ["=1+2", "+1", "-x", "@a", "\tx", "\rx", "plain", "a=b", ""], "number": range(-4, 5)})
    safe = spreadsheet_safe(frame)
    assert list(safe["text"]) == ["'=1+2", "'+1", "'-x", "'@a", "'\tx", "'\rx", "plain", "a=b", ""]
    assert list(safe["number"]) == list(range(-4, 5)) and safe["number"].dtype == frame["number"].dtype
    assert list(frame["text"])[0] == "=1+2", "the frame passed in is left as it was"


def test_a_hostile_display_name_typed_in_a_class_is_kept_plain(app_env):
    from core.store import store_from_environment

    code, _secret = store_from_environment().open_class("Biology 7", owner="teacher")  # classes are opened, not guessed
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    at.query_params["class"] = code
    at.run()
    at.text_input(key="display_name_input").set_value("=[me](https://evil.example)\u202e").run()
    assert not at.exception
    assert at.session_state["display_name"] == "[me](https://evil.example)"


def _agreement_note_page(labels: list[str]) -> None:
    """A page that draws the agreement note of a fit and a custom-loop run labelled `labels`."""
    from dataclasses import replace

    from support import make_run

    from ui.saved_runs import agreement_notes

    fit, custom = make_run("fit"), make_run("custom_loop")
    agreement_notes([replace(fit, label=labels[0]), replace(custom, label=labels[1])])


def test_labels_in_the_agreement_note_are_shown_as_text():
    labels = ["[link](https://evil.example) · fit", "![x](https://evil.example/x.png) \u202e· custom"]
    at = AppTest.from_function(_agreement_note_page, args=(labels,), default_timeout=APP_TIMEOUT).run()
    assert not at.exception
    (note,) = [element.value for element in at.info] + [element.value for element in at.caption]
    for label in labels:
        assert markdown_literal(label) in note
    assert "](" not in note and "\u202e" not in note


def test_download_all_is_built_when_clicked_not_on_every_rerun(app_env, monkeypatch):
    import ui.saved_runs as saved_runs

    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    open_page(at, "compare").run()
    store = store_from_environment()
    space = private_space(at.session_state["visitor_id"])
    runs = [make_run(method) for method in ("fit", "train_on_batch", "custom_loop")]
    store.save_imported("importer", space, runs, "")
    built, offered = [], []
    real_zip, real_button = saved_runs.runs_to_zip, st.download_button

    def counting_zip(records):
        built.append(1)
        return real_zip(records)

    def recording_button(label, data=None, *args, **kwargs):
        if kwargs.get("key") == "download_all_runs":
            offered.append(data)
        return real_button(label, data, *args, **kwargs)

    monkeypatch.setattr(saved_runs, "runs_to_zip", counting_zip)
    monkeypatch.setattr(st, "download_button", recording_button)
    at.run()
    at.run()
    assert not at.exception
    assert built == [] and len(offered) == 2 and all(callable(data) for data in offered)
    # The click: the callable builds the zip of every run the table lists.
    report = read_runs_file("runs.zip", offered[-1]())
    assert built == [1] and sorted(r.method for r in report.runs) == sorted(r.method for r in runs)
