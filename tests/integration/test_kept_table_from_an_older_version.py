"""A latest-version model (macros/incremental.sql) whose kept table an earlier version of the
project built without the columns its incremental runs need (here `stg_orders__refunds`, a
table before it kept refunds by version): the night stops before touching it, naming the
table and the full refresh that rebuilds it, instead of a database error about a column;
with `--full-refresh` it builds."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from lifecycle.dbt_runner import run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
REFUNDS = "staging.stg_orders__refunds"


def _old_warehouse(home: Home) -> None:
    with duckdb.connect(str(home.warehouse)) as con:
        for schema in ("staging", "reference"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(
            "create table reference.currency_rates"
            " as select date '2026-06-01' as rate_month, 'EUR' as currency,"
            " 1.5::decimal(18, 8) as usd_per_unit"
        )
        con.execute(
            "create table staging.base_orders__refund_versions as select 'R1' as refund_id,"
            " 'O1' as order_id, 5.00::decimal(18, 2) as refund_amount, 'EUR' as currency,"
            " 'late' as reason, timestamp '2026-06-20 10:00:00' as refunded_at,"
            " date '2026-06-20' as delivery_date, 1 as delivery_line"
        )
        # The refunds table as the version before kept it: no delivered_on.
        con.execute(
            f"create table {REFUNDS} as select refund_id, order_id, refund_amount, currency,"
            " 7.50::decimal(18, 2) as refund_amount_usd, reason, refunded_at,"
            " cast(refunded_at as date) as refunded_date, delivery_date as first_delivered_on"
            " from staging.base_orders__refund_versions"
        )


def test_an_old_kept_table_asks_for_a_full_refresh(empty_home: Home) -> None:
    _old_warehouse(empty_home)
    args = ["run", "--select", "stg_orders__refunds"]
    night = {"lifecycle__reprocess_from": "2026-06-23"}
    outcome = run_dbt(args, AS_OF, empty_home, dbt_vars=night)
    assert not outcome.success
    (failure,) = outcome.failures
    assert REFUNDS in failure and "delivered_on" in failure
    assert "--full-refresh" in failure
    with duckdb.connect(str(empty_home.warehouse), read_only=True) as con:
        assert con.execute(f"select count(*) from {REFUNDS}").fetchone() == (1,)

    assert run_dbt([*args, "--full-refresh"], AS_OF, empty_home, dbt_vars=night).success
    with duckdb.connect(str(empty_home.warehouse), read_only=True) as con:
        row = con.execute(f"select refund_amount_usd, delivered_on from {REFUNDS}").fetchone()
    assert row is not None and (float(row[0]), row[1]) == (7.5, date(2026, 6, 20))
