"""A real BI tool on the role schemas: Apache Superset, from the registry, in its own venv.

Superset (the pins of deploy/superset/requirements.txt, the same as the compose service's
image) is installed once into `.venv-superset/` at the repository root and reused while its
stamp matches the pins. A throwaway PostgreSQL gets the server's logins from the compose
file's init script (deploy/postgres/init/01-lifecycle.sh) and a small publication with
per-role grants (sql/roles.sql); password authentication is switched on for the BI logins.
Superset is provisioned by the compose file's script (deploy/superset/init.sh: metadata,
admin, one connection per role) with SQLite metadata in a temporary folder, started with
`superset run` on a free loopback port, and driven only through its REST API.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lifecycle.paths import ROLES
from lifecycle.pgserver import find_binaries, free_port, running_server

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
SUPERSET_VENV = REPO / ".venv-superset"
REQUIREMENTS = REPO / "deploy" / "superset" / "requirements.txt"
ROLES_SQL = Path(__file__).with_name("sql") / "roles.sql"
SEGMENTS_QUERY = (
    "select lifecycle_stage, sum(customers) as customers,"
    " sum(emailable_customers) as emailable_customers, sum(historical_clv) as historical_clv"
    " from publish_marketing.rpt_marketing__segments"
    " group by lifecycle_stage order by lifecycle_stage"
)


def superset_bin() -> Path:
    """The bin folder of Superset's own venv, installed once per set of pins."""
    stamp = SUPERSET_VENV / ".pins"
    pins = REQUIREMENTS.read_text()
    if stamp.is_file() and stamp.read_text() == pins and (SUPERSET_VENV / "bin/superset").is_file():
        return SUPERSET_VENV / "bin"
    shutil.rmtree(SUPERSET_VENV, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(SUPERSET_VENV)], check=True)
    done = subprocess.run(
        [str(SUPERSET_VENV / "bin/pip"), "install", "-q", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"installing Superset failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    stamp.write_text(pins)
    log.warning("installed Superset into %s in %.0f s", SUPERSET_VENV, time.monotonic() - started)
    return SUPERSET_VENV / "bin"


@dataclass
class Warehouse:
    uri: str  # the `lifecycle` database, as the postgres superuser
    port: int
    passwords: dict[str, str]  # role -> password of its bi_<role> login

    def role_uri(self, role: str, password: str | None = None) -> str:
        secret = self.passwords[role] if password is None else password
        return f"postgresql+psycopg2://bi_{role}:{secret}@127.0.0.1:{self.port}/lifecycle"


def _require_passwords(server_uri: str) -> None:
    """Password (SCRAM) authentication for every login but the test's superuser.

    The throwaway server trusts every loopback login; a BI login must prove its password, so
    its hba file is rewritten (the superuser may write the server's files) and reloaded."""
    engine = sa.create_engine(server_uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            hba = conn.exec_driver_sql("show hba_file").scalar_one()
            lines = [
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
            ]
            values = " union all ".join(f"select {n}, '{line}'" for n, line in enumerate(lines))
            conn.exec_driver_sql(
                f"copy (select line from ({values}) as l(n, line) order by n) to '{hba}'"
            )
            assert conn.exec_driver_sql("select pg_reload_conf()").scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    passwords = {role: secrets.token_urlsafe(16) for role in ROLES}
    with running_server() as server_uri:
        url = sa.make_url(server_uri)
        env = {
            **os.environ,
            "PATH": f"{find_binaries()}:{os.environ['PATH']}",  # psql
            "PGHOST": "127.0.0.1",
            "PGPORT": str(url.port),
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": "postgres",
            "LIFECYCLE_ROLES": " ".join(ROLES),
            "AIRFLOW_DB_PASSWORD": secrets.token_urlsafe(16),
            "SUPERSET_DB_PASSWORD": secrets.token_urlsafe(16),
            "WAREHOUSE_PASSWORD": secrets.token_urlsafe(16),
            **{f"BI_{role.upper()}_PASSWORD": pw for role, pw in passwords.items()},
        }
        subprocess.run(
            ["bash", str(REPO / "deploy/postgres/init/01-lifecycle.sh")], env=env, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        uri = url.set(database="lifecycle").render_as_string(hide_password=False)
        engine = sa.create_engine(uri)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(ROLES_SQL.read_text())
        finally:
            engine.dispose()
        _require_passwords(server_uri)
        yield Warehouse(uri=uri, port=int(url.port or 0), passwords=passwords)


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
def superset(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
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


def _segments_in_warehouse(warehouse: Warehouse) -> list[dict[str, Any]]:
    """The numbers the table holds, read directly as the superuser."""
    engine = sa.create_engine(warehouse.uri)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.exec_driver_sql(SEGMENTS_QUERY)]
    finally:
        engine.dispose()


def _as_numbers(rows: list[dict[str, Any]]) -> list[tuple[str, int, int, Decimal]]:
    return [
        (r["lifecycle_stage"], int(r["customers"]), int(r["emailable_customers"]),
         Decimal(str(r["historical_clv"])).quantize(Decimal("0.01")))
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
    superset: Superset, warehouse: Warehouse
) -> None:
    database_id = superset.add_database("marketing (api)", warehouse.role_uri("marketing"))

    answer = superset.execute(database_id, SEGMENTS_QUERY)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "success"
    expected = _segments_in_warehouse(warehouse)
    assert _as_numbers(result["data"]) == _as_numbers(expected)
    assert _as_numbers(expected) == [
        ("active", 430, 335, Decimal("109212.75")),
        ("at_risk", 45, 30, Decimal("15220.00")),
        ("churned", 410, 150, Decimal("20500.75")),
        ("new", 88, 80, Decimal("3520.00")),
    ]
    log.warning("superset (bi_marketing): %s", result["data"])


def test_superset_provisioned_marketing_connection_runs_the_query(
    superset: Superset, warehouse: Warehouse
) -> None:
    answer = superset.execute(superset.databases()["lifecycle_marketing"], SEGMENTS_QUERY)

    assert answer.status_code == 200, answer.text
    assert _as_numbers(answer.json()["data"]) == _as_numbers(_segments_in_warehouse(warehouse))


def test_superset_query_as_sales_on_marketing_table_is_refused(
    superset: Superset, warehouse: Warehouse
) -> None:
    database_id = superset.add_database("sales (api)", warehouse.role_uri("sales"))

    answer = superset.execute(database_id, SEGMENTS_QUERY)

    assert answer.status_code >= 400, answer.text
    messages = " ".join(error["message"] for error in answer.json()["errors"])
    assert "permission denied for schema publish_marketing" in messages
    log.warning("superset (bi_sales): HTTP %s %s", answer.status_code, answer.json()["errors"])


def test_superset_refuses_a_connection_with_a_wrong_password(
    superset: Superset, warehouse: Warehouse
) -> None:
    answer = superset.http.post(
        "/api/v1/database/test_connection/",
        json={"sqlalchemy_uri": warehouse.role_uri("marketing", password="wrong"),
              "database_name": "marketing (wrong password)"},
    )  # fmt: skip

    assert answer.status_code == 400, answer.text
    (error,) = answer.json()["errors"]
    assert error["message"] == 'The password provided for username "bi_marketing" is incorrect.'
