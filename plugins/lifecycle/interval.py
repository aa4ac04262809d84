"""How an Airflow data interval maps to the run's as-of date. Written down once, here.

The nightly DAG's timetable makes each run's data interval one UTC day, [D 00:00, D+1 00:00).
That run's as-of date is D: it sees every delivery of day D and before, and nothing later.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta


class IntervalError(ValueError):
    """The run has no usable data interval (e.g. a manual run without a logical date)."""


def as_of_for_interval(start: datetime | None, end: datetime | None) -> date:
    """As-of date of a run whose data interval is [start, end)."""
    if start is None or end is None:
        raise IntervalError(
            "this run has no data interval (a manual trigger without a logical date?);"
            " use `lifecycle run --as-of YYYY-MM-DD` or trigger with a logical date"
        )
    if end - start != timedelta(days=1) or start.timetz().replace(tzinfo=None) != time(0):
        raise IntervalError(f"expected one UTC day as data interval, got [{start}, {end})")
    return start.date()


def interval_for_as_of(as_of: date) -> tuple[datetime, datetime]:
    """The data interval whose run has this as-of date (inverse of as_of_for_interval)."""
    from datetime import UTC

    start = datetime.combine(as_of, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)
