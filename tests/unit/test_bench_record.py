"""Reading a nightly run's record back for the benchmark: stage times, counts, CLV step."""

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from lifecycle.bench_record import (
    TaskSpan,
    built_tables,
    predict_window,
    progress_records,
    stage_seconds,
    stage_windows,
    task_returns,
    task_spans,
)
from lifecycle.paths import Home

T0 = datetime(2026, 6, 30, 2, 0, tzinfo=UTC).timestamp()


def test_stage_windows_spans_the_mapped_extract_tasks() -> None:
    spans = [
        TaskSpan("list_sources", -1, T0, T0 + 3),
        TaskSpan("extract", 0, T0 + 3, T0 + 5),
        TaskSpan("extract", 1, T0 + 5, T0 + 9),
        TaskSpan("transform", -1, T0 + 9, T0 + 30),
    ]

    assert stage_windows(spans) == {"extract": (T0 + 3, T0 + 9), "transform": (T0 + 9, T0 + 30)}


def test_stage_seconds_takes_the_clv_step_out_of_dbt_and_leaves_the_rest_to_airflow() -> None:
    windows = {"extract": (0.0, 6.0), "transform": (6.0, 36.0), "gate": (36.0, 46.0),
               "publish": (46.0, 47.0)}  # fmt: skip

    took = stage_seconds(windows, predict=(20.0, 22.0), wall=55.0)

    assert took == {"extract": 6.0, "dbt": 28.0, "predict": 2.0, "gate": 10.0, "publish": 1.0,
                    "airflow": 8.0}  # fmt: skip


def test_predict_window_is_the_first_and_last_clv_progress_record(tmp_path: Path) -> None:
    path = tmp_path / "run.progress"
    records = [{"stage": "dbt", "message": "1/2", "at": 10.0},
               {"stage": "predict", "message": "fitting", "at": 12.5},
               {"stage": "predict", "message": "fitted", "at": 14.0},
               {"stage": "dbt", "message": "2/2", "at": 15.0}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")

    assert predict_window(progress_records(path)) == (12.5, 14.0)
    assert predict_window(records[:2]) is None


def _airflow_db(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("create table task_instance (dag_id, task_id, map_index, run_id,"
                    " start_date, end_date)")  # fmt: skip
        con.execute("create table xcom (dag_id, task_id, map_index, run_id, key, value)")
        con.executemany(
            "insert into task_instance values ('d', ?, ?, ?, ?, ?)",
            [("extract", 1, "r1", "2026-06-30 02:00:05.5", "2026-06-30 02:00:07"),
             ("extract", 0, "r1", "2026-06-30 02:00:01", "2026-06-30 02:00:05"),
             ("gate", -1, "r1", "2026-06-30 02:00:08", None),
             ("extract", 0, "r0", "2026-06-29 02:00:01", "2026-06-29 02:00:05")],
        )  # fmt: skip
        con.executemany(
            "insert into xcom values ('d', ?, ?, 'r1', ?, ?)",
            [("extract", 0, "return_value", json.dumps({"read": 7})),
             ("extract", 0, "read", "7"),
             ("publish", -1, "return_value", json.dumps({"rows": 3}))],
        )  # fmt: skip
    return path


def test_task_spans_reads_the_runs_finished_tasks_in_start_order(tmp_path: Path) -> None:
    spans = task_spans(_airflow_db(tmp_path / "airflow.db"), "d", "r1")

    assert [(s.task_id, s.map_index) for s in spans] == [("extract", 0), ("extract", 1)]
    assert spans[0].start == T0 + 1 and spans[1].end == T0 + 7


def test_task_returns_reads_return_values_only(tmp_path: Path) -> None:
    returns = task_returns(_airflow_db(tmp_path / "airflow.db"), "d", "r1")

    assert returns == {("extract", 0): {"read": 7}, ("publish", -1): {"rows": 3}}


def test_built_tables_lists_table_and_incremental_models(tmp_path: Path) -> None:
    home = Home(tmp_path)
    home.dbt_target.mkdir(parents=True)
    nodes = {
        "model.p.a": {"resource_type": "model", "schema": "marts", "name": "a",
                      "alias": "a", "config": {"materialized": "table"}},
        "model.p.b": {"resource_type": "model", "schema": "staging", "name": "b",
                      "alias": "b", "config": {"materialized": "incremental"}},
        "model.p.c": {"resource_type": "model", "schema": "staging", "name": "c",
                      "alias": "c", "config": {"materialized": "view"}},
        "test.p.t": {"resource_type": "test", "schema": "x", "name": "t",
                     "config": {"materialized": "test"}},
    }  # fmt: skip
    (home.dbt_target / "manifest.json").write_text(json.dumps({"nodes": nodes}))

    assert built_tables(home) == [("marts", "a"), ("staging", "b")]


def _model_event(name: str, ts: str, seconds: float, invocation: str = "i1") -> str:
    return json.dumps({
        "info": {"name": "LogModelResult", "ts": ts, "invocation_id": invocation},
        "data": {"execution_time": seconds,
                 "node_info": {"node_name": name, "materialized": "table"}},
    })  # fmt: skip


def test_model_times_lists_the_models_finished_in_the_window_slowest_first(
    tmp_path: Path,
) -> None:
    from lifecycle.bench_record import model_times

    home = Home(tmp_path)
    logs = home.root / "dbt" / "logs"
    logs.mkdir(parents=True)
    (logs / "dbt.log.1").write_text(_model_event("early", "2026-06-30T01:59:59Z", 9.0) + "\n")
    (logs / "dbt.log").write_text("\n".join([
        _model_event("fast", "2026-06-30T02:00:10.5Z", 0.5),
        _model_event("slow", "2026-06-30T02:00:20Z", 7.25),
        '{"info": {"name": "LogTestResult"}}',
        "not json",
        _model_event("late", "2026-06-30T02:05:00Z", 30.0),
    ]) + "\n")  # fmt: skip

    got = model_times(home, T0, T0 + 60)

    assert [(m["model"], m["seconds"]) for m in got] == [("slow", 7.25), ("fast", 0.5)]
