"""Drive Airflow for the CLI: its home under LIFECYCLE_HOME, its metadata DB, and one DAG run.

The operator sees progress lines (from `lifecycle.progress`) while Airflow's full output goes
to a log file whose path is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lifecycle.dbt_runner import dbt_env
from lifecycle.interval import interval_for_as_of
from lifecycle.paths import REPO_ROOT
from lifecycle.progress import PROGRESS_ENV, format_line

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.paths import Home

DAG_ID = "lifecycle_daily"
POOL = "lifecycle_warehouse"


def airflow_env(home: Home) -> dict[str, str]:
    """Environment for every Airflow command: its home, SQLite metadata, no examples."""
    env = dict(os.environ)
    env.update(dbt_env(home))
    env.update(
        {
            "AIRFLOW_HOME": str(home.airflow),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home.airflow / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home.airflow / "logs"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _run(args: list[str], home: Home, log: TextIO) -> int:
    log.write(f"\n$ airflow {' '.join(args)}\n")
    log.flush()
    return subprocess.run(
        [_airflow(), *args],
        env=airflow_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        check=False,
    ).returncode


def ensure_airflow(home: Home, log: TextIO) -> None:
    """Create Airflow's home and metadata DB once, and the warehouse's one-slot pool."""
    home.airflow.mkdir(parents=True, exist_ok=True)
    if (home.airflow / "airflow.db").exists():
        return
    print(f"  setup    Airflow metadata DB in {home.airflow}", flush=True)
    for args in (
        ["db", "migrate"],
        ["pools", "set", POOL, "1", "one writer at a time on the warehouse"],
    ):
        if _run(args, home, log) != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed; see {log.name}")


def logical_date_for(as_of: date) -> str:
    """The logical date to hand `airflow dags test` so the run's interval is the as-of day.

    `dags test` runs the last complete interval before the date it is given, so it gets
    the end of the as-of day's interval.
    """
    _, end = interval_for_as_of(as_of)
    return end.isoformat()


def _follow(path: Path, stop: threading.Event) -> None:
    """Print progress lines as the tasks write them."""
    offset = 0
    while True:
        finished = stop.is_set()
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                fh.seek(offset)
                for raw in fh:
                    if not raw.endswith("\n"):
                        break
                    offset += len(raw.encode("utf-8"))
                    line = format_line(raw)
                    if line:
                        print(line, flush=True)
        if finished:
            return
        time.sleep(0.2)


def run_day(as_of: date, home: Home) -> tuple[bool, Path]:
    """One nightly run for the as-of day through `airflow dags test`; (succeeded, log path)."""
    home.logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_path = home.logs / f"run_{as_of.isoformat()}_{stamp}.log"
    progress_path = home.logs / f"run_{as_of.isoformat()}_{stamp}.progress"
    with log_path.open("w", encoding="utf-8") as log:
        ensure_airflow(home, log)
        print(f"  run      {DAG_ID} for as-of {as_of} (full log: {log_path})", flush=True)
        env = airflow_env(home) | {PROGRESS_ENV: str(progress_path)}
        stop = threading.Event()
        follower = threading.Thread(target=_follow, args=(progress_path, stop), daemon=True)
        follower.start()
        args = ["dags", "test", DAG_ID, logical_date_for(as_of)]
        log.write(f"\n$ airflow {' '.join(args)}\n")
        log.flush()
        code = subprocess.run(
            [_airflow(), *args], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode
        stop.set()
        follower.join()
    return code == 0, log_path
