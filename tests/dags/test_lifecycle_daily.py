from pathlib import Path
from typing import Any

import pytest
from airflow.timetables.interval import CronDataIntervalTimetable

from lifecycle.paths import REPO_ROOT, ROLES, Home


@pytest.fixture(scope="module")
def dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.dags["lifecycle_daily"]


def test_dag_has_a_daily_interval_timetable_and_one_active_run(dag: Any) -> None:
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.max_active_runs == 1
    assert "lifecycle" in dag.tags


def test_dag_retries_extraction_only(dag: Any) -> None:
    retries = {task.task_id: task.retries for task in dag.tasks}
    assert retries["extract"] > 0
    assert retries["transform"] == retries["gate"] == retries["publish"] == 0


def test_dag_writers_share_the_one_slot_pool(dag: Any) -> None:
    pools = {task.task_id: task.pool for task in dag.tasks}
    assert pools["transform"] == pools["gate"] == pools["publish"] == "lifecycle_warehouse"


def test_dag_publishes_only_after_the_gate(dag: Any) -> None:
    assert dag.get_task("publish").upstream_task_ids == {"gate"}
    assert dag.get_task("gate").upstream_task_ids == {"transform"}
    assert dag.get_task("transform").upstream_task_ids == {"extract"}


def test_dag_publish_emits_one_asset_per_role(dag: Any) -> None:
    uris = sorted(asset.uri for asset in dag.get_task("publish").outlets)
    assert uris == sorted(f"lifecycle://serving/{role}" for role in ROLES)


def test_dag_pool_is_the_one_the_set_up_creates() -> None:
    import importlib.util

    from lifecycle.orchestrate import POOL

    spec = importlib.util.spec_from_file_location("dag_file", REPO_ROOT / "dags/lifecycle_daily.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.POOL == POOL == "lifecycle_warehouse"


@pytest.mark.slow
def test_airflow_set_up_creates_the_pool_with_one_slot_and_mends_it(tmp_path: Path) -> None:
    import sqlite3

    from lifecycle.orchestrate import POOL, ensure_airflow, pool_slots

    home = Home(tmp_path)
    with (tmp_path / "setup.log").open("w") as log:
        ensure_airflow(home, log)
        assert pool_slots(home) == 1
        with sqlite3.connect(home.airflow / "airflow.db") as con:
            con.execute("update slot_pool set slots = 4 where pool = ?", (POOL,))
        assert pool_slots(home) == 4

        ensure_airflow(home, log)  # an existing home with the pool changed by hand

    assert pool_slots(home) == 1
