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
