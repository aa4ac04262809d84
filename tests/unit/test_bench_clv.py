"""The benchmark's CLV comparison: both fitters on the same summary of the warehouse's orders."""

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from lifecycle.bench_clv import clv_comparison
from lifecycle.paths import Home

AS_OF = date(2026, 6, 30)


def _home_with_orders(tmp_path: Path, customers: int, seed: int) -> Home:
    """Customers buying at their own Poisson rate over a year until they drop out, each with
    their own mean spend (what BG/NBD and Gamma-Gamma assume)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        rate, day = rng.gamma(0.8, 1 / 20), int(rng.integers(0, 300))
        end = min(364, day + int(rng.exponential(300)))  # the day the customer drops out
        nu = rng.gamma(3, 1 / 50)
        while day <= end:
            rows.append((f"O{len(rows)}", f"C{c}", AS_OF - timedelta(days=364 - day),
                         float(rng.gamma(5, 1 / nu)), True))  # fmt: skip
            day += int(rng.exponential(1 / rate)) + 1
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "placed_date", "net_usd",
                                         "is_revenue"])  # fmt: skip
    home = Home(tmp_path)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create schema marts")
        con.register("orders", orders)
        con.execute(
            "create table marts.fct_orders as select order_id, customer_id, placed_date,"
            " cast(net_usd as decimal(18, 2)) as net_usd, is_revenue from orders"
        )
    return home


def test_clv_comparison_fits_both_on_the_same_customers_to_the_same_estimates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFECYCLE_TARGET", "duckdb")
    home = _home_with_orders(tmp_path, customers=2000, seed=5)

    result = clv_comparison(home, AS_OF, repeats=1)

    ours, theirs = result["lifecycle"], result["lifetimes"]
    assert result["customers"] == 2000 and result["repeats"] == 1
    assert ours["converged"] and ours["seconds"] > 0
    assert ours["seconds"] == pytest.approx(ours["bgnbd_s"] + ours["gamma_gamma_s"])
    assert theirs["available"] and theirs["converged"], theirs["error"]
    for name in ("r", "alpha", "a", "b", "p", "q"):
        assert ours["params"][name] == pytest.approx(theirs["params"][name], rel=1e-3), name
    assert ours["params"]["gamma"] == pytest.approx(theirs["params"]["v"], rel=1e-3)


def test_clv_comparison_records_a_reference_fit_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lifetimes

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("did not converge")

    monkeypatch.setenv("LIFECYCLE_TARGET", "duckdb")
    monkeypatch.setattr(lifetimes.BetaGeoFitter, "fit", refuse)
    home = _home_with_orders(tmp_path, customers=300, seed=5)

    result = clv_comparison(home, AS_OF, repeats=1)

    assert result["lifecycle"]["converged"]
    assert result["lifetimes"]["converged"] is False
    assert result["lifetimes"]["error"] == "RuntimeError: did not converge"
    assert "seconds" not in result["lifetimes"]
