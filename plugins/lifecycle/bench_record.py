"""What one nightly run left behind, read back for the benchmark (lifecycle.bench).

- Stage times: the task instances of the run in Airflow's metadata DB (start and end of
  each task, as Airflow recorded them). The four extract tasks run one after another under
  `airflow dags test`; the extract stage is the span from the first start to the last end.
- The split of the transform task into dbt and the CLV step: the progress file's
  timestamps (`lifecycle.progress`) of "fitting predictive CLV" and of its result.
- Row counts: the extract and publish tasks' return values (Airflow's XCom), and the rows
  of every table dbt built (tables and incremental models of dbt's manifest).
- Where dbt's time goes: each model's execution time from dbt's JSON log
  (`$LIFECYCLE_HOME/dbt/logs/dbt.log*`), for the models finished inside the run's transform task.

Read-only on everything: the metadata DB, the progress file, the warehouse.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from lifecycle.paths import Home

STAGES = ("extract", "transform", "gate", "publish")


@dataclass(frozen=True)
class TaskSpan:
    task_id: str
    map_index: int
    start: float  # seconds since the epoch
    end: float


def _epoch(stamp: str) -> float:
    """Airflow's SQLite timestamps are UTC without an offset."""
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _connect(airflow_db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{airflow_db}?mode=ro", uri=True, timeout=30)


def latest_run_id(airflow_db: Path, dag_id: str) -> str:
    with _connect(airflow_db) as con:
        row = con.execute(
            "select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)
        ).fetchone()
    if row is None:
        raise LookupError(f"no run of {dag_id} in {airflow_db}")
    return str(row[0])


def task_spans(airflow_db: Path, dag_id: str, run_id: str) -> list[TaskSpan]:
    """Every finished task instance of the run, in start order."""
    with _connect(airflow_db) as con:
        rows = con.execute(
            "select task_id, map_index, start_date, end_date from task_instance"
            " where dag_id = ? and run_id = ? and start_date is not null"
            " and end_date is not null order by start_date",
            (dag_id, run_id),
        ).fetchall()
    return [TaskSpan(str(t), int(m), _epoch(str(s)), _epoch(str(e))) for t, m, s, e in rows]


def task_returns(airflow_db: Path, dag_id: str, run_id: str) -> dict[tuple[str, int], Any]:
    """(task id, map index) -> the task's return value."""
    with _connect(airflow_db) as con:
        rows = con.execute(
            "select task_id, map_index, value from xcom"
            " where dag_id = ? and run_id = ? and key = 'return_value'",
            (dag_id, run_id),
        ).fetchall()
    found: dict[tuple[str, int], Any] = {}
    for task, index, value in rows:
        data = json.loads(value) if isinstance(value, str | bytes) else value
        found[(str(task), int(index))] = data
    return found


def stage_windows(spans: list[TaskSpan]) -> dict[str, tuple[float, float]]:
    """Each stage's (start, end): its tasks' first start to last end."""
    windows: dict[str, tuple[float, float]] = {}
    for span in spans:
        if span.task_id not in STAGES:
            continue
        start, end = windows.get(span.task_id, (span.start, span.end))
        windows[span.task_id] = (min(start, span.start), max(end, span.end))
    return windows


def progress_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(raw))
        except json.JSONDecodeError:
            continue
    return records


def predict_window(records: list[dict[str, Any]]) -> tuple[float, float] | None:
    """(start, end) of the CLV step inside the transform task: its two progress records."""
    stamps = [float(r["at"]) for r in records if r.get("stage") == "predict" and "at" in r]
    if len(stamps) < 2:
        return None
    return stamps[0], stamps[-1]


def stage_seconds(
    windows: dict[str, tuple[float, float]], predict: tuple[float, float] | None, wall: float
) -> dict[str, float]:
    """Seconds per stage: extract, dbt (the transform task less the CLV step), predict, gate,
    publish, and `airflow`: the rest of the wall time (the `dags test` process starting and
    parsing the DAG, the list_sources task, the gaps between tasks, the ending)."""
    took = {name: end - start for name, (start, end) in windows.items()}
    predict_s = predict[1] - predict[0] if predict else 0.0
    seconds = {
        "extract": took.get("extract", 0.0),
        "dbt": took.get("transform", 0.0) - predict_s,
        "predict": predict_s,
        "gate": took.get("gate", 0.0),
        "publish": took.get("publish", 0.0),
    }
    seconds["airflow"] = wall - sum(seconds.values())
    return seconds


def _utc(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def model_times(home: Home, start: float, end: float) -> list[dict[str, Any]]:
    """The models dbt finished between `start` and `end`, slowest first: name, materialization,
    seconds (dbt's execution time; with 2 threads two models can run at once)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for log in sorted((home.root / "dbt" / "logs").glob("dbt.log*")):
        with log.open(encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                if '"LogModelResult"' not in raw:
                    continue
                try:
                    event = json.loads(raw)
                    info, data = event["info"], event["data"]
                    at = _utc(str(info["ts"]))
                except (json.JSONDecodeError, KeyError, ValueError):
                    continue
                if not start <= at <= end:
                    continue
                node = data.get("node_info") or {}
                key = (str(info.get("invocation_id")), str(node.get("node_name")))
                found[key] = {
                    "model": node.get("node_name"),
                    "materialized": node.get("materialized"),
                    "seconds": float(data.get("execution_time") or 0.0),
                }
    return sorted(found.values(), key=lambda m: -float(m["seconds"]))


def built_tables(home: Home) -> list[tuple[str, str]]:
    """(schema, table) of every model dbt materialises as a table (incremental included)."""
    manifest = home.dbt_target / "manifest.json"
    if not manifest.is_file():
        return []
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    return sorted(
        (str(n["schema"]), str(n.get("alias") or n["name"]))
        for n in nodes
        if n.get("resource_type") == "model"
        and n.get("config", {}).get("materialized") in ("table", "incremental")
    )


def built_rows(home: Home) -> int:
    """Rows in the tables dbt built (incremental models counted whole)."""
    from lifecycle.warehouse import open_warehouse

    tables = built_tables(home)
    if not tables:
        return 0
    total = 0
    with open_warehouse(home, read_only=True) as wh:
        schemas = sorted({schema for schema, _ in tables})
        present = {(schema, name) for schema in schemas for name in wh.tables(schema)}
        for schema, table in tables:
            if (schema, table) in present:
                row = wh.query_one(f'select count(*) from "{schema}"."{table}"')
                total += int(row[0]) if row else 0
    return total


def nightly_fit(home: Home, as_of: str) -> dict[str, Any] | None:
    """The nightly CLV fit's own record (predictions.model_fits): seconds, customers, status."""
    from lifecycle.warehouse import open_warehouse

    with open_warehouse(home, read_only=True) as wh:
        if "model_fits" not in wh.tables("predictions"):
            return None
        row = wh.query_one(
            "select max(fit_seconds), max(customers), max(status) from predictions.model_fits"
            " where as_of_date = cast(? as date)",
            [as_of],
        )
    if row is None or row[0] is None:
        return None
    return {"fit_seconds": float(row[0]), "customers": int(row[1]), "status": str(row[2])}
