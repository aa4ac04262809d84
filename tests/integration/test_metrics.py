"""The metrics marts on generated demo data: `dbt build` of models/marts/metrics and
everything upstream (with their data and unit tests), then the invariants a user of the
tables relies on, several of them recomputed here from fct_orders independently."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from lifecycle.config import load_lifecycle
from lifecycle.dbt_runner import DbtOutcome, run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
METRICS = "path:models/marts/metrics"
MODELS = {
    "fct_cohort_retention",
    "fct_customer_order_sequence",
    "fct_customer_repurchase",
    "fct_repurchase_summary",
    "fct_churn_by_period",
    "fct_customer_rfm",
    "fct_customer_historical_clv",
}


@dataclass(frozen=True)
class Built:
    outcome: DbtOutcome
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def built(load_home: Callable[..., tuple[Home, Any]]) -> Iterator[Built]:
    home, _ = load_home("metrics", customers=600, days=200, seed=11, end=AS_OF)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(home.root))
        # cautious: leave out tests that also read models outside the selection
        # (relationships of staging to CRM tables the metrics do not use).
        args = ["build", "-s", f"+{METRICS}", "--indirect-selection", "cautious"]
        outcome = run_dbt(args, AS_OF, home)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield Built(outcome, con)
    con.close()


def _rows(built: Built, sql: str) -> list[Any]:
    return built.con.execute(sql).fetchall()


def _revenue_orders(built: Built) -> dict[str, list[tuple[date, Decimal]]]:
    """Per customer, their revenue orders by the as-of date: (placed_date, net_usd), in order."""
    orders: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for customer_id, placed_date, net_usd in _rows(
        built,
        f"""
        select customer_id, placed_date, net_usd from marts.fct_orders
        where is_revenue and customer_id is not null and placed_date <= '{AS_OF}'
        order by customer_id, placed_at, order_id
        """,
    ):
        orders[customer_id].append((placed_date, net_usd))
    return orders


def _month(day: date) -> date:
    return day.replace(day=1)


def test_dbt_build_of_the_metrics_passes_every_test(built: Built) -> None:
    results = built.outcome.results
    models = {r["name"] for r in results if r["unique_id"].startswith("model.")}
    unit_tests = [
        r for r in results
        if r["unique_id"].startswith("unit_test.") and r["unique_id"].split(".")[2] in MODELS
    ]  # fmt: skip
    assert built.outcome.success, "\n".join(built.outcome.failures)
    assert models >= MODELS
    assert len(unit_tests) == len(MODELS)
    assert {r["status"] for r in unit_tests} == {"pass"}


def test_retention_rates_lie_between_zero_and_one_and_month_zero_is_one(built: Built) -> None:
    bad_rates, bad_month_zero, rows = _rows(
        built,
        """
        select
            count(*) filter (where retention_rate < 0 or retention_rate > 1),
            count(*) filter (where months_since_start = 0 and retention_rate <> 1),
            count(*)
        from marts.fct_cohort_retention
        """,
    )[0]
    assert rows > 20
    assert (bad_rates, bad_month_zero) == (0, 0)


def test_purchase_cohort_sizes_add_up_to_the_customers_with_revenue_orders(built: Built) -> None:
    buyers = len(_revenue_orders(built))
    sizes = dict(
        _rows(
            built,
            """
            select breakdown, sum(cohort_size) from marts.fct_cohort_retention
            where cohort_type = 'purchase' and months_since_start = 0
            group by breakdown
            """,
        )
    )
    assert buyers > 100
    assert sizes == {"overall": buyers, "acquisition_channel": buyers}


def test_app_cohort_sizes_add_up_to_the_customers_with_app_activity(built: Built) -> None:
    app_users = _rows(
        built,
        f"""
        select count(distinct customer_id) from intermediate.int_customer_activity_days
        where app_events > 0 and activity_date <= '{AS_OF}'
        """,
    )[0][0]
    sizes = _rows(
        built,
        """
        select sum(cohort_size) from marts.fct_cohort_retention
        where cohort_type = 'app' and breakdown = 'overall' and months_since_start = 0
        """,
    )[0][0]
    assert app_users > 100
    assert sizes == app_users


def test_purchase_triangle_matches_a_recount_from_the_orders(built: Built) -> None:
    active: dict[str, set[date]] = {
        customer: {_month(day) for day, _ in orders}
        for customer, orders in _revenue_orders(built).items()
    }
    expected: dict[tuple[date, date], list[int]] = {}
    last_month = _month(AS_OF)
    for months in active.values():
        cohort = min(months)
        month = cohort
        while month <= last_month:
            cell = expected.setdefault((cohort, month), [0, 0])
            cell[0] += 1
            cell[1] += month in months
            month = _month(month + timedelta(days=32))
    got = {
        (cohort, month): [size, retained]
        for cohort, month, size, retained in _rows(
            built,
            """
            select cohort_month, activity_month, cohort_size, retained_customers
            from marts.fct_cohort_retention
            where cohort_type = 'purchase' and breakdown = 'overall'
            """,
        )
    }
    assert got == expected


def test_repurchase_rates_match_a_recount_from_the_orders(built: Built) -> None:
    expected = {}
    for days in (30, 60, 90):
        eligible = repurchased = 0
        for orders in _revenue_orders(built).values():
            first = orders[0][0]
            if (AS_OF - first).days < days:
                continue
            eligible += 1
            repurchased += len(orders) > 1 and (orders[1][0] - first).days <= days
        expected[days] = (eligible, repurchased)
    row = _rows(
        built,
        """
        select eligible_customers_30d, repurchased_customers_30d, repurchase_rate_30d,
            eligible_customers_60d, repurchased_customers_60d, repurchase_rate_60d,
            eligible_customers_90d, repurchased_customers_90d, repurchase_rate_90d
        from marts.fct_repurchase_summary
        """,
    )[0]
    got = {days: row[i * 3 : i * 3 + 2] for i, days in enumerate((30, 60, 90))}
    assert got == expected
    for i, (eligible, repurchased) in enumerate(expected.values()):
        assert row[i * 3 + 2] == pytest.approx(repurchased / eligible)


def test_days_between_orders_match_the_consecutive_orders(built: Built) -> None:
    gaps = [
        (b[0] - a[0]).days
        for orders in _revenue_orders(built).values()
        for a, b in zip(orders, orders[1:], strict=False)
    ]
    order_gaps, avg_days = _rows(
        built, "select order_gaps, avg_days_between_orders from marts.fct_repurchase_summary"
    )[0]
    assert order_gaps == len(gaps)
    assert avg_days == pytest.approx(sum(gaps) / len(gaps))


def test_rfm_scores_are_one_to_five_and_each_buyer_has_the_configured_segment(
    built: Built,
) -> None:
    cfg = load_lifecycle()
    rows = _rows(built, "select customer_id, r_score, f_score, m_score, rfm_segment"
                        " from marts.fct_customer_rfm")  # fmt: skip
    scores = {score for _, r, f, m, _ in rows for score in (r, f, m)}
    wrong = [row for row in rows if row[4] != cfg.rfm_segment(row[1], row[2], row[3])]
    assert {customer for customer, *_ in rows} == set(_revenue_orders(built))
    assert len(rows) == len({customer for customer, *_ in rows})
    assert scores <= {1, 2, 3, 4, 5}
    assert wrong == []


def test_churn_movement_equals_the_transition_counts_per_grain(built: Built) -> None:
    transitions = dict(
        _rows(
            built,
            f"""
            select to_stage, count(*) from marts.fct_stage_transitions
            where to_stage in ('new', 'reactivated', 'churned')
                and transition_date <= '{AS_OF}'
            group by to_stage
            """,
        )
    )
    per_grain = _rows(
        built,
        """
        select period_grain, sum(new_customers), sum(reactivated_customers),
            sum(churned_customers), sum(net_customer_movement),
            count(*) filter (where net_customer_movement
                <> new_customers + reactivated_customers - churned_customers)
        from marts.fct_churn_by_period
        group by period_grain
        """,
    )
    want_net = transitions["new"] + transitions["reactivated"] - transitions["churned"]
    assert transitions["churned"] > 10
    assert sorted(g for g, *_ in per_grain) == ["day", "month", "week"]
    for grain, new, reactivated, churned, net, bad_rows in per_grain:
        assert (new, reactivated, churned) == (
            transitions["new"],
            transitions["reactivated"],
            transitions["churned"],
        ), grain
        assert (net, bad_rows) == (want_net, 0), grain


def test_churn_rate_lies_between_zero_and_one_and_periods_chain(built: Built) -> None:
    rows = _rows(
        built,
        """
        select period_grain, period_start, active_customers_at_start,
            active_customers_at_end, churn_rate
        from marts.fct_churn_by_period
        order by period_grain, period_start
        """,
    )
    rates = [rate for *_, rate in rows if rate is not None]
    breaks = [
        (a[0], a[1]) for a, b in zip(rows, rows[1:], strict=False) if a[0] == b[0] and a[3] != b[2]
    ]
    assert rates and all(0 <= rate <= 1 for rate in rates)
    assert breaks == []


def test_active_customers_change_by_the_net_movement_but_for_returns_not_from_churned(
    built: Built,
) -> None:
    """Returns on the very day a customer would churn go at_risk -> reactivated (see the
    metrics_churn doc): they count as reactivated without having left."""
    not_from_churned = dict(
        _rows(
            built,
            """
            select transition_date, count(*) from marts.fct_stage_transitions
            where to_stage = 'reactivated' and from_stage <> 'churned'
            group by transition_date
            """,
        )
    )
    wrong = [
        (day, start, end, net)
        for day, start, end, net in _rows(
            built,
            """
            select period_start, active_customers_at_start, active_customers_at_end,
                net_customer_movement
            from marts.fct_churn_by_period where period_grain = 'day'
            """,
        )
        if end - start != net - not_from_churned.get(day, 0)
    ]
    assert wrong == []


def test_historical_clv_sums_to_the_net_revenue_of_the_orders(built: Built) -> None:
    orders = _revenue_orders(built)
    order_net = sum((net for rows in orders.values() for _, net in rows), Decimal(0))
    clv_net, customers, order_count = _rows(
        built,
        "select sum(net_revenue_usd), count(*), sum(order_count)"
        " from marts.fct_customer_historical_clv",
    )[0]
    assert order_net > 0
    assert clv_net == order_net
    assert customers == len(orders)
    assert order_count == sum(len(rows) for rows in orders.values())
