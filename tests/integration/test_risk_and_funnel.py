"""Churn risk scores, their backtest and the activation funnel on generated demo data: the
marts built with `dbt build` (their data and unit tests included), then checked for what a
user of the tables relies on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from lifecycle.config import load_lifecycle
from lifecycle.dbt_runner import DbtOutcome, run_dbt
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
MARTS = (
    "fct_churn_risk_scores",
    "fct_churn_risk_backtest_deciles",
    "fct_activation_funnel",
    "fct_activation_early_login_churn",
)
CURRENT_STAGES = ("new", "active", "reactivated", "at_risk")


@dataclass(frozen=True)
class Built:
    outcome: DbtOutcome
    con: duckdb.DuckDBPyConnection
    cutoff: date
    max_score: int


@pytest.fixture(scope="module")
def built(load_home: Callable[..., tuple[Home, Any]]) -> Iterator[Built]:
    # 270 days: the 90-day backtest cutoff has six months of history behind it.
    home, _ = load_home("risk_funnel", customers=1500, days=270, seed=11, end=AS_OF)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(home.root))
        # dim_customers too (the scores are checked against it); tests of the ancestors
        # that need unselected models (e.g. CRM accounts) are left to test_dbt_models.
        selected = [f"+{m}" for m in (*MARTS, "dim_customers")]
        outcome = run_dbt(
            ["build", "-s", *selected, "--indirect-selection", "cautious"], AS_OF, home
        )
    risk = load_lifecycle().churn_risk
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield Built(outcome, con, AS_OF - timedelta(days=risk.backtest_horizon_days), risk.max_score)
    con.close()


def _rows(built: Built, sql: str, params: list[Any] | None = None) -> list[Any]:
    return built.con.execute(sql, params or []).fetchall()


def test_dbt_build_of_the_marts_passes_every_data_and_unit_test(built: Built) -> None:
    names = {r["name"] for r in built.outcome.results}
    assert built.outcome.success, "\n".join(built.outcome.failures)
    assert set(MARTS) | {"fct_churn_risk_backtest", "fct_activation_milestones"} <= names
    unit_tests = [r for r in built.outcome.results if r["unique_id"].startswith("unit_test.")]
    assert {r["name"] for r in unit_tests} >= {
        "test_fct_churn_risk_scores_adds_points_and_names_top_reasons",
        "test_fct_churn_risk_backtest_scores_with_data_known_at_cutoff",
        "test_fct_activation_funnel_counts_shares_and_medians_per_cohort",
    }


def test_every_current_customer_is_scored_exactly_once(built: Built) -> None:
    current = {
        r[0]
        for r in _rows(
            built,
            "select customer_id from marts.dim_customers where lifecycle_stage in"
            " ('new', 'active', 'reactivated', 'at_risk')",
        )
    }
    scored = [r[0] for r in _rows(built, "select customer_id from marts.fct_churn_risk_scores")]
    assert len(current) > 300
    assert len(scored) == len(set(scored))
    assert set(scored) == current


def test_every_score_is_the_capped_sum_of_its_points_with_reasons_when_positive(
    built: Built,
) -> None:
    rows = _rows(
        built,
        """
        select customer_id, risk_score, reason_count, reasons, top_reason_code,
            inactivity_points + activity_drop_points + spend_drop_points
            + open_ticket_points + low_csat_points
        from marts.fct_churn_risk_scores
        """,
    )
    wrong = [
        r
        for r in rows
        if r[1] is None
        or r[1] != min(built.max_score, r[5])
        or (r[1] > 0 and (r[2] < 1 or not r[3] or r[4] is None))
        or (r[1] == 0 and r[3] is not None)
    ]
    assert wrong == [], f"{len(wrong)} scores wrong, e.g. {wrong[:5]}"
    assert sum(1 for r in rows if r[1] > 0) > 50, "too few customers with any risk"


def test_backtest_deciles_cover_every_customer_current_on_the_cutoff_once(
    built: Built,
) -> None:
    current_on_cutoff = {
        r[0]
        for r in _rows(
            built,
            "select customer_id from marts.fct_customer_stage_spans"
            " where valid_from <= ? and valid_to > ? and stage in"
            " ('new', 'active', 'reactivated', 'at_risk')",
            [built.cutoff, built.cutoff],
        )
    }
    backtest = _rows(
        built, "select customer_id, risk_decile, cutoff_date from marts.fct_churn_risk_backtest"
    )
    deciles = _rows(
        built,
        "select risk_decile, customers from marts.fct_churn_risk_backtest_deciles order by 1",
    )
    sizes = [customers for _, customers in deciles]
    assert len(backtest) == len({r[0] for r in backtest}) == len(current_on_cutoff)
    assert {r[0] for r in backtest} == current_on_cutoff
    assert {r[2] for r in backtest} == {built.cutoff}
    assert [d for d, _ in deciles] == list(range(1, 11))
    assert sum(sizes) == len(backtest)
    assert max(sizes) - min(sizes) <= 1


def test_backtest_measures_inactivity_from_activity_up_to_the_cutoff_only(
    built: Built,
) -> None:
    wrong = _rows(
        built,
        """
        with last_known as (
            select customer_id, max(activity_date) as last_activity_date
            from intermediate.int_customer_activity_days
            where activity_date <= ?
            group by customer_id
        )
        select backtest.customer_id, backtest.days_since_last_activity,
            last_known.last_activity_date
        from marts.fct_churn_risk_backtest as backtest
        left join last_known on backtest.customer_id = last_known.customer_id
        where last_known.last_activity_date is null
            or backtest.days_since_last_activity
            <> date_diff('day', last_known.last_activity_date, ?)
        """,
        [built.cutoff, built.cutoff],
    )
    later = _rows(
        built,
        "select count(*) from intermediate.int_customer_activity_days where activity_date > ?",
        [built.cutoff],
    )[0][0]
    assert later > 0, "no activity after the cutoff: the check would prove nothing"
    assert wrong == [], f"{len(wrong)} customers measured with later activity, e.g. {wrong[:5]}"


def test_top_risk_decile_churns_more_than_the_bottom_one(built: Built) -> None:
    # The generator's churners stop using the app for good, and a customer is churned
    # after 90 quiet days: on the cutoff, the long-quiet customers the score ranks first
    # need only a few more quiet days to churn, the recently active ones at the bottom
    # need the whole horizon.
    rates = dict(
        _rows(
            built,
            "select risk_decile, churn_rate from marts.fct_churn_risk_backtest_deciles",
        )
    )
    top_lift = _rows(
        built, "select lift from marts.fct_churn_risk_backtest_deciles where risk_decile = 1"
    )[0][0]
    assert rates[1] > rates[10], f"top decile {rates[1]} vs bottom {rates[10]}"
    assert top_lift > 1.5, f"top decile lift {top_lift}"


def test_funnel_counts_never_rise_and_shares_stay_within_zero_and_one(built: Built) -> None:
    rows = _rows(
        built,
        """
        select cohort, step_order, customers, share_of_sign_ups, share_of_previous_step,
            share_lost_at_step
        from marts.fct_activation_funnel
        order by cohort, step_order
        """,
    )
    by_cohort: dict[str, list[Any]] = {}
    for row in rows:
        by_cohort.setdefault(row[0], []).append(row)
    assert "all" in by_cohort and len(by_cohort) > 3
    for cohort, steps in by_cohort.items():
        counts = [s[2] for s in steps]
        assert [s[1] for s in steps] == [1, 2, 3, 4, 5], cohort
        assert counts == sorted(counts, reverse=True), (cohort, counts)
        shares = [v for s in steps for v in s[3:] if v is not None]
        assert all(0 <= v <= 1 for v in shares), (cohort, shares)
    assert by_cohort["all"][0][2] > by_cohort["all"][4][2] > 0


def test_funnel_cohorts_add_up_to_all_sign_ups(built: Built) -> None:
    mismatched = _rows(
        built,
        """
        select step_order,
            sum(case when cohort = 'all' then customers else 0 end) as overall,
            sum(case when cohort <> 'all' then customers else 0 end) as cohorts
        from marts.fct_activation_funnel
        group by step_order
        having sum(case when cohort = 'all' then customers else 0 end)
            <> sum(case when cohort <> 'all' then customers else 0 end)
        """,
    )
    sign_ups = _rows(built, "select count(*) from marts.fct_activation_milestones")[0][0]
    overall = _rows(
        built,
        "select customers from marts.fct_activation_funnel where cohort = 'all' and step_order = 1",
    )[0][0]
    assert mismatched == []
    assert overall == sign_ups > 0


def test_early_login_groups_split_the_judged_sign_ups(built: Built) -> None:
    groups = dict(
        _rows(
            built,
            "select login_group, customers from marts.fct_activation_early_login_churn",
        )
    )
    judged = _rows(
        built, "select count(*) from marts.fct_activation_milestones where is_churn_judged"
    )[0][0]
    assert set(groups) == {"login_in_window", "no_login_in_window"}
    assert sum(groups.values()) == judged > 0
    assert min(groups.values()) > 0
