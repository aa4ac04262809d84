"""`intermediate.int_customer_stage_timeline` run by dbt on hand-made inputs
(`int_customers_matched`, `int_customer_activity_days`): an incremental run recomputes exactly
the customers whose inputs changed (a new activity day, a late order on a day already active,
an earlier first sighting, a retired key) and keeps the others as they are, ending where a
full refresh does; a changed stage rule recomputes everyone."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pytest

from lifecycle.dbt_runner import run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
TIMELINE = "intermediate.int_customer_stage_timeline"
RECORDS = [
    ("late_order", "2026-01-01 08:00:00"),
    ("new_day", "2026-02-01 08:00:00"),
    ("earlier", "2026-03-01 08:00:00"),
    ("retired", "2026-01-15 08:00:00"),
    ("untouched", "2026-01-20 08:00:00"),
]
# customer, day, orders, app events, support tickets, account peers
DAYS = [
    ("late_order", "2026-01-01", 0, 2, 0, 0),
    ("late_order", "2026-05-01", 0, 1, 0, 0),
    ("new_day", "2026-02-01", 1, 0, 0, 0),
    ("earlier", "2026-03-01", 0, 0, 1, 0),
    ("retired", "2026-01-15", 1, 0, 0, 0),
    ("untouched", "2026-01-20", 0, 1, 0, 0),
    ("untouched", "2026-04-02", 1, 0, 0, 0),
]


def _write_inputs(home: Home, records: list[tuple[str, str]], days: list[tuple[Any, ...]]) -> None:
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_customers_matched"
            " (customer_id varchar, first_seen_at timestamp)"
        )
        con.executemany("insert into intermediate.int_customers_matched values (?, ?)", records)
        con.execute(
            "create or replace table intermediate.int_customer_activity_days (customer_id"
            " varchar, activity_date date, orders integer, app_events integer,"
            " support_tickets integer, active_account_peers integer)"
        )
        con.executemany(
            "insert into intermediate.int_customer_activity_days values (?, ?, ?, ?, ?, ?)", days
        )


def _run(home: Home, *flags: str, rules: dict[str, Any] | None = None) -> None:
    outcome = run_dbt(
        ["run", "--select", "int_customer_stage_timeline", *flags], AS_OF, home, dbt_vars=rules
    )
    assert outcome.success, outcome.failures


def _rows(home: Home) -> set[tuple[Any, ...]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return set(con.execute(f"select * from {TIMELINE}").fetchall())


def _mark_untouched(home: Home) -> None:
    """Stamp the untouched customer's kept rows, so a run that recomputes them shows."""
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(f"update {TIMELINE} set trigger = 'kept' where customer_id = 'untouched'")


def _changed_inputs() -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    records = [r for r in RECORDS if r[0] != "retired"] + [("earlier", "2026-02-10 08:00:00")]
    days = [d for d in DAYS if d[0] != "retired" and d[:2] != ("late_order", "2026-05-01")]
    days += [
        ("late_order", "2026-05-01", 1, 1, 0, 0),  # an order arrives for a day of app use
        ("new_day", "2026-06-29", 0, 3, 0, 0),
    ]
    return records, days


def test_a_night_recomputes_the_changed_customers_only(empty_home: Home) -> None:
    _write_inputs(empty_home, RECORDS, DAYS)
    _run(empty_home)
    _mark_untouched(empty_home)
    _write_inputs(empty_home, *_changed_inputs())
    _run(empty_home)
    incremental = _rows(empty_home)

    kept = {r for r in incremental if r[0] == "untouched"}
    assert kept and {r[5] for r in kept} == {"kept"}
    assert not {r for r in incremental if r[0] == "retired"}
    by_day = {(r[0], r[2]): r for r in incremental}
    assert by_day[("late_order", date(2026, 5, 1))][5] == "order"
    assert by_day[("earlier", date(2026, 2, 10))][1] == "prospect"
    assert ("new_day", date(2026, 6, 29)) in by_day

    _run(empty_home, "--full-refresh")
    full = _rows(empty_home)
    assert {r for r in incremental if r[0] != "untouched"} == {
        r for r in full if r[0] != "untouched"
    }
    assert {r[5] for r in full if r[0] == "untouched"} != {"kept"}


def test_a_changed_stage_rule_recomputes_every_customer(empty_home: Home) -> None:
    _write_inputs(empty_home, RECORDS, DAYS)
    _run(empty_home)
    _mark_untouched(empty_home)
    rule = {"lifecycle__churned_after_days": 60}
    _run(empty_home, rules=rule)
    incremental = _rows(empty_home)
    _run(empty_home, "--full-refresh", rules=rule)
    assert incremental == _rows(empty_home)
    assert {r[5] for r in incremental if r[0] == "untouched"} != {"kept"}
