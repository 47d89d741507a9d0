"""Importing this module routes the run through app.py (ui/routing.py), for a page that does not call it.

A module body runs once per process, and that is when it matters: a fresh
server's first request, the only time the legacy pages-folder mode is on
outside AppTest. pages/4_compare.py imports it; a call of
`through_app_router()` first thing in the page would do the same on every run.
"""

from ui.routing import through_app_router

through_app_router()
