import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.paths import Home
from lifecycle.report import ReportError, render_report

AS_OF = date(2026, 6, 30)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """A warehouse with a few rows in each mart the report reads (no retention mart)."""
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        for schema in ("marts", "audit", "publish_data_team"):
            con.execute(f"create schema {schema}")
        con.execute(
            "create table marts.fct_customer_stage_spans as select * from (values"
            " ('c1', 'new', date '2026-06-01', date '2026-06-20', false),"
            " ('c1', 'active', date '2026-06-20', date '2026-07-01', true),"
            " ('c2', 'new', date '2026-06-25', date '2026-07-01', true))"
            " t(customer_id, stage, valid_from, valid_to, is_current)"
        )
        con.execute(
            "create table marts.fct_activation_funnel as select * from (values"
            " ('all', 1, 'sign_up', 2), ('all', 2, 'first_login', 1),"
            " ('2026-06', 1, 'sign_up', 2)) t(cohort, step_order, step_name, customers)"
        )
        con.execute(
            "create table marts.fct_customer_value as select * from (values"
            " ('c1', 1, 100.0, 50.0, 150.0, 12), ('c2', 0, 0.0, null, 0.0, 12))"
            " t(customer_id, order_count, historical_clv_usd, predicted_clv_usd, total_clv_usd,"
            " clv_horizon_months)"
        )
        con.execute(
            "create table audit.quality_results as select * from (values"
            " ('run1', date '2026-06-30', 'dbt', 'a', 'error', 'pass', true),"
            " ('run1', date '2026-06-30', 'gx', 'b', 'warn', 'x@example.com', false),"
            " ('run0', date '2026-06-29', 'dbt', 'a', 'error', 'fail', false))"
            " t(run_id, as_of_date, suite, check_name, severity, observed, passed)"
        )
        con.execute(
            "create table publish_data_team.rpt_data_team__quarantine_summary as"
            " select * from (values"
            " ('orders', 'orders', date '2026-06-30', 2),"
            " ('orders', 'orders', date '2026-06-01', 3),"
            " ('app', 'events', date '2026-07-01', 9))"
            " t(source_system, source_table, delivery_date, quarantined_rows)"
        )
    return home


def _embedded(path: Path) -> dict[str, Any]:
    page = path.read_text(encoding="utf-8")
    return json.loads(page.split('id="report-data">')[1].split("</script>")[0])


def test_render_report_writes_the_days_history_file_from_the_warehouse(home: Home) -> None:
    path = render_report(home, AS_OF, "run1")

    assert path == home.serving / "history" / "2026-06-30" / "report.html"
    charts = _embedded(path)["charts"]
    assert charts["stages"]["dates"] == [
        "2026-06-02", "2026-06-09", "2026-06-16", "2026-06-23", "2026-06-30",
    ]  # fmt: skip
    assert charts["stages"]["series"] == {"new": [1, 1, 1, 0, 1], "active": [0, 0, 0, 1, 1]}
    assert [s["customers"] for s in charts["funnel"]["steps"]] == [2, 1]
    assert charts["clv"]["n"] == 1  # only the customer with a prediction
    assert charts["retention"] == {
        "available": False,
        "reason": "marts.fct_cohort_retention is not in the warehouse",
    }


def test_render_report_shows_this_runs_checks_and_quarantine_to_the_as_of_day(home: Home) -> None:
    quality = _embedded(render_report(home, AS_OF, "run1"))["charts"]["quality"]

    assert quality["gate"] == "passed"  # no failed error-severity check of run1
    assert [c["count"] for c in quality["checks"]] == [1, 0, 1]
    assert quality["warned"] == ["gx: b"]
    assert quality["quarantine"] == [{"table": "orders.orders", "as_of_day": 2, "to_date": 5}]


def test_render_report_holds_no_customer_keys_or_observed_values(home: Home) -> None:
    page = render_report(home, AS_OF, "run1").read_text(encoding="utf-8")

    for secret in ("'c1'", '"c1"', "'c2'", '"c2"', "x@example.com"):
        assert secret not in page


def test_render_report_refuses_a_warehouse_built_for_another_day(home: Home) -> None:
    with pytest.raises(ReportError, match="built for as-of 2026-06-30, not 2026-06-29"):
        render_report(home, date(2026, 6, 29), "run0")
    assert not home.serving.exists()


def test_render_report_replaces_the_file_and_leaves_no_temp_file(home: Home) -> None:
    target = home.root / "out" / "page.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")

    render_report(home, AS_OF, "run1", path=target)

    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]
