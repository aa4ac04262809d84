"""Shared set-up for integration tests: demo sources generated and extracted into a home;
throwaway PostgreSQL servers, one laid out as the compose file's server with a nightly run
published into it."""

import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pg_layout import PG_NIGHTLY_DAYS, PG_NIGHTLY_END, PgNightly, ServerWarehouse, require_passwords

from lifecycle.config import load_sources
from lifecycle.extract import extract_source
from lifecycle.paths import REPO_ROOT, ROLES, Home

LoadedHome = tuple[Home, dict[str, Any]]


@pytest.fixture(scope="session")
def load_home(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., LoadedHome]:
    """A factory: generate demo sources into a new home and extract every source up to
    `end`; returns the home and the generator's manifest. `plant`, if given, edits the
    generated sources (home.sources) before they are extracted."""

    def load(
        name: str,
        *,
        customers: int,
        days: int,
        seed: int,
        end: date,
        plant: Callable[[Path], None] | None = None,
    ) -> LoadedHome:
        from lifecycle.demo import generate

        if os.environ.get("LIFECYCLE_SOURCES"):
            pytest.fail("unset LIFECYCLE_SOURCES: these tests generate their own sources")
        home = Home(tmp_path_factory.mktemp(name))
        manifest = generate(home.sources, customers=customers, days=days, seed=seed, end_date=end)
        if plant is not None:
            plant(home.sources)
        cfg = load_sources()
        for source in cfg.sources:
            extract_source(source.name, end, "test", home, cfg)
        return home, manifest

    return load


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A new, empty home on DuckDB, set in the environment: for running one dbt test on a
    table written by hand."""
    home = Home(tmp_path / "home")
    home.root.mkdir()
    monkeypatch.setenv("LIFECYCLE_HOME", str(home.root))
    monkeypatch.setenv("LIFECYCLE_TARGET", "duckdb")
    return home


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (lifecycle.pgserver): its URI, for the
    `postgres` superuser. Tests make their own databases on it (`create_database`)."""
    from lifecycle.pgserver import PgServerError, find_binaries, running_server

    try:
        find_binaries()
    except PgServerError as exc:  # `make test` installs them; a skip would hide the tests
        pytest.fail(str(exc))
    with running_server() as uri:
        yield uri


@pytest.fixture(scope="session")
def server_warehouse() -> Iterator[ServerWarehouse]:
    """A fresh server given the compose file's databases and logins by its init script
    (deploy/postgres/init/01-lifecycle.sh), with password authentication switched on."""
    import sqlalchemy as sa

    from lifecycle.pgserver import PgServerError, find_binaries, running_server

    try:
        binaries = find_binaries()
    except PgServerError as exc:
        pytest.fail(str(exc))
    passwords = {role: secrets.token_urlsafe(16) for role in ROLES}
    owner_password = secrets.token_urlsafe(16)
    with running_server() as server_uri:
        url = sa.make_url(server_uri)
        env = {
            **os.environ,
            "PATH": f"{binaries}:{os.environ['PATH']}",  # psql
            "PGHOST": "127.0.0.1",
            "PGPORT": str(url.port),
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": "postgres",
            "LIFECYCLE_ROLES": " ".join(ROLES),
            "AIRFLOW_DB_PASSWORD": secrets.token_urlsafe(16),
            "SUPERSET_DB_PASSWORD": secrets.token_urlsafe(16),
            "WAREHOUSE_PASSWORD": owner_password,
            **{f"BI_{role.upper()}_PASSWORD": pw for role, pw in passwords.items()},
        }
        subprocess.run(
            ["bash", str(REPO_ROOT / "deploy/postgres/init/01-lifecycle.sh")], env=env,
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        require_passwords(server_uri)
        owner = url.set(username="lifecycle", password=owner_password, database="lifecycle")
        yield ServerWarehouse(
            server_uri=server_uri,
            uri=owner.set(drivername="postgresql").render_as_string(hide_password=False),
            port=int(url.port or 0),
            passwords=passwords,
        )


def sources_with_sql_orders(path: Path, start: date) -> Path:
    """config/sources.yml with its `orders` source replaced by the worked sql example's
    (config/examples/sources.sql.yml: connection `orders_db`), written to `path`."""
    import yaml

    base = yaml.safe_load((REPO_ROOT / "config" / "sources.yml").read_text(encoding="utf-8"))
    example = yaml.safe_load(
        (REPO_ROOT / "config" / "examples" / "sources.sql.yml").read_text(encoding="utf-8")
    )
    base["sources"]["orders"] = example["sources"]["orders"] | {"start": start}
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def pg_nightly(
    server_warehouse: ServerWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> PgNightly:
    """The nightly DAG run for real (`airflow dags test`, lifecycle.orchestrate) as a server
    deployment runs it: LIFECYCLE_TARGET=postgres against the server warehouse as the
    `lifecycle` login, and the orders read from the shop's own database (kind `sql`, a
    database `shop` on the same server, loaded day by day; their files deleted)."""
    from lifecycle.demo import generate
    from lifecycle.demo.orders_db import load_days
    from lifecycle.orchestrate import run_day
    from lifecycle.pgserver import create_database

    home = Home(tmp_path_factory.mktemp("pg_nightly"))
    generate(home.sources, customers=300, days=PG_NIGHTLY_DAYS, seed=7, end_date=PG_NIGHTLY_END)
    shop = create_database(server_warehouse.server_uri, "shop")
    load_days(shop, home.sources, through=PG_NIGHTLY_END)
    for name in ("orders", "line_items", "refunds"):  # the files must not be what is read
        for path in (home.sources / "orders" / name).glob("*.jsonl"):
            path.unlink()
    first_day = PG_NIGHTLY_END - timedelta(days=PG_NIGHTLY_DAYS - 1)
    config = sources_with_sql_orders(home.root / "sources.yml", first_day)
    env = {
        "LIFECYCLE_HOME": str(home.root),
        "LIFECYCLE_TARGET": "postgres",
        "AIRFLOW_CONN_LIFECYCLE_WAREHOUSE": server_warehouse.uri,
        "LIFECYCLE_SOURCES_CONFIG": str(config),
        "AIRFLOW_CONN_ORDERS_DB": shop,
    }
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        for day in (PG_NIGHTLY_END, PgNightly.backfilled_day()):
            runs[day] = run_day(day, home)
    return PgNightly(home, server_warehouse, env, runs, shop)
