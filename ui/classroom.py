"""Who the visitor is and which space their runs go to: private by default, an opened class's when they join it.

Identity: the first visit makes a private key (192 bits, core.spaces); the
browser keeps it in a cookie that a script in the page sets (`st.html` with
JavaScript: Streamlit has no call that sets a cookie, and `st.context.cookies`
reads the ones the browser sent when the session began). So a reload or a
server restart finds the same key, and the visitor id is a hash of it: the
private space `me:<id>` survives both, and the database never holds the key.
Carrying it to another device is deliberate: the sidebar shows a private link
(`?key=…`) on request, with a warning; opening it moves that browser to the
key, and the app takes `key` out of the address at once, so no link copied
from the app (class or settings) ever carries it.

Classes: a teacher opens one (core.classes, core.store `classes`) and gets the
class code and a teacher link (`?class=CODE&teacher=SECRET`). Everyone with
the code (typed, or in the link) sees the class's runs under the names they
typed; the teacher (the browser that opened it, or the teacher link) can rename
it, remove runs from it and close it. A closed class stays readable to its link
and takes no new runs: runs trained there go to the visitor's private space.
Class spaces of earlier versions (any 3-24 character code, made by using it)
that hold runs are read-only in the same way. A code never opened opens
nothing, and wrong codes are slowed down (core.classes).
"""

from __future__ import annotations

import itertools

import streamlit as st

from core import classes
from core.plain_text import MAX_DISPLAY_NAME, display_name_text, markdown_literal, plain_text
from core.spaces import (
    class_space,
    new_private_key,
    private_space,
    valid_class_code,
    valid_private_key,
    visitor_id_from_key,
)
from ui.i18n import tr

VISITOR_KEY = "visitor_id"  # the hash of the private key: the only id the rest of the app asks for
PRIVATE_KEY = "private_key"  # the key itself, to show on request and to hand to the browser
COOKIE_SET_KEY = "private_key_in_browser"  # the cookie as the browser sent it when the session began
PENDING_KEY = "private_key_from_link"  # a link's key waiting for the visitor's yes (their own space has runs)
CLASS_KEY = "class_code"  # the joined class's code, or None
CLASS_STATE_KEY = "class_state"  # open | closed | legacy
CLASS_READ_KEY = "class_read"  # the address was read once for ?class=
TEACHER_KEY = "class_teacher"  # this session may manage the class
TEACHER_SECRET_KEY = "class_teacher_secret"  # the secret of the teacher link, when this session has it
ATTEMPTS_KEY = "class_attempts"  # core.classes.SessionAttempts
NOTICE_KEY = "class_notice"  # (kind, text) to show once in the sidebar
NAME_KEY = "display_name"
URL_CLASS = "class"
URL_TEACHER = "teacher"
URL_KEY = "key"
KEY_COOKIE = "three_ways_key"
COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chrome's cap)

# "student N": numbered in the order visitors arrive on this server (a process-wide count).
_student_numbers = itertools.count(1)


def _store():
    from core.store import store_from_environment  # SQLAlchemy loads when a space is first needed, not at import

    return store_from_environment()


def _too_many_classes() -> type[Exception]:
    from core.store import TooManyClasses  # as above: only once a class is opened

    return TooManyClasses


# -- identity -----------------------------------------------------------------


def cookie_key() -> str | None:
    """The private key this browser's cookie holds, if valid (AppTest sends no cookies: its tests stand in for this)."""
    try:
        return valid_private_key(st.context.cookies.get(KEY_COOKIE))
    except Exception:  # noqa: BLE001 - no browser behind the session (AppTest): no cookie
        return None


def _use_key(key: str) -> None:
    st.session_state[PRIVATE_KEY] = key
    st.session_state[VISITOR_KEY] = visitor_id_from_key(key)


def visitor_id() -> str:
    """The visitor's id (a hash of their private key): from the browser's cookie, a private link, or new."""
    if VISITOR_KEY not in st.session_state:
        from_cookie = cookie_key()
        st.session_state[COOKIE_SET_KEY] = from_cookie
        _use_key(from_cookie or new_private_key())
        _key_from_link(had_key=from_cookie is not None)
    return st.session_state[VISITOR_KEY]


def _key_from_link(had_key: bool) -> None:
    """A private link's `?key=`: taken out of the address at once; used now, or after a yes when it would hide runs."""
    if URL_KEY not in st.query_params:
        return
    linked = valid_private_key(st.query_params.get(URL_KEY))
    del st.query_params[URL_KEY]
    if linked is None:
        _notice("warning", tr("identity.key_refused"))
    elif linked == st.session_state[PRIVATE_KEY]:
        return
    elif had_key and _private_runs(st.session_state[VISITOR_KEY]) > 0:
        st.session_state[PENDING_KEY] = linked
    else:
        _use_key(linked)
        _notice("success", tr("identity.key_adopted"))


def _private_runs(visitor: str) -> int:
    try:
        return len(_store().space_runs(private_space(visitor)))
    except Exception:  # noqa: BLE001 - a database problem: ask rather than hide runs
        return 1


def _adopt_pending() -> None:
    key = st.session_state.pop(PENDING_KEY, None)
    if key:
        _use_key(key)
        _notice("success", tr("identity.key_adopted"))


def _keep_own_key() -> None:
    st.session_state.pop(PENDING_KEY, None)


def _remember_in_browser() -> None:
    """Hand the key to the browser as a cookie, until a session begins with it (a reload, the next visit)."""
    key = st.session_state[PRIVATE_KEY]
    if st.session_state.get(COOKIE_SET_KEY) == key:
        return
    # A key is only ever URL-safe base 64 (made here, or a link's checked by valid_private_key): nothing to escape.
    st.sidebar.html(
        "<script>"
        f"document.cookie = '{KEY_COOKIE}={key}; path=/; max-age={COOKIE_DAYS * 86400}; samesite=lax'"
        " + (location.protocol === 'https:' ? '; secure' : '');"
        "</script>",
        unsafe_allow_javascript=True,
    )


# -- classes ------------------------------------------------------------------


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


def _attempts() -> classes.SessionAttempts:
    return st.session_state.setdefault(ATTEMPTS_KEY, classes.SessionAttempts())


def _join(raw: str, secret: str | None = None) -> bool:
    """Join the class `raw` names, if it was opened (or is an earlier version's); otherwise say why, create nothing."""
    now = classes.CLOCK()
    attempts, server = _attempts(), classes.server_attempts()
    wait = attempts.wait_left(now)
    if wait > 0:
        _notice("warning", tr("class.slow_down", seconds=max(1, round(wait))))
        return False
    wait = server.wait_left(now)
    if wait > 0:
        _notice("warning", tr("class.server_slow_down", seconds=max(1, round(wait))))
        return False
    opened_code, old_code = classes.readable_code(raw), valid_class_code(raw)
    if opened_code is None and old_code is None:
        attempts.record_wrong(now)
        _notice("warning", tr("class.code_refused"))
        return False
    try:
        store = _store()
        info = store.class_info(opened_code) if opened_code else None
        legacy = info is None and old_code is not None and store.is_legacy_class(old_code)
        teacher = info is not None and store.is_teacher(info.code, visitor=visitor_id(), secret=secret)
    except Exception as error:  # noqa: BLE001 - a database problem: say so, stay private
        _notice("error", tr("runs.store_error", error=f"{type(error).__name__}: {error}"))
        return False
    if info is None and not legacy:
        attempts.record_wrong(now)
        server.record_unknown(now)
        _notice("warning", tr("class.unknown", code=_plain(raw.strip()[:24])))
        return False
    if secret is not None and not teacher:
        attempts.record_wrong(now)
        _notice("warning", tr("class.teacher_refused"))
    st.session_state[CLASS_KEY] = info.code if info else old_code
    st.session_state[CLASS_STATE_KEY] = "legacy" if legacy else ("open" if info.is_open else "closed")
    st.session_state[TEACHER_KEY] = teacher
    if teacher and secret is not None:
        st.session_state[TEACHER_SECRET_KEY] = secret
    return True


def class_code() -> str | None:
    """The session's class code: read from the address once (the teacher secret taken out of it at once)."""
    if not st.session_state.get(CLASS_READ_KEY):
        st.session_state[CLASS_READ_KEY] = True
        st.session_state.setdefault(CLASS_KEY, None)
        secret = st.query_params.get(URL_TEACHER)
        if secret is not None:
            del st.query_params[URL_TEACHER]
        raw = st.query_params.get(URL_CLASS)
        if raw is not None and not _join(raw, secret):
            del st.query_params[URL_CLASS]
    return st.session_state.get(CLASS_KEY)


def class_is_writable() -> bool:
    """In a class that is open now (asked of the store: the teacher may have closed it since this session joined)."""
    code = class_code()
    if code is None or st.session_state.get(CLASS_STATE_KEY) != "open":
        return False
    try:
        info = _store().class_info(code)
    except Exception:  # noqa: BLE001 - a database problem: keep new runs private rather than guess
        return False
    _note_closed(info)
    return st.session_state.get(CLASS_STATE_KEY) == "open"


def _note_closed(info) -> None:
    if info is not None and not info.is_open:
        st.session_state[CLASS_STATE_KEY] = "closed"


def current_space() -> str:
    """Where this session's new runs (trained, joined, cached, imported) go: an open class's space, else private."""
    return class_space(class_code()) if class_is_writable() else private_space(visitor_id())


def viewed_space() -> str:
    """Whose runs Compare lists: the class's (open, closed or of an earlier version), else the visitor's own."""
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


def _plain(text: str) -> str:
    """A visitor's text for Markdown, shown as typed: no link, image or formatting, no direction overrides."""
    return markdown_literal(plain_text(text, 120))


def _app_url() -> str:
    try:
        return st.context.url or ""
    except Exception:  # noqa: BLE001 - no browser behind the session (AppTest)
        return ""


def class_link(code: str) -> str:
    return f"{_app_url()}?{URL_CLASS}={code}"


def _set_class_in_address(code: str | None) -> None:
    if code is None:
        st.query_params.pop(URL_CLASS, None)
    elif st.query_params.get(URL_CLASS) != code:
        st.query_params[URL_CLASS] = code


def _join_typed() -> None:
    typed = str(st.session_state.get("class_code_input", "")).strip()
    if typed and _join(typed):
        st.session_state["class_code_input"] = ""


def _open_class() -> None:
    try:
        code, secret = _store().open_class(str(st.session_state.get("class_name_input", "")), owner=visitor_id())
    except _too_many_classes() as refusal:
        _notice("warning", tr("class.too_many", limit=refusal.limit))
        return
    except Exception as error:  # noqa: BLE001 - a database problem: say so, nothing half-made
        _notice("error", tr("runs.store_error", error=f"{type(error).__name__}: {error}"))
        return
    st.session_state.update(
        {CLASS_KEY: code, CLASS_STATE_KEY: "open", TEACHER_KEY: True, TEACHER_SECRET_KEY: secret, "class_just_opened": True}
    )
    st.session_state["class_name_input"] = ""


def _leave_class() -> None:
    for key in (CLASS_STATE_KEY, TEACHER_KEY, TEACHER_SECRET_KEY):
        st.session_state.pop(key, None)
    st.session_state[CLASS_KEY] = None


def _rename() -> None:
    if st.session_state.get(TEACHER_KEY) and _store().rename_class(class_code(), st.session_state.get("class_rename_input", "")):
        _notice("success", tr("class.renamed"))


def _remove_runs() -> None:
    chosen = list(st.session_state.get("class_remove_choice") or [])
    if st.session_state.get(TEACHER_KEY) and chosen:
        removed = _store().remove_from_space(class_space(class_code()), chosen)
        st.session_state["class_remove_choice"] = []
        _notice("success", tr("class.removed", count=removed))


def _close() -> None:
    if st.session_state.get(TEACHER_KEY) and st.session_state.get("class_close_confirm"):
        _store().close_class(class_code())
        st.session_state[CLASS_STATE_KEY] = "closed"
        _notice("success", tr("class.closed_now"))


def _teacher_panel(code: str, state: str) -> None:
    sidebar = st.sidebar
    with sidebar.expander(
        tr("class.teacher_title"), icon=":material/school:", expanded=st.session_state.pop("class_just_opened", False)
    ):
        st.caption(tr("class.share_link"))
        st.code(class_link(code), language=None)
        secret = st.session_state.get(TEACHER_SECRET_KEY)
        if secret:
            if st.toggle(tr("class.show_teacher_link"), key="class_show_teacher"):
                st.warning(tr("class.teacher_link_warning"), icon=":material/key:")
                st.code(f"{class_link(code)}&{URL_TEACHER}={secret}", language=None)
        else:
            st.caption(tr("class.teacher_by_browser"))
        if state != "open":
            return
        st.text_input(tr("class.rename_label"), key="class_rename_input", max_chars=40)
        st.button(tr("class.rename"), key="class_rename", on_click=_rename)
        try:
            runs = _store().space_runs(class_space(code))
        except Exception:  # noqa: BLE001 - the table below says so on Compare
            runs = []
        labels = {run.record.run_id: f"{run.display_name} · {run.record.method} · {run.record.started_at[:16]}" for run in runs}
        st.multiselect(tr("class.remove_label"), list(labels), format_func=labels.get, key="class_remove_choice")
        st.button(tr("class.remove"), key="class_remove", on_click=_remove_runs)
        st.checkbox(tr("class.close_confirm"), key="class_close_confirm")
        st.button(tr("class.close"), key="class_close", on_click=_close, disabled=not st.session_state.get("class_close_confirm"))


def _private_link_panel() -> None:
    with st.sidebar.expander(tr("identity.title"), icon=":material/devices:"):
        st.caption(tr("identity.explain"))
        if st.toggle(tr("identity.show"), key="identity_show"):
            st.warning(tr("identity.warning"), icon=":material/key:")
            st.code(f"{_app_url()}?{URL_KEY}={st.session_state[PRIVATE_KEY]}", language=None)


def class_sidebar() -> None:
    """The sidebar's class and identity panel; keeps ?class= in the address while in a class, never a secret."""
    visitor_id()
    code = class_code()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        kind, text = notice
        getattr(st.sidebar, kind)(text)
    if st.session_state.get(PENDING_KEY):
        st.sidebar.warning(tr("identity.key_pending"), icon=":material/key:")
        left, right = st.sidebar.columns(2)
        left.button(tr("identity.use_link_key"), key="identity_use_link", on_click=_adopt_pending)
        right.button(tr("identity.keep_key"), key="identity_keep", on_click=_keep_own_key)
    _set_class_in_address(code)
    if code is None:
        st.sidebar.caption(tr("class.private"))
        with st.sidebar.expander(tr("class.join_title"), icon=":material/groups:"):
            st.text_input(tr("class.code_label"), key="class_code_input", max_chars=40, placeholder="xxxx-xxxx-xxxx")
            st.button(tr("class.join"), key="class_join", on_click=_join_typed)
            st.divider()
            st.text_input(tr("class.name_new_label"), key="class_name_input", max_chars=40)
            st.button(tr("class.open"), key="class_open", on_click=_open_class, icon=":material/add:")
    else:
        try:
            info = _store().class_info(code)
        except Exception:  # noqa: BLE001 - the name is a nicety: the code says which class
            info = None
        _note_closed(info)
        state = st.session_state.get(CLASS_STATE_KEY, "open")
        name = _plain(info.name) if info else code
        st.sidebar.markdown(tr("class.in_class", name=name, code=code))
        if state == "open":
            st.session_state.setdefault("display_name_input", display_name())
            st.sidebar.text_input(
                tr("class.name_label"), key="display_name_input", max_chars=MAX_DISPLAY_NAME, on_change=_name_typed
            )
        else:
            st.sidebar.info(tr(f"class.read_only_{state}"), icon=":material/lock:")
        if st.session_state.get(TEACHER_KEY):
            _teacher_panel(code, state)
        st.sidebar.button(tr("class.leave"), key="class_leave", on_click=_leave_class)
    _private_link_panel()
    _remember_in_browser()
