"""A reader's view of one publication: a static HTML report, written at publish time.

`render_report` reads aggregates from the warehouse (the marts of the run being published
and the gate's results), shapes them (lifecycle.report_data), renders one self-contained
page (lifecycle.report_html) and writes it under a temporary name, then renames it into
place. publish.py calls it for every publication and writes the page into the publication's
folder beside its snapshots (`serving/history/<as-of>/report.html`); the current one is
`serving/report/index.html`, a link through `serving/current` switched with the snapshots, so
the report moves only forwards too. The page opens from disk in any browser; it needs no server.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lifecycle.report_data import (
    funnel_steps,
    histogram,
    quality_summary,
    retention_grid,
    stage_weeks,
)
from lifecycle.report_html import render_html

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    import pandas as pd

    from lifecycle.paths import Home
    from lifecycle.warehouse import Warehouse

log = logging.getLogger(__name__)

SPANS = "marts.fct_customer_stage_spans"
RETENTION = "marts.fct_cohort_retention"
FUNNEL = "marts.fct_activation_funnel"
VALUE = "marts.fct_customer_value"
RESULTS = "audit.quality_results"
QUARANTINE = "rpt_data_team__quarantine_summary"  # in the data team's schema
DATA_TEAM_SCHEMA = "publish_data_team"


class ReportError(RuntimeError):
    pass


def _exists(wh: Warehouse, qualified: str) -> bool:
    schema, name = qualified.split(".")
    row = wh.query_one(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    )
    return bool(row and row[0])


def _missing(qualified: str) -> dict[str, Any]:
    return {"available": False, "reason": f"{qualified} is not in the warehouse"}


def _frame(wh: Warehouse, sql: str, params: list[Any]) -> pd.DataFrame:
    return wh.frame(sql, params)


def _check_as_of(wh: Warehouse, as_of: date) -> None:
    """The warehouse holds one day's build: refuse to label it as another day's report."""
    if not _exists(wh, SPANS):
        return
    row = wh.query_one(f"select max(valid_to) from {SPANS}")
    built = row[0] - timedelta(days=1) if row and row[0] is not None else None
    if built is not None and built != as_of:
        raise ReportError(f"the warehouse is built for as-of {built}, not {as_of}")


def _stages(wh: Warehouse, as_of: date) -> dict[str, Any]:
    if not _exists(wh, SPANS):
        return _missing(SPANS)
    spans = _frame(
        wh,
        f"select stage, valid_from, valid_to, count(*) as customers from {SPANS}"
        " where valid_from <= ? group by stage, valid_from, valid_to",
        [as_of],
    )
    series = stage_weeks(spans, as_of)
    if not series["dates"]:
        return {"available": False, "reason": "no customers yet"}
    return {"available": True, **series}


def _retention(wh: Warehouse) -> dict[str, Any]:
    if not _exists(wh, RETENTION):
        return _missing(RETENTION)
    triangle = _frame(
        wh,
        "select cohort_month, months_since_start, cohort_size, retained_customers,"
        f" retention_rate, is_complete_month from {RETENTION}"
        " where cohort_type = 'purchase' and breakdown = 'overall'",
        [],
    )
    grid = retention_grid(triangle)
    if not grid["cells"]:
        return {"available": False, "reason": "no purchase cohorts yet"}
    return {"available": True, "cohort_type": "purchase", **grid}


def _funnel(wh: Warehouse) -> dict[str, Any]:
    if not _exists(wh, FUNNEL):
        return _missing(FUNNEL)
    frame = _frame(
        wh, f"select step_order, step_name, customers from {FUNNEL} where cohort = 'all'", []
    )
    steps = funnel_steps(frame)
    if not steps or not steps[0]["customers"]:
        return {"available": False, "reason": "no app sign-ups yet"}
    return {"available": True, "cohort": "all", "steps": steps}


def _clv(wh: Warehouse) -> dict[str, Any]:
    """Total CLV (historical + predicted) of customers with a prediction; historical CLV of
    buyers when the prediction could not be fitted."""
    if not _exists(wh, VALUE):
        return _missing(VALUE)
    row = wh.query_one(f"select count(predicted_clv_usd), max(clv_horizon_months) from {VALUE}")
    predicted, horizon = (row[0], row[1]) if row else (0, None)
    if predicted:
        sql = (
            f"select cast(total_clv_usd as double precision) from {VALUE}"
            " where predicted_clv_usd is not null"
        )
        label = f"Total CLV (to date + predicted next {horizon} months)"
    else:
        sql = (
            f"select cast(historical_clv_usd as double precision) from {VALUE}"
            " where order_count > 0"
        )
        label = "Historical CLV (net revenue to date; prediction not fitted)"
    values = [float(v) for (v,) in wh.query(sql) if v is not None]
    if not values:
        return {"available": False, "reason": "no buying customers yet"}
    return {"available": True, "label": label, **histogram(values)}


def _quality(
    wh: Warehouse, as_of: date, run_id: str, gate: str | None, data_team_schema: str
) -> dict[str, Any]:
    import pandas as pd

    results = pd.DataFrame(columns=["suite", "check_name", "severity", "passed"])
    if _exists(wh, RESULTS):
        results = _frame(
            wh,
            f"select suite, check_name, severity, passed from {RESULTS}"
            " where run_id = ? and as_of_date = ?",
            [run_id, as_of],
        )
    quarantine = pd.DataFrame(columns=["table_key", "rows_as_of_day", "rows_to_date"])
    summary = f"{data_team_schema}.{QUARANTINE}"
    if _exists(wh, summary):
        quarantine = _frame(
            wh,
            "select source_system || '.' || source_table as table_key,"
            " coalesce(sum(case when delivery_date = ? then quarantined_rows end), 0)"
            " as rows_as_of_day, sum(quarantined_rows) as rows_to_date"
            f" from {summary} where delivery_date <= ? group by 1",
            [as_of, as_of],
        )
    return {"available": True, **quality_summary(results, quarantine, gate)}


def report_data(
    wh: Warehouse,
    as_of: date,
    run_id: str,
    gate: str | None = None,
    data_team_schema: str = DATA_TEAM_SCHEMA,
) -> dict[str, Any]:
    """Everything the page shows, as aggregates; a chart whose mart is missing says so.
    `data_team_schema` holds the quarantine summary (PostgreSQL reads it from the schema
    about to be swapped in)."""
    _check_as_of(wh, as_of)
    charts = {
        "stages": _stages(wh, as_of),
        "retention": _retention(wh),
        "funnel": _funnel(wh),
        "clv": _clv(wh),
        "quality": _quality(wh, as_of, run_id, gate, data_team_schema),
    }
    return {
        "as_of": as_of.isoformat(),
        "run_id": run_id,
        "gate": charts["quality"]["gate"],
        "charts": charts,
    }


def render_report(
    home: Home,
    as_of: date,
    run_id: str,
    *,
    gate: str | None = None,
    wh: Warehouse | None = None,
    path: Path | None = None,
    data_team_schema: str = DATA_TEAM_SCHEMA,
) -> Path:
    """Write the report of one publication and return its path.

    Reads the warehouse read-only, or through `wh` (publish passes its own connection:
    DuckDB lets a process hold one file either read-write or read-only). Writes `path`
    (default: the day's `serving/history/<as-of>/report.html`) under a temporary name
    first, so the file is the old page or the new one, never half of one.
    """
    if wh is None:
        from lifecycle.warehouse import open_warehouse

        with open_warehouse(home, read_only=True) as own:
            data = report_data(own, as_of, run_id, gate, data_team_schema)
    else:
        data = report_data(wh, as_of, run_id, gate, data_team_schema)
    page = render_html(data)
    target = path or home.report_history(as_of)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("report for as-of %s written to %s (%d bytes)", as_of, target, len(page))
    return target
