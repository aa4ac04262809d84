"""Identity resolution against the generator's ground truth."""

from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb
import pytest

from lifecycle.dbt_runner import run_dbt
from lifecycle.demo.score import PairScores, identity_scores
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def scores(load_home: Callable[..., tuple[Home, Any]]) -> dict[str, PairScores]:
    home, _ = load_home("identity", customers=2000, days=180, seed=5, end=END)
    outcome = run_dbt(
        ["build", "--select", "+int_customers_matched", "--indirect-selection", "cautious"],
        END,
        home,
    )
    assert outcome.success, outcome.failures
    result = identity_scores(home.warehouse, home.sources / "_truth")
    for name, score in result.items():
        print(f"identity ({name}): {score}")
    return result


def test_identity_precision_on_identifiable_records(scores: dict[str, PairScores]) -> None:
    assert scores["identifiable"].precision >= 0.995


def test_identity_recall_on_identifiable_records(scores: dict[str, PairScores]) -> None:
    assert scores["identifiable"].recall >= 0.98


def test_identity_merges_people_across_systems(scores: dict[str, PairScores]) -> None:
    everyone = scores["all"]
    assert everyone.precision >= 0.995
    assert everyone.customers < everyone.records * 0.6  # records really were joined up


def test_customer_key_is_stable_when_later_records_arrive(
    load_home: Callable[..., tuple[Home, Any]],
) -> None:
    home, _ = load_home("stable", customers=500, days=90, seed=9, end=END)

    def keys(as_of: date) -> dict[str, str]:
        assert run_dbt(
            ["build", "--select", "+int_customers_matched", "--indirect-selection", "cautious"],
            as_of,
            home,
        ).success
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            rows = con.execute(
                "select record_key, customer_id from intermediate.int_customers_matched"
            ).fetchall()
        return dict(rows)

    earlier, later = keys(date(2026, 5, 31)), keys(END)
    kept = sum(later[k] == v for k, v in earlier.items())
    assert len(later) > len(earlier)
    # A key changes only when two earlier customers merge into one (to the older key).
    changed = {v for k, v in earlier.items() if later[k] != v}
    assert kept / len(earlier) >= 0.99, f"{len(changed)} earlier customers changed key"
