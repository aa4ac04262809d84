"""The whole nightly DAG on the server target: Airflow runs it (`airflow dags test`) with
LIFECYCLE_TARGET=postgres against a PostgreSQL 15 laid out by the compose file's init script,
as the pipeline's own `lifecycle` login (not a superuser), with the orders read from the shop's
database (kind `sql`) as a server deployment would. Then: the orders' way from that database
to the published tables, what `lifecycle status` and the report say, a backfill of an older
day, the grants the project created, and the swap seen by BI sessions reading while
publications switch."""

from __future__ import annotations

import json
import threading
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
from pg_layout import PgNightly

from lifecycle.paths import ROLES
from lifecycle.publish import AUDIT_TABLES, role_schema
from lifecycle.publish_pg import db_role, drop_old_schemas, swap_in
from lifecycle.status import status
from lifecycle.target import PgSettings
from lifecycle.warehouse import Warehouse, open_warehouse

pytestmark = pytest.mark.slow
SEGMENTS = "publish_marketing.rpt_marketing__segments"
STAMP = "publication_stamp"  # a test-only table telling which synthetic publication it is


@pytest.fixture
def on_pg(pg_nightly: PgNightly, monkeypatch: pytest.MonkeyPatch) -> PgNightly:
    """The runs' environment (target, connection, home) for in-process calls."""
    for name, value in pg_nightly.env.items():
        monkeypatch.setenv(name, value)
    for day, (ok, log) in pg_nightly.runs.items():
        assert ok, f"the nightly run for {day} failed:\n{log.read_text()[-4000:]}"
    return pg_nightly


def _connect(uri: str) -> Any:
    import psycopg2

    con = psycopg2.connect(uri.replace("postgresql+psycopg2://", "postgresql://"))
    con.autocommit = True
    return con


def _one(con: Any, sql: str) -> Any:
    with con.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()


def test_the_orders_come_from_the_shop_database_through_to_the_published_tables(
    on_pg: PgNightly,
) -> None:
    import duckdb

    shop = _connect(on_pg.shop)
    warehouse = _connect(on_pg.warehouse.superuser_uri)
    try:
        with shop.cursor() as cur:
            day_end = datetime.combine(on_pg.end, datetime.min.time(), tzinfo=UTC)
            cur.execute("select order_id, updated_at < %s from orders.orders", (day_end,))
            rows = cur.fetchall()
        in_db = {r[0] for r in rows}
        # The warehouse was last built for the backfilled day: it has every delivery up to it.
        delivered = {r[0] for r in rows if r[1]}
        with warehouse.cursor() as cur:
            cur.execute("select order_id from staging.stg_orders__orders")
            staged = {r[0] for r in cur.fetchall()}
        buyers = _one(
            warehouse, "select count(*) from publish_executive.rpt_executive__customer_health"
        )[0]
    finally:
        shop.close()
        warehouse.close()
    raw, quarantine = on_pg.home.raw, on_pg.home.quarantine
    with duckdb.connect() as con:
        lineage = con.execute(
            "select distinct _file like 'postgresql://%' from read_parquet("
            f"'{raw}/orders/orders/*/data.parquet', hive_partitioning = false)"
        ).fetchall()
        quarantined = {r[0] for r in con.execute(
            "select json_extract_string(raw_record, '$.order_id') from read_parquet("
            f"'{quarantine}/orders/orders/*/data.parquet', hive_partitioning = false)"
        ).fetchall()}  # fmt: skip
    assert lineage == [(True,)]
    assert staged and staged <= in_db
    assert delivered - staged <= quarantined  # an order not staged was refused by a named rule
    assert buyers > 0


def test_the_nightly_dag_publishes_into_the_role_schemas(on_pg: PgNightly) -> None:
    from lifecycle.config import load_sources

    info = status(on_pg.home, load_sources())

    assert (info["as_of"], info["gate"]) == (on_pg.end.isoformat(), "passed")
    assert info["serving"].startswith(f"postgresql://lifecycle@127.0.0.1:{on_pg.warehouse.port}/")
    assert {name.split(".")[0] for name in info["tables"]} == set(ROLES)
    con = _connect(on_pg.warehouse.superuser_uri)
    try:
        direct = _one(con, f"select count(*) from {SEGMENTS}")[0]
        days = _one(con, f"select array_agg(distinct as_of_date) from {SEGMENTS}")[0]
        leftovers = _one(
            con,
            "select count(*) from pg_namespace"
            " where nspname like '%\\_\\_next' or nspname like '%\\_\\_old'",
        )[0]
    finally:
        con.close()
    assert info["tables"]["marketing.rpt_marketing__segments"] == direct > 0
    assert days == [on_pg.end]  # the backfill of the day before did not replace it
    assert leftovers == 0


def test_the_report_is_rendered_from_the_postgres_warehouse(on_pg: PgNightly) -> None:
    from lifecycle.config import load_sources

    report = on_pg.home.report_file
    page = report.read_text(encoding="utf-8")
    data = json.loads(page.split('id="report-data">')[1].split("</script>")[0])

    assert status(on_pg.home, load_sources())["report"] == str(report)
    assert (data["as_of"], data["gate"]) == (on_pg.end.isoformat(), "passed")
    assert all(chart["available"] for chart in data["charts"].values()), data["charts"]
    assert not any(on_pg.home.serving_file(role).is_symlink() for role in ROLES)


def test_a_backfilled_older_day_is_logged_and_kept_but_not_made_current(
    on_pg: PgNightly,
) -> None:
    with open_warehouse(on_pg.home) as wh:
        logged = wh.query(
            "select as_of_date, bool_or(is_current), count(*) from audit.publish_log"
            " group by as_of_date order by as_of_date"
        )
        run_ids = wh.query(
            "select distinct run_id from publish_data_team.publish_log where is_current"
        )
    assert [(d, current) for d, current, _ in logged] == [
        (on_pg.backfilled, False),
        (on_pg.end, True),
    ]
    assert logged[0][2] == logged[1][2]  # the same tables, logged for both days
    assert len(run_ids) == 1
    assert on_pg.home.report_history(on_pg.backfilled).is_file()
    report = json.loads(
        on_pg.home.report_file.read_text(encoding="utf-8")
        .split('id="report-data">')[1]
        .split("</script>")[0]
    )
    assert report["as_of"] == on_pg.end.isoformat()


def test_the_project_grants_each_role_its_own_schema_only(on_pg: PgNightly) -> None:
    con = _connect(on_pg.warehouse.superuser_uri)
    try:
        for reader in ROLES:
            for schema in [role_schema(r) for r in ROLES] + ["marts", "audit", "staging"]:
                allowed = _one(
                    con, f"select has_schema_privilege('{db_role(reader)}', '{schema}', 'usage')"
                )[0]
                assert allowed == (schema == role_schema(reader)), (reader, schema)
        owner = _one(con, "select nspowner::regrole::text from pg_namespace"
                          " where nspname = 'publish_marketing'")[0]  # fmt: skip
    finally:
        con.close()
    assert owner == "lifecycle"


@pytest.mark.parametrize(
    ("login", "denied"),
    [
        ("marketing", "publish_sales.rpt_sales__customer_priorities"),
        ("marketing", "publish_data_team.quality_results"),
        ("marketing", "audit.quality_results"),
        ("marketing", "marts.dim_customers"),
        ("sales", SEGMENTS),
        ("executive", "publish_customer_service.rpt_customer_service__customer_360"),
    ],
)
def test_a_bi_login_reads_its_schema_and_is_denied_the_rest(
    on_pg: PgNightly, login: str, denied: str
) -> None:
    import psycopg2.errors

    con = _connect(on_pg.warehouse.role_uri(login))
    try:
        own = role_schema(login)
        with con.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                (own,),
            )
            tables = [r[0] for r in cur.fetchall()]
        assert tables
        assert _one(con, f"select count(*) from {own}.{tables[0]}")[0] >= 0
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            _one(con, f"select count(*) from {denied}")
    finally:
        con.close()


def test_the_data_team_reads_the_quality_results_of_the_publication(on_pg: PgNightly) -> None:
    con = _connect(on_pg.warehouse.role_uri("data_team"))
    try:
        checks, failed_errors = _one(
            con,
            "select count(*), count(*) filter (where severity = 'error' and not passed)"
            " from publish_data_team.quality_results q join publish_data_team.publish_log l"
            " on q.run_id = l.run_id and l.is_current",
        )
    finally:
        con.close()
    assert checks > 100 and failed_errors == 0


# --- the swap as BI sessions see it -------------------------------------------------------


def _owner(on_pg: PgNightly) -> AbstractContextManager[Warehouse]:
    return open_warehouse(on_pg.home, settings=PgSettings.from_uri(on_pg.warehouse.uri))


def _stage_copy(wh: Warehouse, version: int) -> None:
    """Every role's `__next` schema as a copy of what is live, plus a stamp saying `version`:
    what dbt would build, without the build (the swap is what is under test)."""
    for role in ROLES:
        live, staged = role_schema(role), role_schema(role) + "__next"
        wh.execute(f"drop schema if exists {staged} cascade")
        wh.execute(f"create schema {staged}")
        for name in wh.tables(live):
            if name == STAMP or (role == "data_team" and name in AUDIT_TABLES):
                continue  # publishing copies the audit tables in itself
            wh.execute(f"create table {staged}.{name} as table {live}.{name}")
        wh.execute(f"create table {staged}.{STAMP} as select {version} as version")


def _publish_copy(on_pg: PgNightly, version: int) -> None:
    with _owner(on_pg) as wh:
        _stage_copy(wh, version)
        with wh.transaction():
            swap_in(wh, f"swap-{version}", on_pg.end, "passed", datetime.now(UTC))
        drop_old_schemas(wh)


def _auditor(on_pg: PgNightly) -> str:
    """A login that is a member of every role's database role: it can read every schema
    in one statement, so a mix of two publications would show."""
    con = _connect(on_pg.warehouse.superuser_uri)
    try:
        with con.cursor() as cur:
            cur.execute("select 1 from pg_roles where rolname = 'bi_auditor'")
            if not cur.fetchone():
                cur.execute("create role bi_auditor login password 'auditor'")
                cur.execute("grant connect on database lifecycle to bi_auditor")
                for role in ROLES:
                    cur.execute(f"grant {db_role(role)} to bi_auditor")
    finally:
        con.close()
    return f"postgresql://bi_auditor:auditor@127.0.0.1:{on_pg.warehouse.port}/lifecycle"


def test_bi_sessions_see_one_whole_publication_while_publications_switch(
    on_pg: PgNightly,
) -> None:
    _publish_copy(on_pg, 0)
    uri = _auditor(on_pg)
    stamps = ", ".join(f"(select version from {role_schema(r)}.{STAMP})" for r in ROLES)
    sql = f"select {stamps}, (select count(*) from {SEGMENTS})"
    with _owner(on_pg) as wh:
        expected_rows = wh.query_one(f"select count(*) from {SEGMENTS}")
    done = threading.Event()
    seen: list[list[Any]] = [[] for _ in range(3)]

    def read(out: list[Any]) -> None:
        con = _connect(uri)
        try:
            while not done.is_set():
                try:
                    out.append(_one(con, sql))
                except Exception as exc:  # any error is a finding, recorded and asserted on
                    out.append(f"{type(exc).__name__}: {exc}")
        finally:
            con.close()

    readers = [threading.Thread(target=read, args=(out,)) for out in seen]
    for reader in readers:
        reader.start()
    try:
        for version in range(1, 9):
            _publish_copy(on_pg, version)
            time.sleep(0.05)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    reads = [r for out in seen for r in out]
    errors = [r for r in reads if isinstance(r, str)]
    mixed = [r for r in reads if not isinstance(r, str) and len(set(r[:-1])) != 1]
    versions = {r[0] for r in reads if not isinstance(r, str)}
    figures = f"{len(reads)} reads ({[len(o) for o in seen]}), versions seen {sorted(versions)}"
    print(f"\nreaders during 8 publications: {figures}")
    assert errors == [], figures
    assert mixed == [], figures
    assert {r[-1] for r in reads} == {expected_rows[0] if expected_rows else None}
    assert len(versions) >= 2, figures


def test_a_query_running_during_the_swap_finishes_on_the_old_publication(
    on_pg: PgNightly,
) -> None:
    _publish_copy(on_pg, 100)
    uri = _auditor(on_pg)
    result: list[Any] = []

    def slow_read() -> None:
        con = _connect(uri)
        try:
            result.append(_one(con, f"select version, pg_sleep(3) from publish_sales.{STAMP}")[0])
        finally:
            con.close()

    reader = threading.Thread(target=slow_read)
    reader.start()
    watcher = _connect(on_pg.warehouse.superuser_uri)
    try:
        deadline = time.monotonic() + 30
        while not _one(watcher, "select count(*) from pg_stat_activity"
                                " where query like '%pg_sleep(3)%' and state = 'active'"
                                " and pid <> pg_backend_pid()")[0]:  # fmt: skip
            assert time.monotonic() < deadline, "the slow query never started"
            time.sleep(0.05)
        _publish_copy(on_pg, 101)
        after = _one(watcher, f"select version from publish_sales.{STAMP}")[0]
    finally:
        watcher.close()
        reader.join()
    assert result == [100]
    assert after == 101
