"""The report's data shaping: small frames of marts in, chart series out (pure functions).

Every series is an aggregate (counts, rates, bins); nothing here carries a customer key or
personal data, so what the report embeds is safe to hand to any reader.
"""

from __future__ import annotations

import bisect
import itertools
import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

STAGES = ("prospect", "new", "active", "reactivated", "at_risk", "churned")
CHECK_KINDS = ("passed", "failed", "warned")


def _day(value: Any) -> date:
    """A date from what DuckDB/pandas hand back (date, datetime, Timestamp or ISO text)."""
    if hasattr(value, "date") and callable(value.date):
        return value.date()  # type: ignore[no-any-return]
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def stage_weeks(spans: pd.DataFrame, as_of: date, weeks: int = 52) -> dict[str, Any]:
    """Customers per stage at the end of each week, weeks ending on the as-of date.

    `spans` has one row per (stage, valid_from, valid_to) with `customers` in it (`valid_to`
    exclusive, as in fct_customer_stage_spans). Weeks before the first span are left out.
    """
    if spans.empty:
        return {"dates": [], "stages": [], "series": {}}
    rows = [
        (str(r.stage), _day(r.valid_from), _day(r.valid_to), int(r.customers))
        for r in spans.itertuples(index=False)
    ]
    first = min(start for _, start, _, _ in rows)
    days = [as_of - timedelta(days=7 * i) for i in range(weeks - 1, -1, -1)]
    days = [d for d in days if d >= first]
    found = {stage for stage, _, _, _ in rows}
    stages = [s for s in STAGES if s in found] + sorted(found - set(STAGES))
    # A sweep per stage: +n on valid_from, -n on valid_to; a day's count is the running sum.
    series = {}
    for stage in stages:
        deltas: dict[date, int] = {}
        for s, start, end, n in rows:
            if s == stage:
                deltas[start] = deltas.get(start, 0) + n
                deltas[end] = deltas.get(end, 0) - n
        changes = sorted(deltas)
        running = list(itertools.accumulate(deltas[d] for d in changes))
        series[stage] = [
            running[i - 1] if (i := bisect.bisect_right(changes, day)) else 0 for day in days
        ]
    return {"dates": [d.isoformat() for d in days], "stages": stages, "series": series}


def retention_grid(triangle: pd.DataFrame, max_cohorts: int = 12) -> dict[str, Any]:
    """The most recent `max_cohorts` cohort months of one retention triangle as heatmap cells.

    `triangle` holds fct_cohort_retention rows of one cohort type and breakdown. Cell `c`
    is the cohort's index (oldest first), `k` the months since the cohort month.
    """
    if triangle.empty:
        return {"cohorts": [], "months": 0, "cells": []}
    months = sorted({_day(m) for m in triangle["cohort_month"]})[-max_cohorts:]
    index = {m: i for i, m in enumerate(months)}
    sizes: dict[date, int] = {}
    cells = []
    ordered = triangle.sort_values(["cohort_month", "months_since_start"])
    for r in ordered.itertuples(index=False):
        month = _day(r.cohort_month)
        if month not in index:
            continue
        sizes[month] = int(r.cohort_size)
        cells.append(
            {
                "c": index[month],
                "k": int(r.months_since_start),
                "retained": int(r.retained_customers),
                "rate": round(float(r.retention_rate), 4),
                "partial": not bool(r.is_complete_month),
            }
        )
    return {
        "cohorts": [{"month": m.strftime("%Y-%m"), "size": sizes[m]} for m in months],
        "months": max(cell["k"] for cell in cells) + 1,
        "cells": cells,
    }


def funnel_steps(funnel: pd.DataFrame) -> list[dict[str, Any]]:
    """The funnel's steps in order: customers at each, and who was lost since the step before.

    `funnel` has `step_order`, `step_name` and `customers` for one cohort.
    """
    steps: list[dict[str, Any]] = []
    for r in funnel.sort_values("step_order").itertuples(index=False):
        customers = int(r.customers)
        previous = steps[-1]["customers"] if steps else customers
        first = steps[0]["customers"] if steps else customers
        steps.append(
            {
                "step": str(r.step_name),
                "customers": customers,
                "lost": previous - customers,
                "share_of_first": _share(customers, first),
                "share_lost": _share(previous - customers, previous) if steps else 0.0,
            }
        )
    return steps


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least `raw` (> 0)."""
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= raw * (1 - 1e-12):
            return factor * power
    raise AssertionError("unreachable")  # pragma: no cover


def histogram(
    values: Sequence[float], bins: int = 20, top_quantile: float = 0.99
) -> dict[str, Any]:
    """Bins of round width from 0 (or below, for negative values) to the `top_quantile`
    value; everything above falls into the last bin, which is then open-ended."""
    if not values:
        return {"edges": [], "counts": [], "open_ended": False, "n": 0, "median": None}
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    top = ordered[max(math.ceil(top_quantile * n) - 1, 0)]  # nearest rank
    low = min(0.0, ordered[0])
    step = nice_step(max(top - low, 1.0) / bins)
    low = math.floor(low / step) * step
    count = max(math.ceil((top - low) / step), 1)
    edges = [round(low + i * step, 6) for i in range(count + 1)]
    counts = [0] * count
    for v in ordered:
        counts[min(int((v - low) // step), count - 1)] += 1
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {
        "edges": edges,
        "counts": counts,
        "open_ended": ordered[-1] >= edges[-1],
        "n": n,
        "median": round(median, 2),
    }


def quality_summary(
    results: pd.DataFrame, quarantine: pd.DataFrame, gate: str | None
) -> dict[str, Any]:
    """The gate's verdict and check counts of one run, and quarantined rows per source table.

    `results`: suite, check_name, severity ('error' or 'warn'), passed. `quarantine`:
    table_key, rows_as_of_day, rows_to_date. Names of checks only, never observed values
    (a failed check's sample can hold personal data).
    """
    failed = results[~results["passed"].astype(bool) & (results["severity"] == "error")]
    warned = results[~results["passed"].astype(bool) & (results["severity"] != "error")]
    counts = {
        "passed": int(results["passed"].astype(bool).sum()),
        "failed": len(failed),
        "warned": len(warned),
    }
    if gate is None:
        gate = "no results" if results.empty else ("failed" if len(failed) else "passed")

    def names(frame: pd.DataFrame) -> list[str]:
        return sorted(f"{r.suite}: {r.check_name}" for r in frame.itertuples(index=False))

    tables = [
        {
            "table": str(r.table_key),
            "as_of_day": int(r.rows_as_of_day),
            "to_date": int(r.rows_to_date),
        }
        for r in quarantine.sort_values("table_key").itertuples(index=False)
    ]
    return {
        "gate": gate,
        "checks": [{"kind": kind, "count": counts[kind]} for kind in CHECK_KINDS],
        "failed": names(failed),
        "warned": names(warned),
        "quarantine": tables,
    }
