"""Compare: the three methods with identical settings, their models on one newswire, your (or your class's) saved runs, the book's curves."""

from ui.compare_page import compare_page

compare_page()
