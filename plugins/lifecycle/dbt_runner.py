"""Run dbt with the lifecycle rules as vars and the run's as-of date in the environment.

Progress ("dbt 12/40 stg_orders__orders OK") comes from dbt's JSON event log; dbt's log
goes to the task log and to `$LIFECYCLE_HOME/dbt/logs` (info level; the statements run are
in `$LIFECYCLE_HOME/dbt/target/run/`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle import progress
from lifecycle.paths import REPO_ROOT

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.paths import Home

log = logging.getLogger(__name__)
DBT_PROJECT = REPO_ROOT / "dbt_project"
# dbt-spark and pyspark (large) live in a venv of their own, pinned by
# deploy/spark/requirements.txt, so that the project's .venv stays lean.
SPARK_VENV = REPO_ROOT / ".venv-spark"
# The suffix of the role schemas dbt builds on PostgreSQL before publish swaps them in.
NEXT_SUFFIX = "__next"
_RESULT_EVENTS = {"LogModelResult", "LogSeedResult", "LogTestResult", "LogSnapshotResult"}
# The run values that change every night go to dbt as environment variables, not `--vars`
# (macros/run_vars.sql, run_value): dbt re-parses the whole project when its vars change
# (3.6 s a night at 100,000 people) but only the files that read a changed environment
# variable. The rules from config/lifecycle.yml stay vars: they change rarely.
NIGHTLY_VALUES = {
    "as_of_date": "LIFECYCLE_AS_OF_DATE",
    "lifecycle__reprocess_from": "LIFECYCLE_REPROCESS_FROM",
    "lifecycle__tested_from": "LIFECYCLE_TESTED_FROM",
}


class DbtError(RuntimeError):
    """dbt failed; the message names the failing nodes."""


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def dbt_env(home: Home) -> dict[str, str]:
    """dbt's environment: the home, the target (lifecycle.target) and, for `postgres`, the
    warehouse connection parsed from the Airflow connection into profiles.yml's variables."""
    from lifecycle.target import PgSettings, warehouse_target

    target = warehouse_target()
    env = {
        "LIFECYCLE_HOME": str(home.root),
        "LIFECYCLE_TARGET": target,
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_VERSION_CHECK": "False",
        # dbt's own file log (`$LIFECYCLE_HOME/dbt/logs/dbt.log`) at info, not its default
        # debug, which writes every statement and costs the gate's 400 tests about 2 s a
        # night; DBT_LOG_LEVEL_FILE=debug in the environment brings it back.
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "info"),
    }
    if target == "postgres":
        env.update(PgSettings.from_env().dbt_env())
    return env


def dbt_executable(target: str) -> Path:
    """The dbt to run: on `spark` the one of `.venv-spark/` when it is there (dbt-spark and
    pyspark), else, as for every other target, the dbt installed beside this Python."""
    own = SPARK_VENV / "bin" / "dbt"
    if target == "spark" and own.is_file():
        return own
    return Path(sys.executable).with_name("dbt")


def publish_vars(target: str) -> dict[str, str]:
    """On PostgreSQL the role schemas are built under a staging name, checked, and swapped
    in by publishing (lifecycle.publish_pg); DuckDB publishes files of the built schemas."""
    return {"lifecycle__publish_schema_suffix": NEXT_SUFFIX} if target == "postgres" else {}


def _progress_line(event: dict[str, Any], quiet_passes: bool) -> str | None:
    """One operator line for a node-finished event of dbt's JSON log, else None.

    With `quiet_passes` (the gate's tests) only nodes that did not pass get a line.
    """
    info, data = event.get("info", {}), event.get("data", {})
    if info.get("name") not in _RESULT_EVENTS:
        return None
    node = data.get("node_info") or {}
    label = node.get("node_name") or data.get("name", "?")
    total = data.get("total") or data.get("num_models") or "?"
    status = str(data.get("status") or node.get("node_status") or "").upper()
    if quiet_passes and status in ("PASS", "SUCCESS"):
        return None
    return f"{data.get('index', '?'):>3}/{total:<3} {label} {status}"


def split_user_vars(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The dbt arguments without the caller's own `--vars`, and those vars. dbt keeps only
    the last `--vars` it is given, and the runner passes its own (the as-of date, the rules):
    so a user's `lifecycle dbt -- build --vars '{...}'` is merged into them instead, and wins
    where both name a var."""
    import yaml

    rest: list[str] = []
    given: dict[str, Any] = {}
    items = iter(args)
    for arg in items:
        if arg == "--vars" or arg.startswith("--vars="):
            text = arg.split("=", 1)[1] if "=" in arg else next(items, "")
            try:
                parsed = yaml.safe_load(text) if text.strip() else {}
            except yaml.YAMLError as exc:
                raise DbtError(f"--vars {text!r} is not YAML: {exc}") from exc
            if not isinstance(parsed, dict):
                raise DbtError(f"--vars must be a mapping, e.g. '{{name: value}}', got {text!r}")
            given |= parsed
        else:
            rest.append(arg)
    return rest, given


def run_dbt(
    args: list[str], as_of: date, home: Home, dbt_vars: dict[str, Any] | None = None,
    stage: str = "dbt", quiet_passes: bool = False,
) -> DbtOutcome:  # fmt: skip
    """Run one dbt command (`build`, `test`, ...) for the as-of date in its own process.

    A separate process so that dbt's DuckDB connection is closed when it returns (the gate
    and publish open the warehouse next). Progress comes from dbt's JSON log; the outcome
    from `run_results.json`. Never raises for failing nodes: the caller decides.
    """
    from lifecycle.config import load_lifecycle

    env = os.environ | dbt_env(home)
    args, given = split_user_vars(args)
    variables = (
        load_lifecycle().dbt_vars(as_of)
        | publish_vars(env["LIFECYCLE_TARGET"])
        | (dbt_vars or {})
        | given
    )
    for name, env_name in NIGHTLY_VALUES.items():
        value = variables.pop(name, None)
        env[env_name] = "" if value is None else str(value)
    results_file = home.dbt_target / "run_results.json"
    results_file.unlink(missing_ok=True)
    cmd = [
        str(dbt_executable(env["LIFECYCLE_TARGET"])),
        *args,
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target", env["LIFECYCLE_TARGET"],
        "--target-path", str(home.dbt_target),
        "--log-path", str(home.root / "dbt" / "logs"),
        "--vars", json.dumps(variables),
        "--log-format", "json",
    ]  # fmt: skip
    errors: list[str] = []
    with subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                log.info("dbt: %s", raw.rstrip())
                continue
            info = event.get("info", {})
            log.info("dbt: %s", info.get("msg", ""))
            if info.get("level") == "error":
                errors.append(str(info.get("msg", "")).strip())
            line = _progress_line(event, quiet_passes)
            if line:
                progress.emit(stage, line)
    if not results_file.exists() and proc.returncode == 0:
        return DbtOutcome(success=True)  # parse, deps, ls: commands without node results
    if not results_file.exists():
        detail = "; ".join(errors[-3:]) or "see the log above"
        raise DbtError(f"dbt {args[0]} could not run (exit {proc.returncode}): {detail}")
    outcome = DbtOutcome(success=proc.returncode == 0)
    for node in json.loads(results_file.read_text(encoding="utf-8"))["results"]:
        status = str(node["status"])
        parts = node["unique_id"].split(".")
        name = parts[-1] if parts[0] == "unit_test" else parts[2]
        entry = {
            "unique_id": node["unique_id"],
            "name": name,
            "status": status,
            "message": node.get("message"),
            "failures": node.get("failures"),
        }
        outcome.results.append(entry)
        if status in ("error", "fail", "runtime error"):
            outcome.failures.append(f"{name}: {node.get('message')}{_advice(node)}")
    return outcome


MEMORY_ENV = "LIFECYCLE_DUCKDB_MEMORY_LIMIT"


def _advice(node: dict[str, Any]) -> str:
    """What the operator can do about a failure that is the machine's, not the data's."""
    if "Out of Memory Error" not in str(node.get("message") or ""):
        return ""
    limit = os.environ.get(MEMORY_ENV) or "1GB, profiles.yml's default"
    return (
        f" [DuckDB ran out of its memory limit ({MEMORY_ENV}={limit}): raise it for this"
        f" data's size, e.g. `export {MEMORY_ENV}=4GB` (README: Benchmark), and run the"
        " day again]"
    )
