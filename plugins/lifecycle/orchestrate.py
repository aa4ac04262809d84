"""Drive Airflow for the CLI: its home under LIFECYCLE_HOME, its metadata DB, and one DAG run.

The operator sees progress lines (from `lifecycle.progress`) while Airflow's full output goes
to a log file whose path is printed.
"""

from __future__ import annotations

import json
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
            # timeout: wait for SQLite's one writer instead of failing with "database is locked"
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"sqlite:///{home.airflow / 'airflow.db'}?timeout=60"
            ),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home.airflow / "logs"),
            # A busy 2-core machine (dbt in the next task) can keep the api-server from
            # answering a starting task within the 5 s default: wait, do not fail the task.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _run(args: list[str], home: Home, log: TextIO, env: dict[str, str] | None = None) -> int:
    """One Airflow command, its output appended to the log; the exit code."""
    log.write(f"\n$ airflow {' '.join(args)}\n")
    log.flush()
    return subprocess.run(
        [_airflow(), *args],
        env=env or airflow_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        check=False,
    ).returncode


def pool_slots(home: Home) -> int | None:
    """Slots of the warehouse pool in the metadata DB (None: no DB or no such pool)."""
    import sqlite3

    db = home.airflow / "airflow.db"
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
            row = con.execute("select slots from slot_pool where pool = ?", (POOL,)).fetchone()
    except sqlite3.OperationalError:  # not migrated (yet)
        return None
    return int(row[0]) if row else None


def ensure_airflow(home: Home, log: TextIO) -> None:
    """Create Airflow's home and metadata DB once, and the warehouse's one-slot pool (set
    again whenever it is missing or has another size)."""
    home.airflow.mkdir(parents=True, exist_ok=True)
    commands = []
    if not (home.airflow / "airflow.db").exists():
        print(f"  setup    Airflow metadata DB in {home.airflow}", flush=True)
        commands.append(["db", "migrate"])
    if not commands and pool_slots(home) == 1:
        return
    commands.append(["pools", "set", POOL, "1", "one writer at a time on the warehouse"])
    for args in commands:
        if _run(args, home, log) != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed; see {log.name}")


def logical_date_for(as_of: date) -> str:
    """The logical date of the run for an as-of day: that day's midnight (UTC), for
    `airflow dags test` as for scheduled and backfill runs (`lifecycle.timetable`)."""
    start, _ = interval_for_as_of(as_of)
    return start.isoformat()


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


def run_day(as_of: date, home: Home, full_refresh: bool = False) -> tuple[bool, Path]:
    """One nightly run for the as-of day through `airflow dags test`; (succeeded, log path).

    `full_refresh` sets the DAG param of that name (the incremental models are rebuilt).
    """
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
        command = ["dags", "test", DAG_ID, logical_date_for(as_of)]
        if full_refresh:
            command += ["--conf", json.dumps({"full_refresh": True})]
        code = _run(command, home, log, env)
        stop.set()
        follower.join()
    return code == 0, log_path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"airflow api-server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"airflow api-server not healthy on port {port} after {timeout:.0f} s")


def _backfill_states(home: Home, start: date, end: date) -> tuple[dict[str, str], bool]:
    """State of each backfill run in the range, keyed by its logical date, and whether
    Airflow has marked the latest backfill completed (read-only on the metadata DB).

    The scheduler completes a backfill a moment after its last run ends; stopping it
    earlier leaves the backfill "running" and the next one is refused."""
    import sqlite3

    db = home.airflow / "airflow.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        rows = con.execute(
            "select logical_date, state from dag_run where dag_id = ? and run_type = 'backfill'"
            " and date(logical_date) between ? and ?",
            (DAG_ID, start.isoformat(), end.isoformat()),
        ).fetchall()
        latest = con.execute(
            "select completed_at from backfill where dag_id = ? order by id desc limit 1",
            (DAG_ID,),
        ).fetchone()
    completed = latest is not None and latest[0] is not None
    return {str(day)[:10]: str(state) for day, state in rows}, completed


def backfill(start: date, end: date, home: Home, timeout_s: float = 3600.0) -> tuple[bool, Path]:
    """Re-run every as-of day from start to end through Airflow's own backfill.

    `airflow backfill create` only queues runs; they execute with a scheduler and an
    api-server running (tasks talk to the api-server) and the DAG unpaused. This starts
    both for the duration of the backfill, on a free loopback port, and stops them after.
    """
    home.logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_path = home.logs / f"backfill_{start.isoformat()}_{end.isoformat()}_{stamp}.log"
    progress_path = log_path.with_suffix(".progress")
    port = _free_port()
    env = airflow_env(home) | {
        PROGRESS_ENV: str(progress_path),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        # The scheduler's log server: a free port too, not the fixed 8793 another
        # Airflow on the machine may hold.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        # Only the backfill's runs: no scheduled run of the latest interval meanwhile.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    }
    days = (end - start).days + 1
    with log_path.open("w", encoding="utf-8") as log:
        ensure_airflow(home, log)
        print(f"  backfill {DAG_ID} for as-of {start} .. {end} ({days} runs; full log: {log_path})",
              flush=True)  # fmt: skip
        for args in (["dags", "reserialize"], ["dags", "unpause", DAG_ID]):
            if _run(args, home, log) != 0:
                raise RuntimeError(f"airflow {' '.join(args)} failed; see {log_path}")
        # Queue the runs before the scheduler starts: SQLite has one writer at a time.
        create = ["backfill", "create", "--dag-id", DAG_ID,
                  "--from-date", start.isoformat(), "--to-date", end.isoformat(),
                  "--reprocess-behavior", "completed", "--max-active-runs", "1"]  # fmt: skip
        if _run(create, home, log) != 0:
            raise RuntimeError(f"airflow backfill create failed; see {log_path}")
        services = [
            subprocess.Popen([_airflow(), "api-server", "--port", str(port)], env=env, stdout=log,
                             stderr=subprocess.STDOUT),
        ]  # fmt: skip
        stop = threading.Event()
        follower = threading.Thread(target=_follow, args=(progress_path, stop), daemon=True)
        follower.start()
        states: dict[str, str] = {}
        try:
            # Tasks report to the api-server from their first second: the scheduler starts
            # only once it answers (on a busy machine it can take tens of seconds).
            _wait_healthy(port, services[0])
            services.append(
                subprocess.Popen(
                    [_airflow(), "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT
                )  # fmt: skip
            )
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                states, completed = _backfill_states(home, start, end)
                finished = [s for s in states.values() if s in ("success", "failed")]
                if completed and len(states) == days and len(finished) == days:
                    break
                time.sleep(3)
        finally:
            for proc in services:
                proc.terminate()
            for proc in services:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            stop.set()
            follower.join()
    for day, state in sorted(states.items()):
        print(f"  backfill as-of {day}: {state}", flush=True)
    ok = len(states) == days and all(s == "success" for s in states.values())
    return ok, log_path
