"""The project's `not_null_columns` data test (dbt_project/tests/generic), which holds the
not-null rule of each model's non-key columns: run by dbt on a hand-made
`marts.fct_churn_risk_scores`, it passes rows without nulls, fails with one failure per null
value and names the columns that hold them, and honours a test's `where` (the reasons are
required only where a rule fired)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from lifecycle.dbt_runner import DbtOutcome, run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
MODEL = "fct_churn_risk_scores"
# dbt names a generic test after the test, the model and its arguments.
REQUIRED = f"not_null_columns_{MODEL}_" + "__".join(
    ["scoring_date", "lifecycle_stage", "risk_score", "risk_level", "reason_count"]
)
WHEN_SCORED = f"not_null_columns_{MODEL}_top_reason_code__reasons"
# customer_id, lifecycle_stage, risk_score, top_reason_code, reasons
ROWS = [
    ("c1", "active", 0, None, None),  # no rule fired: no reasons, as the model writes it
    ("c2", "at_risk", 40, "inactivity", "no activity for 21 days"),
    ("c3", "new", 10, "open_tickets", "1 open ticket"),
]


def _write_scores(warehouse: Path, rows: list[tuple[object, ...]]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.{MODEL} (customer_id varchar, scoring_date date,"
            " lifecycle_stage varchar, risk_score integer, risk_level varchar,"
            " reason_count integer, top_reason_code varchar, reasons varchar)"
        )
        con.executemany(
            f"insert into marts.{MODEL} values (?, ?, ?, ?, 'low', 0, ?, ?)",
            [(c, AS_OF, stage, score, code, why) for c, stage, score, code, why in rows],
        )


def _test(home: Home) -> dict[str, dict[str, object]]:
    outcome: DbtOutcome = run_dbt(
        ["test", "--select", f"test_name:not_null_columns,{MODEL}"], AS_OF, home
    )
    return {r["name"]: r for r in outcome.results}


def test_not_null_columns_passes_rows_without_nulls_and_counts_each_null(empty_home: Home) -> None:
    _write_scores(empty_home.warehouse, ROWS)
    clean = _test(empty_home)
    assert {name: r["status"] for name, r in clean.items()} == {
        REQUIRED: "pass",
        WHEN_SCORED: "pass",
    }

    _write_scores(
        empty_home.warehouse,
        [
            *ROWS,
            ("c4", None, 40, "inactivity", "no activity for 30 days"),  # stage missing
            ("c5", None, 20, None, None),  # stage, code and reasons missing where scored
        ],
    )
    dirty = _test(empty_home)
    assert dirty[REQUIRED]["status"] == "fail"
    assert dirty[REQUIRED]["failures"] == 2
    assert dirty[WHEN_SCORED]["status"] == "fail"
    assert dirty[WHEN_SCORED]["failures"] == 2  # c5's code and reasons; c1 is unscored
    with duckdb.connect(str(empty_home.warehouse), read_only=True) as con:
        compiled_dir = empty_home.dbt_target / "compiled"
        compiled = next(compiled_dir.rglob(f"{WHEN_SCORED}.sql")).read_text()
        named = con.execute(compiled).fetchall()
    assert sorted(named) == [("reasons", 1), ("top_reason_code", 1)]
