"""Who the visitor is and which space their runs go to: private by default, a class's when the link says so.

A visitor gets a random id for their browser session; their runs live in their
own space (`me:<id>`), which nobody else can list or open. A teacher's link with
`?class=CODE` (3-24 letters, digits or dashes) puts everyone who opens it in the
class's space: they see the class's runs, each under the display name its
student typed (default "student N"). The code stays in the address on every
page, so links copied from the app carry it.
"""

from __future__ import annotations

import itertools
import uuid

import streamlit as st

from core.plain_text import MAX_DISPLAY_NAME, display_name_text
from core.spaces import class_space, private_space, valid_class_code
from ui.i18n import tr

VISITOR_KEY = "visitor_id"
CLASS_KEY = "class_code"  # the validated class code, or None
CLASS_READ_KEY = "class_read"  # the address was read once for ?class=
NAME_KEY = "display_name"
URL_CLASS = "class"

# "student N": numbered in the order visitors arrive on this server (a process-wide count).
_student_numbers = itertools.count(1)


def visitor_id() -> str:
    if VISITOR_KEY not in st.session_state:
        st.session_state[VISITOR_KEY] = uuid.uuid4().hex[:16]
    return st.session_state[VISITOR_KEY]


def class_code() -> str | None:
    """The session's class code: read from the address once; an invalid one is named and ignored."""
    if not st.session_state.get(CLASS_READ_KEY):
        st.session_state[CLASS_READ_KEY] = True
        raw = st.query_params.get(URL_CLASS)
        code = valid_class_code(raw) if raw is not None else None
        st.session_state[CLASS_KEY] = code
        if raw is not None and code is None:
            st.session_state["class_code_refused"] = True
            del st.query_params[URL_CLASS]
    return st.session_state.get(CLASS_KEY)


def current_space() -> str:
    code = class_code()
    return class_space(code) if code else private_space(visitor_id())


def display_name() -> str:
    if NAME_KEY not in st.session_state:
        st.session_state[NAME_KEY] = tr("class.default_name", number=next(_student_numbers))
    return st.session_state[NAME_KEY]


def _name_typed() -> None:
    # Shown to the class as plain text, and in the class table a teacher may download as CSV.
    typed = display_name_text(str(st.session_state.get("display_name_input", "")))
    if typed:
        st.session_state[NAME_KEY] = typed


def class_sidebar() -> None:
    """The class's name box and status, in the sidebar; keeps ?class= in the address."""
    code = class_code()
    if st.session_state.pop("class_code_refused", False):
        st.sidebar.warning(tr("class.code_refused"), icon=":material/link_off:")
    if code is None:
        st.sidebar.caption(tr("class.private"))
        return
    if st.query_params.get(URL_CLASS) != code:
        st.query_params[URL_CLASS] = code
    st.sidebar.markdown(tr("class.in_class", code=code))
    st.session_state.setdefault("display_name_input", display_name())
    st.sidebar.text_input(tr("class.name_label"), key="display_name_input", max_chars=MAX_DISPLAY_NAME, on_change=_name_typed)
