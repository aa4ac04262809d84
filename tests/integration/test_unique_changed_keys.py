"""The project's `unique_combination` data test with `changed_since` (dbt_project/tests/generic),
run by dbt on a hand-made `staging.base_app__events`: without lifecycle__tested_from it checks
every event id; with it (the gate, after a build whose tests all passed) it checks the ids of
the events delivered since that day against every event, so a new event that repeats an old
id fails, and an old duplicate that an earlier gate saw is not re-read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from lifecycle.dbt_runner import run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
TEST = "unique_base_app__events_event_id"  # named as dbt's `unique` test was
OLD = [("e1", "2026-06-01"), ("e2", "2026-06-02"), ("e2", "2026-06-03")]


def _write_events(warehouse: Path, rows: list[tuple[str, str]]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace table staging.base_app__events"
            " (event_id varchar, delivery_date date)"
        )
        con.executemany("insert into staging.base_app__events values (?, ?)", rows)


def _failures(home: Home, tested_from: str | None) -> tuple[str, int]:
    extra = {"lifecycle__tested_from": tested_from} if tested_from else {}
    outcome = run_dbt(
        ["test", "--select", "test_name:unique_combination,base_app__events"],
        AS_OF, home, dbt_vars=extra,
    )  # fmt: skip
    result = next(r for r in outcome.results if r["name"] == TEST)
    return result["status"], result["failures"] or 0


def test_every_id_is_checked_without_a_tested_build(empty_home: Home) -> None:
    _write_events(empty_home.warehouse, [*OLD, ("e3", "2026-06-20"), ("e1", "2026-06-21")])
    assert _failures(empty_home, None) == ("fail", 2)  # e1 and e2


def test_new_ids_are_checked_against_every_event(empty_home: Home) -> None:
    _write_events(empty_home.warehouse, [*OLD, ("e3", "2026-06-20"), ("e1", "2026-06-21")])
    assert _failures(empty_home, "2026-06-20") == ("fail", 1)  # e1, new against old


def test_a_duplicate_among_the_new_events_fails(empty_home: Home) -> None:
    _write_events(empty_home.warehouse, [*OLD, ("e4", "2026-06-20"), ("e4", "2026-06-21")])
    assert _failures(empty_home, "2026-06-20") == ("fail", 1)


def test_rows_a_passed_gate_saw_are_not_read_again(empty_home: Home) -> None:
    _write_events(empty_home.warehouse, [*OLD, ("e3", "2026-06-20"), ("e5", "2026-06-21")])
    assert _failures(empty_home, "2026-06-20") == ("pass", 0)
    assert _failures(empty_home, None) == ("fail", 1)  # e2, found when every row is tested
