"""Deadlines: a working-day calendar, the per-hub policy that gives each delivery its due
times, and the overdue evaluation with its notifications (escalation)."""

from gateway.deadlines.calendar import VIETNAM, WorkCalendar
from gateway.deadlines.policy import DuePolicy, DueTimes, Span

__all__ = ["VIETNAM", "DuePolicy", "DueTimes", "Span", "WorkCalendar"]
