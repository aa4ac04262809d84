"""The marts suites, proven both ways on tiny warehouses (no dbt): each suite's own query
(`TARGET`, through `frame_for`) over a good table passes every check, and each kind of bad
table fails exactly the check meant for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from lifecycle.config import load_lifecycle, load_sources
from lifecycle.io import connect
from lifecycle.paths import Home
from lifecycle.quality import CheckResult, frame_for, load_suite_modules, validate_frame

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

CFG = load_lifecycle().quality
AS_OF = date(2026, 6, 30)
MARTS = ("marts__customers", "marts__stage_spans", "marts__customer_value", "marts__churn_risk")
Rows = list[dict[str, Any]]


def _module(stem: str) -> ModuleType:
    return next(m for m in load_suite_modules() if m.__name__ == f"expectations.{stem}")


def _results(
    tmp_path: Path, stem: str, table: str, columns: dict[str, str], rows: Rows
) -> list[CheckResult]:
    """Write `marts.<table>` into a fresh warehouse, then validate the suite's frame of it."""
    home = Home(tmp_path)
    with connect(home.warehouse) as con:
        con.execute("create schema marts")
        ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"create table marts.{table} ({ddl})")
        marks = ", ".join("?" for _ in columns)
        con.executemany(
            f"insert into marts.{table} values ({marks})",
            [[row.get(name) for name in columns] for row in rows],
        )
    module = _module(stem)
    frame = frame_for(module.TARGET, home, load_sources(), AS_OF, CFG)
    return validate_frame(module.build_suite(CFG), frame)


def _failed(results: list[CheckResult]) -> list[str]:
    return sorted(r.check for r in results if not r.passed)


def _pair(column: str) -> str:
    return f"expect_column_pair_values_a_to_be_greater_than_b(as_of_end,{column})"


@pytest.mark.parametrize("stem", MARTS)
def test_marts_suite_is_named_after_its_file_with_a_severity(stem: str) -> None:
    module = _module(stem)
    assert module.build_suite(CFG).name == stem
    assert module.SEVERITY in ("error", "warn")
    assert module.TARGET.startswith("warehouse:")


# --- dim_customers -----------------------------------------------------------------------

CUSTOMER_COLUMNS = {
    "customer_id": "varchar", "email": "varchar", "phone": "varchar",
    "country_code": "varchar", "source_system_count": "bigint", "contact_id": "varchar",
    "account_id": "varchar", "owner_id": "varchar", "first_name": "varchar",
    "last_name": "varchar", "has_email_consent": "boolean", "acquisition_channel": "varchar",
    "first_seen_at": "timestamp", "first_order_at": "timestamp", "last_order_at": "timestamp",
    "order_count": "integer", "gross_revenue_usd": "decimal(18, 2)",
    "refunds_usd": "decimal(18, 2)", "net_revenue_usd": "decimal(18, 2)",
    "signed_up_at": "timestamp", "first_login_at": "timestamp", "last_login_at": "timestamp",
    "ticket_count": "integer", "open_ticket_count": "integer", "avg_csat": "decimal(4, 2)",
    "first_activity_date": "date", "last_activity_date": "date",
    "days_since_first_activity": "integer", "days_since_last_activity": "integer",
    "lifecycle_stage": "varchar", "stage_since": "date",
}  # fmt: skip


def _customers() -> Rows:
    """A buyer active late on the as-of day and a prospect with no activity."""
    buyer = {
        "customer_id": "C1", "email": "a@x.com", "phone": "+4930123", "country_code": "DE",
        "source_system_count": 3, "contact_id": "K1", "has_email_consent": True,
        "acquisition_channel": "web", "first_seen_at": datetime(2026, 1, 5, 9),
        "first_order_at": datetime(2026, 1, 6, 10), "last_order_at": datetime(2026, 6, 30, 23, 59),
        "order_count": 4, "gross_revenue_usd": 120.5, "refunds_usd": 0, "net_revenue_usd": 120.5,
        "signed_up_at": datetime(2026, 1, 5, 9), "first_login_at": datetime(2026, 1, 5, 9),
        "last_login_at": datetime(2026, 6, 30, 18), "ticket_count": 1, "open_ticket_count": 0,
        "avg_csat": 4.5, "first_activity_date": date(2026, 1, 5),
        "last_activity_date": AS_OF, "days_since_first_activity": 176,
        "days_since_last_activity": 0, "lifecycle_stage": "active", "stage_since": AS_OF,
    }  # fmt: skip
    prospect = {
        "customer_id": "C2", "email": "b@x.com", "source_system_count": 1,
        "has_email_consent": False, "first_seen_at": datetime(2026, 6, 30, 8),
        "order_count": 0, "gross_revenue_usd": 0, "refunds_usd": 0, "net_revenue_usd": 0,
        "ticket_count": 0, "open_ticket_count": 0, "lifecycle_stage": "prospect",
        "stage_since": AS_OF,
    }  # fmt: skip
    return [buyer, prospect]


def _customers_with(**changes: Any) -> Rows:
    rows = _customers()
    rows[1].update(changes)
    return rows


def test_customers_suite_passes_good_customers(tmp_path: Path) -> None:
    results = _results(
        tmp_path, "marts__customers", "dim_customers", CUSTOMER_COLUMNS, _customers()
    )
    assert _failed(results) == []
    assert len(results) == 1 + 31 + 4 + 9  # column set, types, keys and stage, dates


@pytest.mark.parametrize(
    ("rows", "failed"),
    [
        (_customers_with(customer_id="C1"), "expect_column_values_to_be_unique(customer_id)"),
        (_customers_with(customer_id=None), "expect_column_values_to_not_be_null(customer_id)"),
        (
            _customers_with(lifecycle_stage="dormant"),
            "expect_column_values_to_be_in_set(lifecycle_stage)",
        ),
        (
            _customers_with(lifecycle_stage=None),
            "expect_column_values_to_not_be_null(lifecycle_stage)",
        ),
        (_customers_with(stage_since=date(2026, 7, 1)), _pair("stage_since")),
        (_customers_with(first_seen_at=datetime(2026, 7, 1, 0, 30)), _pair("first_seen_at")),
        (_customers_with(last_order_at=datetime(2026, 7, 1)), _pair("last_order_at")),
    ],
    ids=["duplicate key", "null key", "unknown stage", "no stage", "stage after as-of",
         "seen after as-of", "order after as-of"],
)  # fmt: skip
def test_customers_suite_fails_the_check_for_each_bad_customer(
    tmp_path: Path, rows: Rows, failed: str
) -> None:
    results = _results(tmp_path, "marts__customers", "dim_customers", CUSTOMER_COLUMNS, rows)
    assert _failed(results) == [failed]


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        (lambda c: {**c, "is_vip": "boolean"}, ["expect_table_columns_to_match_set"]),
        (
            lambda c: {k: v for k, v in c.items() if k != "avg_csat"},
            ["expect_column_values_to_be_of_type(avg_csat)", "expect_table_columns_to_match_set"],
        ),
        (
            lambda c: {**c, "order_count": "varchar"},
            ["expect_column_values_to_be_of_type(order_count)"],
        ),
    ],
    ids=["extra column", "missing column", "text count"],
)
def test_customers_suite_fails_a_changed_column_set_or_type(
    tmp_path: Path, change: Callable[[dict[str, str]], dict[str, str]], failed: list[str]
) -> None:
    columns = change(CUSTOMER_COLUMNS)
    results = _results(tmp_path, "marts__customers", "dim_customers", columns, _customers())
    assert _failed(results) == failed


# --- fct_customer_stage_spans ------------------------------------------------------------

SPAN_COLUMNS = {
    "customer_id": "varchar", "stage": "varchar", "valid_from": "date", "valid_to": "date",
    "is_current": "boolean",
}  # fmt: skip
D = date


def _spans(**timelines: list[tuple[str, date, date]]) -> Rows:
    """Two customers' spans (valid_to exclusive, the current one ends on as-of + 1), with
    any timeline replaced by `timelines[customer]`; the customer `NULL` has a null key."""
    base = {
        "A": [("prospect", D(2026, 6, 1), D(2026, 6, 5)), ("new", D(2026, 6, 5), D(2026, 6, 20)),
              ("active", D(2026, 6, 20), D(2026, 7, 1))],
        "B": [("active", D(2026, 3, 1), D(2026, 4, 15)),
              ("at_risk", D(2026, 4, 15), D(2026, 5, 30)),
              ("churned", D(2026, 5, 30), D(2026, 7, 1))],
    }  # fmt: skip
    base.update(timelines)
    return [
        {"customer_id": None if customer == "NULL" else customer, "stage": stage,
         "valid_from": start, "valid_to": end, "is_current": end > AS_OF}
        for customer, spans in base.items()
        for stage, start, end in spans
    ]  # fmt: skip


def test_spans_suite_passes_one_stage_per_customer_per_day(tmp_path: Path) -> None:
    results = _results(
        tmp_path, "marts__stage_spans", "fct_customer_stage_spans", SPAN_COLUMNS, _spans()
    )
    assert _failed(results) == []
    assert len(results) == 8


A_START = ("prospect", D(2026, 6, 1), D(2026, 6, 5))


@pytest.mark.parametrize(
    ("rows", "failed"),
    [
        (
            _spans(A=[A_START, ("new", D(2026, 6, 5), D(2026, 6, 25)),
                      ("active", D(2026, 6, 20), D(2026, 7, 1))]),
            "expect_column_values_to_be_between(overlap_days)",
        ),
        (
            _spans(A=[A_START, ("new", D(2026, 6, 5), D(2026, 6, 15)),
                      ("active", D(2026, 6, 20), D(2026, 7, 1))]),
            "expect_column_values_to_be_between(gap_days)",
        ),
        (
            _spans(B=[("active", D(2026, 3, 1), D(2026, 4, 15)),
                      ("at_risk", D(2026, 4, 15), D(2026, 6, 30))]),
            "expect_column_values_to_be_between(spans_on_as_of)",
        ),
        (
            _spans(A=[A_START, ("new", D(2026, 6, 5), D(2026, 6, 5)),
                      ("active", D(2026, 6, 5), D(2026, 7, 1))]),
            "expect_column_pair_values_a_to_be_greater_than_b(valid_to,valid_from)",
        ),
        (
            _spans(A=[A_START, ("active", D(2026, 6, 5), D(2026, 7, 1)),
                      ("at_risk", D(2026, 7, 1), D(2026, 7, 5))]),
            _pair("valid_to"),
        ),
        (
            _spans(A=[A_START, ("dormant", D(2026, 6, 5), D(2026, 7, 1))]),
            "expect_column_values_to_be_in_set(stage)",
        ),
        (
            _spans(A=[A_START, (None, D(2026, 6, 5), D(2026, 7, 1))]),  # type: ignore[list-item]
            "expect_column_values_to_not_be_null(stage)",
        ),
        (
            _spans(NULL=[("new", D(2026, 6, 10), D(2026, 7, 1))]),
            "expect_column_values_to_not_be_null(customer_id)",
        ),
    ],
    ids=["overlap", "gap", "no span on as-of", "empty span", "span after as-of",
         "unknown stage", "no stage", "null key"],
)  # fmt: skip
def test_spans_suite_fails_the_check_for_each_bad_timeline(
    tmp_path: Path, rows: Rows, failed: str
) -> None:
    results = _results(
        tmp_path, "marts__stage_spans", "fct_customer_stage_spans", SPAN_COLUMNS, rows
    )
    assert _failed(results) == [failed]


def test_spans_suite_counts_a_later_overlap_after_a_long_span(tmp_path: Path) -> None:
    """A span inside an earlier long one overlaps it even when the span between ends
    sooner: the comparison is with the end of all earlier spans, not only the last."""
    rows = _spans(
        A=[("new", D(2026, 6, 1), D(2026, 6, 25)), ("active", D(2026, 6, 5), D(2026, 6, 10)),
           ("at_risk", D(2026, 6, 10), D(2026, 7, 1))]
    )  # fmt: skip
    results = _results(
        tmp_path, "marts__stage_spans", "fct_customer_stage_spans", SPAN_COLUMNS, rows
    )
    overlap = next(r for r in results if r.check.endswith("(overlap_days)"))
    assert _failed(results) == ["expect_column_values_to_be_between(overlap_days)"]
    assert overlap.observed.startswith("2 unexpected")


# --- fct_customer_value ------------------------------------------------------------------

VALUE_COLUMNS = {
    "customer_id": "varchar", "lifecycle_stage": "varchar", "historical_clv_usd": "decimal(18, 2)",
    "repeat_orders": "bigint", "p_alive": "double", "expected_orders": "double",
    "expected_order_value_usd": "double", "predicted_clv_usd": "decimal(18, 2)",
    "total_clv_usd": "decimal(18, 2)", "clv_horizon_months": "bigint", "clv_fit_status": "varchar",
}  # fmt: skip


def _values(**changes: Any) -> Rows:
    """A buyer sure to buy again, one sure to have left, and a prospect (no prediction)."""
    fitted = {"clv_horizon_months": 12, "clv_fit_status": "fitted"}
    rows = [
        {"customer_id": "B1", "lifecycle_stage": "active", "historical_clv_usd": 120.5,
         "repeat_orders": 2, "p_alive": 1.0, "expected_orders": 1.5,
         "expected_order_value_usd": 53.5, "predicted_clv_usd": 80.25, "total_clv_usd": 200.75,
         **fitted},
        {"customer_id": "B2", "lifecycle_stage": "churned", "historical_clv_usd": 0,
         "repeat_orders": 0, "p_alive": 0.0, "expected_orders": 0,
         "expected_order_value_usd": 0, "predicted_clv_usd": 0, "total_clv_usd": 0, **fitted},
        {"customer_id": "P", "lifecycle_stage": "prospect", "historical_clv_usd": 0,
         "total_clv_usd": 0, **fitted},
    ]  # fmt: skip
    rows[0].update(changes)
    return rows


def test_value_suite_passes_good_values(tmp_path: Path) -> None:
    results = _results(
        tmp_path, "marts__customer_value", "fct_customer_value", VALUE_COLUMNS, _values()
    )
    assert _failed(results) == []
    assert len(results) == 11


def test_value_suite_passes_a_run_whose_models_could_not_be_fitted(tmp_path: Path) -> None:
    rows = [
        {**row, "p_alive": None, "clv_fit_status": "not fitted: 3 repeat buyers, need 10"}
        for row in _values()
    ]
    results = _results(tmp_path, "marts__customer_value", "fct_customer_value", VALUE_COLUMNS, rows)
    assert _failed(results) == []


@pytest.mark.parametrize(
    ("rows", "failed"),
    [
        (_values(customer_id="B2"), "expect_column_values_to_be_unique(customer_id)"),
        (_values(customer_id=None), "expect_column_values_to_not_be_null(customer_id)"),
        (_values(p_alive=1.2), "expect_column_values_to_be_between(p_alive)"),
        (_values(p_alive=-0.1), "expect_column_values_to_be_between(p_alive)"),
        (
            _values(clv_fit_status="fitted badly"),
            "expect_column_values_to_match_regex(clv_fit_status)",
        ),
        (_values(clv_fit_status=None), "expect_column_values_to_not_be_null(clv_fit_status)"),
        *(
            (_values(**{column: -1}), f"expect_column_values_to_be_between({column})")
            for column in ("historical_clv_usd", "predicted_clv_usd", "total_clv_usd",
                           "repeat_orders", "expected_orders", "expected_order_value_usd")
        ),
    ],
    ids=["duplicate key", "null key", "p_alive 1.2", "p_alive -0.1", "unknown status",
         "no status", "negative historical", "negative predicted", "negative total",
         "negative repeats", "negative expected orders", "negative order value"],
)  # fmt: skip
def test_value_suite_fails_the_check_for_each_bad_value(
    tmp_path: Path, rows: Rows, failed: str
) -> None:
    results = _results(tmp_path, "marts__customer_value", "fct_customer_value", VALUE_COLUMNS, rows)
    assert _failed(results) == [failed]


# --- fct_churn_risk_scores ---------------------------------------------------------------

RISK_COLUMNS = {
    "customer_id": "varchar", "scoring_date": "date", "lifecycle_stage": "varchar",
    "risk_score": "integer", "risk_level": "varchar", "reasons": "varchar",
}  # fmt: skip


def _risks(**changes: Any) -> Rows:
    """Scores at both ends of 0..max_score and between."""
    rows = [
        {"customer_id": "R1", "lifecycle_stage": "active", "risk_score": 0, "risk_level": "low"},
        {"customer_id": "R2", "lifecycle_stage": "new", "risk_score": 30,
         "risk_level": "medium", "reasons": "2 open tickets"},
        {"customer_id": "R3", "lifecycle_stage": "at_risk", "risk_score": CFG.max_risk_score,
         "risk_level": "high", "reasons": "no activity for 60 days"},
        {"customer_id": "R4", "lifecycle_stage": "reactivated", "risk_score": 10,
         "risk_level": "low", "reasons": "1 open ticket"},
    ]  # fmt: skip
    for row in rows:
        row["scoring_date"] = AS_OF
    rows[1].update(changes)
    return rows


def test_risk_suite_passes_good_scores(tmp_path: Path) -> None:
    results = _results(
        tmp_path, "marts__churn_risk", "fct_churn_risk_scores", RISK_COLUMNS, _risks()
    )
    assert _failed(results) == []
    assert len(results) == 7


@pytest.mark.parametrize(
    ("rows", "failed"),
    [
        (_risks(customer_id="R1"), "expect_column_values_to_be_unique(customer_id)"),
        (_risks(customer_id=None), "expect_column_values_to_not_be_null(customer_id)"),
        (_risks(risk_score=-5), "expect_column_values_to_be_between(risk_score)"),
        (
            _risks(risk_score=CFG.max_risk_score + 1),
            "expect_column_values_to_be_between(risk_score)",
        ),
        (_risks(risk_score=None), "expect_column_values_to_not_be_null(risk_score)"),
        (_risks(risk_level="extreme"), "expect_column_values_to_be_in_set(risk_level)"),
        (_risks(risk_level=None), "expect_column_values_to_not_be_null(risk_level)"),
        (_risks(lifecycle_stage="churned"), "expect_column_values_to_be_in_set(lifecycle_stage)"),
    ],
    ids=["duplicate key", "null key", "negative score", "score over max", "no score",
         "unknown level", "no level", "churned scored"],
)  # fmt: skip
def test_risk_suite_fails_the_check_for_each_bad_score(
    tmp_path: Path, rows: Rows, failed: str
) -> None:
    results = _results(tmp_path, "marts__churn_risk", "fct_churn_risk_scores", RISK_COLUMNS, rows)
    assert _failed(results) == [failed]


# --- the warehouse target ----------------------------------------------------------------


def test_frame_for_reads_a_bare_warehouse_table_and_fills_in_the_as_of_date(
    tmp_path: Path,
) -> None:
    home = Home(tmp_path)
    with connect(home.warehouse) as con:
        con.execute("create schema marts")
        con.execute("create table marts.t as select 1 as a, 'x' as b")
    sources = load_sources()

    table = frame_for("warehouse:marts.t", home, sources, AS_OF, CFG)
    query = frame_for("warehouse:select date '{as_of}' as d", home, sources, AS_OF, CFG)

    assert table.to_dict("records") == [{"a": 1, "b": "x"}]
    assert query["d"].dt.date.tolist() == [AS_OF]
