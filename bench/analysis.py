"""The hand-written parts of docs/benchmarks.md (placeholder)."""

ANALYSIS = """## What the numbers say

(draft)
"""


def readme_section(summaries: dict) -> str:
    return "(draft)"
