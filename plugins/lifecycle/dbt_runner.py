"""Run dbt in-process with the run's as-of date and the lifecycle rules as vars.

Progress ("dbt 12/40 stg_orders__orders OK") comes from dbt's own event stream through a
callback; dbt's full log goes to `$LIFECYCLE_HOME/dbt/logs`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lifecycle import progress
from lifecycle.paths import REPO_ROOT

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.paths import Home

log = logging.getLogger(__name__)
DBT_PROJECT = REPO_ROOT / "dbt_project"
_RESULT_EVENTS = {"LogModelResult", "LogSeedResult", "LogTestResult", "LogSnapshotResult"}


class DbtError(RuntimeError):
    """dbt failed; the message names the failing nodes."""


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def dbt_env(home: Home) -> dict[str, str]:
    return {
        "LIFECYCLE_HOME": str(home.root),
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_VERSION_CHECK": "False",
    }


def run_dbt(
    args: list[str], as_of: date, home: Home, dbt_vars: dict[str, Any] | None = None,
    stage: str = "dbt",
) -> DbtOutcome:  # fmt: skip
    """Invoke one dbt command (`build`, `run`, `test`, `seed`, ...) for the as-of date.

    Returns the outcome with one entry per node; never raises for failing nodes, so the
    caller decides whether a failure stops the run.
    """
    from dbt.cli.main import dbtRunner

    from lifecycle.config import load_lifecycle

    os.environ.update(dbt_env(home))
    variables = load_lifecycle().dbt_vars(as_of) | (dbt_vars or {})

    def on_event(event: Any) -> None:
        name = event.info.name
        if name not in _RESULT_EVENTS:
            return
        data = event.data
        node = getattr(data, "node_info", None)
        label = node.node_name if node is not None else getattr(data, "name", "?")
        status = str(getattr(data, "status", "")).upper()
        progress.emit(stage, f"{data.index:>3}/{data.total:<3} {label} {status}")

    cli_args = [
        *args,
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target-path", str(home.dbt_target),
        "--log-path", str(home.root / "dbt" / "logs"),
        "--vars", json.dumps(variables),
        "--quiet",
    ]  # fmt: skip
    result = dbtRunner(callbacks=[on_event]).invoke(cli_args)
    outcome = DbtOutcome(success=bool(result.success))
    if result.exception is not None:
        raise DbtError(f"dbt {args[0]} could not run: {result.exception}")
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status)
        entry = {
            "unique_id": node_result.node.unique_id,
            "name": node_result.node.name,
            "status": status,
            "message": node_result.message,
            "failures": node_result.failures,
        }
        outcome.results.append(entry)
        if status in ("error", "fail", "runtime error"):
            outcome.failures.append(f"{node_result.node.name}: {node_result.message}")
    return outcome
