"""Streamlit glue shared by the pages: the one place that talks to both Streamlit and `core`.

Pages stay thin (title, intro, widgets, calls into here); everything that can
be tested without a browser lives in `core`.
"""
