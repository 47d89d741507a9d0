"""What a press of Train will cost, shown before Train, and the budget's refusals in the visitor's language.

`core.budget` estimates and judges; this module only says it: `cost_line`
under a page's settings line (a comparison's or a sweep's total), `refusal_text`
for a refusal on Train, on a link or on Apply, and `admission`, the check that
Train runs before it starts anything.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.budget import DataSize, Queue, Refusal, admit, check_cost, estimate_total, limits_from_environment
from core.settings import RunSettings
from ui.i18n import tr


def memory_text(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:,.0f} MB"


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return tr("budget.seconds", value=f"{seconds:.0f}")
    if seconds < 90 * 60:
        return tr("budget.minutes", value=f"{seconds / 60:.0f}")
    return tr("budget.hours", value=f"{seconds / 3600:.1f}")


def refusal_text(refusal: Refusal) -> str:
    """The refusal in the session's language, naming the setting to lower when one helps."""
    values = dict(refusal.values)
    if refusal.reason == "memory":
        values["need"], values["limit"] = memory_text(values.pop("need_mb")), memory_text(values.pop("limit_mb"))
    elif refusal.reason == "time":
        values["need"] = duration_text(60 * values.pop("need_minutes"))
        values["limit"] = duration_text(60 * float(values.pop("limit_minutes")))
    return tr(f"budget.refused.{refusal.reason}", setting=refusal.setting or "", **values)


def cost_line(settings_list: Sequence[RunSettings], size: DataSize) -> None:
    """The estimate of this press (one run, or the total of several) against the server's limits; the refusal if over."""
    limits = limits_from_environment()
    cost = estimate_total(settings_list, size)
    key = "budget.estimate" if cost.runs == 1 else "budget.estimate_total"
    st.caption(
        tr(
            key,
            memory=memory_text(cost.memory_mb),
            duration=duration_text(cost.seconds),
            runs=cost.runs,
            limit_memory=memory_text(limits.memory_mb),
            limit_duration=duration_text(limits.minutes * 60),
        )
    )
    refusal = check_cost(settings_list, limits, size)
    if refusal is not None:
        st.error(refusal_text(refusal), icon=":material/block:")


def admission(
    visitor: str, settings_list: Sequence[RunSettings], size: DataSize, slots: Queue, computations: tuple[str, ...] = ()
) -> Refusal | None:
    """Train's check before anything starts: the press's cost, the visitor's presses, the queue's length."""
    return admit(visitor, settings_list, size, limits=limits_from_environment(), slots=slots, computations=computations)
