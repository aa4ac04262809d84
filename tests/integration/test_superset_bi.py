"""A real BI tool on the role schemas: Apache Superset, from the registry, in its own venv.

Superset (the pins of deploy/superset/requirements.txt, the same as the compose service's
image) is installed once into `.venv-superset/` at the repository root and reused while its
stamp matches the pins. The warehouse is the project's own publication: the nightly DAG run
through Airflow on a PostgreSQL laid out by the compose file's init script (the `pg_nightly`
fixture, conftest.py), with the grants publishing created, and password authentication for
every login. Superset is provisioned by the compose file's script (deploy/superset/init.sh:
metadata, admin, one connection per role) with SQLite metadata in a temporary folder,
started with `superset run` on a free loopback port, and driven only through its REST API.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pg_layout import PgNightly, ServerWarehouse
from pinned_venv import pinned_venv

from lifecycle.paths import ROLES
from lifecycle.pgserver import free_port

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
SUPERSET_VENV = REPO / ".venv-superset"
REQUIREMENTS = REPO / "deploy" / "superset" / "requirements.txt"
SEGMENTS_QUERY = (
    "select lifecycle_stage, sum(customers) as customers,"
    " sum(contactable_customers) as contactable_customers,"
    " sum(historical_clv_usd) as historical_clv_usd"
    " from publish_marketing.rpt_marketing__segments"
    " group by lifecycle_stage order by lifecycle_stage"
)


def superset_bin() -> Path:
    """The bin folder of Superset's own venv, installed once per set of pins."""
    return pinned_venv(SUPERSET_VENV, REQUIREMENTS, "superset", timeout=900)


@pytest.fixture(scope="module")
def warehouse(pg_nightly: PgNightly) -> ServerWarehouse:
    """The server once the nightly DAG has published into it."""
    for day, (ok, log_path) in pg_nightly.runs.items():
        assert ok, f"the nightly run for {day} failed:\n{log_path.read_text()[-4000:]}"
    return pg_nightly.warehouse


class Superset:
    """A logged-in client of Superset's REST API (bearer token + CSRF token and cookie)."""

    def __init__(self, base_url: str, user: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        login = self.http.post(
            "/api/v1/security/login",
            json={"username": user, "password": password, "provider": "db", "refresh": True},
        )
        login.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = self.http.get("/api/v1/security/csrf_token/")
        csrf.raise_for_status()
        self.http.headers["X-CSRFToken"] = csrf.json()["result"]
        self.http.headers["Referer"] = base_url

    def add_database(self, name: str, uri: str) -> int:
        answer = self.http.post(
            "/api/v1/database/",
            json={"database_name": name, "sqlalchemy_uri": uri, "expose_in_sqllab": True},
        )
        assert answer.status_code == 201, answer.text
        database_id: int = answer.json()["id"]
        return database_id

    def databases(self) -> dict[str, int]:
        answer = self.http.get("/api/v1/database/", params={"q": "(page_size:100)"})
        answer.raise_for_status()
        return {row["database_name"]: row["id"] for row in answer.json()["result"]}

    def execute(self, database_id: int, sql: str) -> httpx.Response:
        return self.http.post(
            "/api/v1/sqllab/execute/",
            json={
                "database_id": database_id,
                "sql": sql,
                "runAsync": False,
                "client_id": secrets.token_hex(5),  # at most 11 characters
                "queryLimit": 1000,
                "select_as_cta": False,
            },
        )


def _superset_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(REPO / "deploy/superset/superset_config.py"),
        "SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(32),
        "SUPERSET_METADATA_URI": f"sqlite:///{home / 'superset.db'}",
        "FLASK_APP": "superset",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="module")
def superset(
    warehouse: ServerWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Superset]:
    bin_dir = superset_bin()
    home = tmp_path_factory.mktemp("superset")
    admin_password = secrets.token_urlsafe(16)
    env = _superset_env(home) | {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SUPERSET_ADMIN_USER": "admin",
        "SUPERSET_ADMIN_PASSWORD": admin_password,
        "LIFECYCLE_ROLES": " ".join(ROLES),
        "WAREHOUSE_HOST": "127.0.0.1",
        "WAREHOUSE_PORT": str(warehouse.port),
        "WAREHOUSE_DB": "lifecycle",
        **{f"BI_{role.upper()}_PASSWORD": pw for role, pw in warehouse.passwords.items()},
    }
    started = time.monotonic()
    with (home / "init.log").open("w") as init_log:
        done = subprocess.run(
            ["bash", str(REPO / "deploy/superset/init.sh")], env=env, stdout=init_log,
            stderr=subprocess.STDOUT, check=False, timeout=600,
        )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"deploy/superset/init.sh failed:\n{(home / 'init.log').read_text()[-4000:]}")
    log.warning("superset init.sh took %.0f s", time.monotonic() - started)
    port = free_port()
    with (home / "server.log").open("w") as server_log:
        server = subprocess.Popen(
            [str(bin_dir / "superset"), "run", "--host", "127.0.0.1", "--port", str(port),
             "--with-threads"],
            env=env, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None:
                    pytest.fail(
                        f"superset run exited:\n{(home / 'server.log').read_text()[-4000:]}"
                    )
                try:
                    if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("superset run did not answer /health within 120 s")
                time.sleep(0.5)
            log.warning("superset run answered after %.0f s", time.monotonic() - started)
            yield Superset(base_url, "admin", admin_password)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def _segments_in_warehouse(warehouse: ServerWarehouse) -> list[dict[str, Any]]:
    """The numbers the published table holds, read directly as the superuser."""
    engine = sa.create_engine(warehouse.superuser_uri)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.exec_driver_sql(SEGMENTS_QUERY)]
    finally:
        engine.dispose()


def _as_numbers(rows: list[dict[str, Any]]) -> list[tuple[str, int, int, Decimal]]:
    return [
        (r["lifecycle_stage"], int(r["customers"]), int(r["contactable_customers"]),
         Decimal(str(r["historical_clv_usd"])).quantize(Decimal("0.01")))
        for r in rows
    ]  # fmt: skip


def test_superset_provisions_one_connection_per_role(superset: Superset) -> None:
    databases = superset.databases()
    assert {f"lifecycle_{role}" for role in ROLES} <= set(databases)
    connection = superset.http.get(
        f"/api/v1/database/{databases['lifecycle_marketing']}/connection"
    )
    connection.raise_for_status()
    assert connection.json()["result"]["sqlalchemy_uri"].startswith(
        "postgresql+psycopg2://bi_marketing:"
    )


def test_superset_query_as_marketing_returns_the_tables_numbers(
    superset: Superset, warehouse: ServerWarehouse
) -> None:
    database_id = superset.add_database("marketing (api)", warehouse.role_uri("marketing"))

    answer = superset.execute(database_id, SEGMENTS_QUERY)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "success"
    expected = _segments_in_warehouse(warehouse)
    assert _as_numbers(result["data"]) == _as_numbers(expected)
    stages = {row[0] for row in _as_numbers(expected)}
    assert stages <= {"prospect", "new", "active", "at_risk", "churned", "reactivated"}
    assert sum(row[1] for row in _as_numbers(expected)) > 100
    log.warning("superset (bi_marketing): %s", result["data"])
    log.warning("publish_marketing.rpt_marketing__segments (superuser): %s", expected)


def test_superset_provisioned_marketing_connection_runs_the_query(
    superset: Superset, warehouse: ServerWarehouse
) -> None:
    answer = superset.execute(superset.databases()["lifecycle_marketing"], SEGMENTS_QUERY)

    assert answer.status_code == 200, answer.text
    assert _as_numbers(answer.json()["data"]) == _as_numbers(_segments_in_warehouse(warehouse))


def test_superset_query_as_sales_on_marketing_table_is_refused(
    superset: Superset, warehouse: ServerWarehouse
) -> None:
    database_id = superset.add_database("sales (api)", warehouse.role_uri("sales"))

    answer = superset.execute(database_id, SEGMENTS_QUERY)

    assert answer.status_code >= 400, answer.text
    messages = " ".join(error["message"] for error in answer.json()["errors"])
    assert "permission denied for schema publish_marketing" in messages
    log.warning("superset (bi_sales): HTTP %s %s", answer.status_code, answer.json()["errors"])


def test_superset_refuses_a_connection_with_a_wrong_password(
    superset: Superset, warehouse: ServerWarehouse
) -> None:
    answer = superset.http.post(
        "/api/v1/database/test_connection/",
        json={"sqlalchemy_uri": warehouse.role_uri("marketing", password="wrong"),
              "database_name": "marketing (wrong password)"},
    )  # fmt: skip

    assert answer.status_code == 400, answer.text
    (error,) = answer.json()["errors"]
    assert error["message"] == 'The password provided for username "bi_marketing" is incorrect.'
