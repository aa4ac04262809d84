"""Airflow as the compose file runs it, without Docker (docs/server.md): PostgreSQL set up by
deploy/postgres/init/01-lifecycle.sh, Airflow's metadata there (deploy/airflow/init.sh), and
the four services (api-server, scheduler, dag-processor, triggerer) with LocalExecutor, until
the api-server reports all of them healthy and lists the project's DAG to the admin login."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lifecycle.paths import ROLES
from lifecycle.pgserver import find_binaries, free_port, running_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")


@pytest.fixture(scope="module")
def airflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("airflow-server")
    db_password, admin_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    with running_server() as server_uri:
        port = sa.make_url(server_uri).port
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{find_binaries()}:{os.environ['PATH']}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(port),
            "LIFECYCLE_ROLES": " ".join(ROLES),
            "AIRFLOW_DB_PASSWORD": db_password,
            "SUPERSET_DB_PASSWORD": secrets.token_urlsafe(16),
            "WAREHOUSE_PASSWORD": secrets.token_urlsafe(16),
            **{f"BI_{role.upper()}_PASSWORD": secrets.token_urlsafe(16) for role in ROLES},
        }
        subprocess.run(
            ["bash", str(REPO / "deploy/postgres/init/01-lifecycle.sh")], env=env, check=True,
            capture_output=True,
        )  # fmt: skip
        api_port = free_port()
        env |= {
            "AIRFLOW_HOME": str(folder / "airflow"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"postgresql+psycopg2://airflow:{db_password}@127.0.0.1:{port}/airflow"
            ),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(16),
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(folder / "passwords.json"),
            # Free ports, not the fixed defaults another Airflow on the machine may hold.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW_ADMIN_PASSWORD": admin_password,
            "LIFECYCLE_HOME": str(folder / "home"),
        }
        with (folder / "init.log").open("w") as log:
            done = subprocess.run(
                ["bash", str(REPO / "deploy/airflow/init.sh")], env=env, stdout=log,
                stderr=subprocess.STDOUT, check=False, timeout=300,
            )  # fmt: skip
        assert done.returncode == 0, (folder / "init.log").read_text()[-4000:]
        logs = {name: (folder / f"{name}.log").open("w") for name in SERVICES}
        procs = {
            name: subprocess.Popen(
                [str(Path(sys.executable).with_name("airflow")), name],
                env=env,
                stdout=logs[name],
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            for name in SERVICES
        }
        try:
            yield {
                "url": f"http://127.0.0.1:{api_port}",
                "admin_password": admin_password,
                "procs": procs,
                "folder": folder,
            }
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for handle in logs.values():
                handle.close()


def _wait_for(what: str, server: dict[str, Any], check: Any, timeout: float = 240) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in server["procs"].items():
            if proc.poll() is not None:
                log = (server["folder"] / f"{name}.log").read_text()[-3000:]
                pytest.fail(f"airflow {name} exited with {proc.returncode}:\n{log}")
        try:
            found = check()
        except httpx.TransportError:
            found = None
        if found:
            return found
        time.sleep(2)
    pytest.fail(f"{what} not within {timeout:.0f} s")


def test_airflow_services_on_postgres_report_healthy(airflow_server: dict[str, Any]) -> None:
    def healthy() -> dict[str, str] | None:
        answer = httpx.get(f"{airflow_server['url']}/api/v2/monitor/health", timeout=10)
        states = {k: v["status"] for k, v in answer.json().items()}
        return states if set(states.values()) == {"healthy"} else None

    states = _wait_for("all four components healthy", airflow_server, healthy)

    assert states == {
        "metadatabase": "healthy", "scheduler": "healthy", "triggerer": "healthy",
        "dag_processor": "healthy",
    }  # fmt: skip


def test_airflow_api_server_lists_the_dag_to_the_admin(airflow_server: dict[str, Any]) -> None:
    url = airflow_server["url"]

    def dag_ids() -> list[str] | None:
        token = httpx.post(
            f"{url}/auth/token",
            json={"username": "admin", "password": airflow_server["admin_password"]},
            timeout=10,
        )
        if not token.is_success:
            return None
        answer = httpx.get(
            f"{url}/api/v2/dags",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=10,
        )
        return [dag["dag_id"] for dag in answer.json()["dags"]] or None

    assert _wait_for("the DAG listed", airflow_server, dag_ids) == ["lifecycle_daily"]
