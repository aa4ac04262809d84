"""Staging reads only what was delivered by the as-of date, even when the raw zone holds
later deliveries: the basis of a backfill reproducing its nightly run."""

from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pytest

from lifecycle.dbt_runner import run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
END = date(2026, 6, 30)
AS_OF = date(2026, 6, 25)  # the raw zone holds deliveries up to END


@pytest.fixture(scope="module")
def home(load_home: Callable[..., tuple[Home, Any]]) -> Home:
    home, _ = load_home("as_of", customers=300, days=40, seed=3, end=END)
    outcome = run_dbt(
        ["build", "--select", "+path:models/staging", "--indirect-selection", "cautious"],
        AS_OF,
        home,
    )
    assert outcome.success, outcome.failures
    return home


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("stg_app__events", "received_at"),
        ("stg_orders__orders", "updated_at"),
        ("stg_support__tickets", "updated_at"),
        ("stg_crm__contacts", "updated_at"),
    ],
)
def test_staging_reads_no_delivery_after_the_as_of_date(
    home: Home, model: str, column: str
) -> None:
    assert (home.raw / "app" / "events" / f"delivery_date={END}").is_dir()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        latest = con.execute(f"select max(cast({column} as date)) from staging.{model}").fetchall()
    assert latest[0][0] == AS_OF
