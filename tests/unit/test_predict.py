"""The nightly CLV step: reads the warehouse's orders as of the day, writes predictions."""

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from lifecycle.analytics_config import ClvConfig
from lifecycle.paths import Home
from lifecycle.predict import predict_customer_value

AS_OF = date(2026, 6, 30)
SETTINGS = ClvConfig(time_unit="weeks", horizon_months=12, annual_discount_rate=0.1)


def _warehouse(tmp_path: Path, orders: list[tuple[str, date, float, bool]]) -> Home:
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_orders (order_id varchar, customer_id varchar,"
            " placed_date date, net_usd decimal(18, 2), is_revenue boolean)"
        )
        con.executemany(
            "insert into marts.fct_orders values (?, ?, ?, ?, ?)",
            [(f"O{i}", c, d, a, r) for i, (c, d, a, r) in enumerate(orders)],
        )
    return home


def _orders(customers: int, seed: int) -> list[tuple[str, date, float, bool]]:
    """Customers buying at their own Poisson rate over a year, some dropping out, each with
    their own mean spend (the heterogeneity Gamma-Gamma needs)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        rate = rng.gamma(0.8, 1 / 20)  # purchases per day
        life = int(rng.exponential(300))
        start = int(rng.integers(0, 300))
        day = start
        nu = rng.gamma(3, 1 / 50)
        rows.append((f"C{c}", AS_OF - timedelta(days=364 - day), float(rng.gamma(5, 1 / nu)), True))
        while True:
            day += int(rng.exponential(1 / rate)) + 1
            if day > min(364, start + life):
                break
            spend = float(rng.gamma(5, 1 / nu))
            rows.append((f"C{c}", AS_OF - timedelta(days=364 - day), spend, True))
    return rows


def test_predictions_cover_every_buyer_as_of_the_day(tmp_path: Path) -> None:
    orders = _orders(600, seed=3)
    late = ("C0", AS_OF + timedelta(days=1), 99.0, True)  # after the as-of date: not seen
    cancelled = ("LATE", AS_OF - timedelta(days=3), 50.0, False)  # not revenue: not a buyer
    refunded = ("REFUNDED", AS_OF - timedelta(days=3), 0.0, True)  # fully refunded
    home = _warehouse(tmp_path, [*orders, late, cancelled, refunded])

    report = predict_customer_value(home, AS_OF, SETTINGS)

    assert report.status == "fitted" and report.customers == 600
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select customer_id, p_alive, expected_orders, predicted_clv_usd, age_units"
            " from predictions.customer_value"
        ).fetchall()
        statuses = con.execute("select distinct status from predictions.model_fits").fetchall()
    assert {r[0] for r in rows} == {f"C{c}" for c in range(600)}
    assert all(0 <= r[1] <= 1 and r[2] >= 0 and r[3] >= 0 for r in rows)
    assert max(r[4] for r in rows) <= 52.0 + 1e-9  # nothing after the as-of date counts
    assert statuses == [("fitted",)]


def test_too_little_data_writes_null_predictions_and_the_reason(tmp_path: Path) -> None:
    home = _warehouse(tmp_path, [("C1", AS_OF - timedelta(days=5), 20.0, True)])

    report = predict_customer_value(home, AS_OF, SETTINGS)

    assert report.status.startswith("not fitted:")
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute(
            "select customer_id, predicted_clv_usd from predictions.customer_value"
        ).fetchall() == [("C1", None)]
        (status,) = con.execute("select distinct status from predictions.model_fits").fetchone()
    assert "not fitted" in status and report.line().startswith("CLV not fitted")


@pytest.mark.parametrize("unit", ["weeks", "days"])
def test_a_rerun_of_the_same_day_writes_identical_predictions(tmp_path: Path, unit: str) -> None:
    home = _warehouse(tmp_path, _orders(300, seed=5))
    settings = ClvConfig(time_unit=unit, horizon_months=6, annual_discount_rate=0.05)  # type: ignore[arg-type]

    def snapshot() -> list[tuple[object, ...]]:
        predict_customer_value(home, AS_OF, settings)
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            return con.execute("select * from predictions.customer_value order by 1").fetchall()

    assert snapshot() == snapshot()
