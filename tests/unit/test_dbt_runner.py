"""The dbt runner's outcome for commands with and without node results."""

from datetime import date
from pathlib import Path

import pytest

from lifecycle.dbt_runner import run_dbt
from lifecycle.paths import Home


def test_a_command_without_node_results_succeeds_when_dbt_does(tmp_path: Path) -> None:
    outcome = run_dbt(["parse"], date(2026, 6, 30), Home(tmp_path))
    assert outcome.success and outcome.results == [] and outcome.failures == []


def test_an_out_of_memory_failure_tells_the_operator_which_setting_to_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lifecycle.dbt_runner import _advice

    monkeypatch.setenv("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "2GB")
    oom = {"message": "Runtime Error in model fct_orders\n  Out of Memory Error: failed to pin"}
    advice = _advice(oom)
    assert "LIFECYCLE_DUCKDB_MEMORY_LIMIT=2GB" in advice and "raise it" in advice
    assert _advice({"message": "Binder Error: column x not found"}) == ""


def test_a_users_vars_are_merged_into_the_runners_and_win() -> None:
    from lifecycle.dbt_runner import split_user_vars

    args, given = split_user_vars(
        ["build", "--vars", "{churned_after_days: 120, x: 'a'}", "--select", "m", "--vars={y: 2}"]
    )
    assert args == ["build", "--select", "m"]
    assert given == {"churned_after_days": 120, "x": "a", "y": 2}
    assert split_user_vars(["test"]) == (["test"], {})


def test_vars_that_are_not_a_mapping_are_refused_with_the_text() -> None:
    from lifecycle.dbt_runner import DbtError, split_user_vars

    with pytest.raises(DbtError, match="must be a mapping"):
        split_user_vars(["build", "--vars", "[1, 2]"])
    with pytest.raises(DbtError, match="not YAML"):
        split_user_vars(["build", "--vars", "{a: [}"])


def test_a_users_as_of_date_var_reaches_the_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the runner's own --vars came last and dbt kept only those."""
    monkeypatch.setenv("LIFECYCLE_HOME", str(tmp_path))
    home = Home(tmp_path)
    outcome = run_dbt(
        ["compile", "--select", "stg_app__events", "--vars", "{as_of_date: '2025-01-31'}"],
        date(2026, 6, 30), home,
    )  # fmt: skip
    assert outcome.success
    compiled = next((home.dbt_target / "compiled").rglob("stg_app__events.sql")).read_text()
    assert "2025-01-31" in compiled and "2026-06-30" not in compiled
