from datetime import date

import pandas as pd
import pytest

from lifecycle.report_data import (
    funnel_steps,
    histogram,
    nice_step,
    quality_summary,
    retention_grid,
    stage_weeks,
)

AS_OF = date(2026, 6, 30)


def _spans(*rows: tuple[str, str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"stage": s, "valid_from": date.fromisoformat(a), "valid_to": date.fromisoformat(b),
             "customers": n}
            for s, a, b, n in rows
        ]
    )  # fmt: skip


def test_stage_weeks_counts_each_stage_at_the_end_of_each_week() -> None:
    spans = _spans(
        ("new", "2026-06-01", "2026-06-15", 2),
        ("active", "2026-06-15", "2026-07-01", 2),
        ("prospect", "2026-06-10", "2026-07-01", 1),
    )

    weeks = stage_weeks(spans, AS_OF, weeks=4)

    assert weeks == {
        "dates": ["2026-06-09", "2026-06-16", "2026-06-23", "2026-06-30"],
        "stages": ["prospect", "new", "active"],
        "series": {"prospect": [0, 1, 1, 1], "new": [2, 0, 0, 0], "active": [0, 2, 2, 2]},
    }


def test_stage_weeks_leaves_out_weeks_before_the_first_span() -> None:
    spans = _spans(("new", "2026-06-01", "2026-07-01", 3))

    weeks = stage_weeks(spans, AS_OF, weeks=10)

    assert weeks["dates"] == ["2026-06-02", "2026-06-09", "2026-06-16", "2026-06-23", "2026-06-30"]
    assert weeks["series"] == {"new": [3, 3, 3, 3, 3]}


def test_stage_weeks_of_no_spans_is_empty() -> None:
    empty = pd.DataFrame(columns=["stage", "valid_from", "valid_to", "customers"])

    assert stage_weeks(empty, AS_OF) == {"dates": [], "stages": [], "series": {}}


def test_retention_grid_keeps_the_latest_cohorts_as_cells() -> None:
    rows = [
        ("2026-04-01", 0, 10, 10, 1.0, True),
        ("2026-04-01", 1, 10, 3, 0.3, True),
        ("2026-04-01", 2, 10, 1, 0.1, False),
        ("2026-05-01", 1, 4, 1, 0.25, False),
        ("2026-05-01", 0, 4, 4, 1.0, True),
        ("2026-06-01", 0, 2, 2, 1.0, False),
    ]
    columns = ["cohort_month", "months_since_start", "cohort_size", "retained_customers",
               "retention_rate", "is_complete_month"]  # fmt: skip
    triangle = pd.DataFrame(rows, columns=columns)
    triangle["cohort_month"] = pd.to_datetime(triangle["cohort_month"])

    grid = retention_grid(triangle, max_cohorts=2)

    assert grid == {
        "cohorts": [{"month": "2026-05", "size": 4}, {"month": "2026-06", "size": 2}],
        "months": 2,
        "cells": [
            {"c": 0, "k": 0, "retained": 4, "rate": 1.0, "partial": False},
            {"c": 0, "k": 1, "retained": 1, "rate": 0.25, "partial": True},
            {"c": 1, "k": 0, "retained": 2, "rate": 1.0, "partial": True},
        ],
    }


def test_funnel_steps_counts_who_was_lost_at_each_step() -> None:
    funnel = pd.DataFrame(
        {
            "step_order": [3, 1, 2, 5, 4],
            "step_name": ["key", "sign_up", "login", "purchase", "third"],
            "customers": [8, 10, 8, 0, 2],
        }
    )

    steps = funnel_steps(funnel)

    assert [(s["step"], s["customers"], s["lost"]) for s in steps] == [
        ("sign_up", 10, 0), ("login", 8, 2), ("key", 8, 0), ("third", 2, 6), ("purchase", 0, 2),
    ]  # fmt: skip
    assert [s["share_of_first"] for s in steps] == [1.0, 0.8, 0.8, 0.2, 0.0]
    assert [s["share_lost"] for s in steps] == [0.0, 0.2, 0.0, 0.75, 1.0]


def test_funnel_steps_after_an_empty_step_have_no_share_lost() -> None:
    funnel = pd.DataFrame(
        {"step_order": [1, 2, 3], "step_name": ["a", "b", "c"], "customers": [4, 0, 0]}
    )

    assert [s["share_lost"] for s in funnel_steps(funnel)] == [0.0, 1.0, None]


@pytest.mark.parametrize(
    ("raw", "step"), [(19.8, 20.0), (0.3, 0.5), (200.0, 200.0), (26.0, 50.0), (7.0, 10.0)]
)
def test_nice_step_rounds_up_to_1_2_2_5_or_5(raw: float, step: float) -> None:
    assert nice_step(raw) == pytest.approx(step)


def test_histogram_puts_values_above_the_top_edge_in_the_last_bin() -> None:
    hist = histogram([0, 5, 12, 18, 100], bins=4)

    assert hist == {
        "edges": [0, 25, 50, 75, 100],
        "counts": [4, 0, 0, 1],
        "open_ended": True,
        "n": 5,
        "median": 12,
    }


def test_histogram_cuts_at_the_99th_percentile() -> None:
    hist = histogram([10.0] * 98 + [1000.0, 5000.0], bins=5)

    assert hist["edges"] == [0, 200, 400, 600, 800, 1000]
    assert hist["counts"] == [98, 0, 0, 0, 2]
    assert hist["open_ended"] is True
    assert hist["median"] == 10


def test_histogram_starts_below_zero_for_negative_values() -> None:
    hist = histogram([-30.0, 10.0, 40.0], bins=2)

    assert hist["edges"] == [-50, 0, 50]
    assert hist["counts"] == [1, 2]
    assert hist["open_ended"] is False


def test_histogram_of_nothing_is_empty() -> None:
    assert histogram([])["counts"] == []


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("dbt", "t1", "error", True, "ok"),
            ("dbt", "t2", "error", False, "3 failing rows"),
            ("gx", "c1", "warn", False, "1 unexpected, e.g. ['ann@example.com']"),
            ("gx", "c2", "error", True, "ok"),
        ],
        columns=["suite", "check_name", "severity", "passed", "observed"],
    )


def _quarantine() -> pd.DataFrame:
    return pd.DataFrame(
        [("orders.orders", 2, 5), ("app.events", 0, 3)],
        columns=["table_key", "rows_as_of_day", "rows_to_date"],
    )


def test_quality_summary_counts_checks_and_names_the_failures() -> None:
    summary = quality_summary(_results(), _quarantine(), gate=None)

    assert summary == {
        "gate": "failed",
        "checks": [
            {"kind": "passed", "count": 2},
            {"kind": "failed", "count": 1},
            {"kind": "warned", "count": 1},
        ],
        "failed": ["dbt: t2"],
        "warned": ["gx: c1"],
        "quarantine": [
            {"table": "app.events", "as_of_day": 0, "to_date": 3},
            {"table": "orders.orders", "as_of_day": 2, "to_date": 5},
        ],
    }


def test_quality_summary_keeps_the_given_gate_and_no_observed_values() -> None:
    summary = quality_summary(_results(), _quarantine(), gate="passed")

    assert summary["gate"] == "passed"
    assert "ann@example.com" not in repr(summary)


def test_quality_summary_without_results_says_so() -> None:
    empty = pd.DataFrame(columns=["suite", "check_name", "severity", "passed"])

    summary = quality_summary(empty, _quarantine().iloc[0:0], gate=None)

    assert summary["gate"] == "no results"
    assert [c["count"] for c in summary["checks"]] == [0, 0, 0]
