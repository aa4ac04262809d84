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

from lifecycle.io import connect
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

    import duckdb
    import pandas as pd

    from lifecycle.paths import Home

log = logging.getLogger(__name__)

SPANS = "marts.fct_customer_stage_spans"
RETENTION = "marts.fct_cohort_retention"
FUNNEL = "marts.fct_activation_funnel"
VALUE = "marts.fct_customer_value"
RESULTS = "audit.quality_results"
QUARANTINE = "publish_data_team.rpt_data_team__quarantine_summary"


class ReportError(RuntimeError):
    pass


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def _missing(qualified: str) -> dict[str, Any]:
    return {"available": False, "reason": f"{qualified} is not in the warehouse"}


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _check_as_of(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """The warehouse holds one day's build: refuse to label it as another day's report."""
    if not _exists(con, SPANS):
        return
    row = con.execute(f"select max(valid_to) from {SPANS}").fetchone()
    built = row[0] - timedelta(days=1) if row and row[0] is not None else None
    if built is not None and built != as_of:
        raise ReportError(f"the warehouse is built for as-of {built}, not {as_of}")


def _stages(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    if not _exists(con, SPANS):
        return _missing(SPANS)
    spans = _frame(
        con,
        f"select stage, valid_from, valid_to, count(*) as customers from {SPANS}"
        " where valid_from <= ? group by stage, valid_from, valid_to",
        [as_of],
    )
    series = stage_weeks(spans, as_of)
    if not series["dates"]:
        return {"available": False, "reason": "no customers yet"}
    return {"available": True, **series}


def _retention(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if not _exists(con, RETENTION):
        return _missing(RETENTION)
    triangle = _frame(
        con,
        "select cohort_month, months_since_start, cohort_size, retained_customers,"
        f" retention_rate, is_complete_month from {RETENTION}"
        " where cohort_type = 'purchase' and breakdown = 'overall'",
        [],
    )
    grid = retention_grid(triangle)
    if not grid["cells"]:
        return {"available": False, "reason": "no purchase cohorts yet"}
    return {"available": True, "cohort_type": "purchase", **grid}


def _funnel(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    if not _exists(con, FUNNEL):
        return _missing(FUNNEL)
    frame = _frame(
        con, f"select step_order, step_name, customers from {FUNNEL} where cohort = 'all'", []
    )
    steps = funnel_steps(frame)
    if not steps or not steps[0]["customers"]:
        return {"available": False, "reason": "no app sign-ups yet"}
    return {"available": True, "cohort": "all", "steps": steps}


def _clv(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Total CLV (historical + predicted) of customers with a prediction; historical CLV of
    buyers when the prediction could not be fitted."""
    if not _exists(con, VALUE):
        return _missing(VALUE)
    row = con.execute(
        f"select count(predicted_clv_usd), max(clv_horizon_months) from {VALUE}"
    ).fetchone()
    predicted, horizon = (row[0], row[1]) if row else (0, None)
    if predicted:
        sql = (
            f"select cast(total_clv_usd as double) from {VALUE} where predicted_clv_usd is not null"
        )
        label = f"Total CLV (to date + predicted next {horizon} months)"
    else:
        sql = f"select cast(historical_clv_usd as double) from {VALUE} where order_count > 0"
        label = "Historical CLV (net revenue to date; prediction not fitted)"
    values = [float(v) for (v,) in con.execute(sql).fetchall() if v is not None]
    if not values:
        return {"available": False, "reason": "no buying customers yet"}
    return {"available": True, "label": label, **histogram(values)}


def _quality(
    con: duckdb.DuckDBPyConnection, as_of: date, run_id: str, gate: str | None
) -> dict[str, Any]:
    import pandas as pd

    results = pd.DataFrame(columns=["suite", "check_name", "severity", "passed"])
    if _exists(con, RESULTS):
        results = _frame(
            con,
            f"select suite, check_name, severity, passed from {RESULTS}"
            " where run_id = ? and as_of_date = ?",
            [run_id, as_of],
        )
    quarantine = pd.DataFrame(columns=["table_key", "rows_as_of_day", "rows_to_date"])
    if _exists(con, QUARANTINE):
        quarantine = _frame(
            con,
            "select source_system || '.' || source_table as table_key,"
            " coalesce(sum(case when delivery_date = ? then quarantined_rows end), 0)"
            " as rows_as_of_day, sum(quarantined_rows) as rows_to_date"
            f" from {QUARANTINE} where delivery_date <= ? group by 1",
            [as_of, as_of],
        )
    return {"available": True, **quality_summary(results, quarantine, gate)}


def report_data(
    con: duckdb.DuckDBPyConnection, as_of: date, run_id: str, gate: str | None = None
) -> dict[str, Any]:
    """Everything the page shows, as aggregates; a chart whose mart is missing says so."""
    _check_as_of(con, as_of)
    charts = {
        "stages": _stages(con, as_of),
        "retention": _retention(con),
        "funnel": _funnel(con),
        "clv": _clv(con),
        "quality": _quality(con, as_of, run_id, gate),
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
    con: duckdb.DuckDBPyConnection | None = None,
    path: Path | None = None,
) -> Path:
    """Write the report of one publication and return its path.

    Reads the warehouse read-only, or through `con` (publish passes its own connection:
    DuckDB lets a process hold one file either read-write or read-only). Writes `path`
    (default: the day's `serving/history/<as-of>/report.html`) under a temporary name
    first, so the file is the old page or the new one, never half of one.
    """
    if con is None:
        with connect(home.warehouse, read_only=True) as own:
            data = report_data(own, as_of, run_id, gate)
    else:
        data = report_data(con, as_of, run_id, gate)
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
