"""The dbt runner's outcome for commands with and without node results."""

from datetime import date
from pathlib import Path

from lifecycle.dbt_runner import run_dbt
from lifecycle.paths import Home


def test_a_command_without_node_results_succeeds_when_dbt_does(tmp_path: Path) -> None:
    outcome = run_dbt(["parse"], date(2026, 6, 30), Home(tmp_path))
    assert outcome.success and outcome.results == [] and outcome.failures == []
