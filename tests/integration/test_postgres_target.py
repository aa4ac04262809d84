"""The same dbt project on PostgreSQL: one raw zone built on DuckDB and on a throwaway
PostgreSQL 15 (`pg_server`), every model and test passing on both, and every staging,
intermediate, marts, publish and predictions table holding the same rows (lifecycle.checksum).
Each engine builds two nights, the day before and then the as-of day (incremental), so the
incremental models and the state kept between runs (customer keys) are compared too."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from lifecycle.build import build_warehouse
from lifecycle.checksum import TableChecksum, rows_checksum, table_checksum
from lifecycle.config import load_lifecycle, load_sources
from lifecycle.dbt_runner import DbtOutcome
from lifecycle.extract import extract_source, partition_dir
from lifecycle.io import connect
from lifecycle.paths import ROLES, Home
from lifecycle.pgserver import create_database
from lifecycle.publish import AUDIT_TABLES, PublishedTable, PublishError
from lifecycle.publish_pg import db_role, publish_postgres
from lifecycle.quality import GateReport, run_gate
from lifecycle.raw_load import QUARANTINE_TABLE, file_sha256, load_raw_zone, raw_table
from lifecycle.target import WAREHOUSE_TARGETS, PgSettings
from lifecycle.warehouse import Warehouse, open_warehouse

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
SCHEMAS = (
    "staging", "intermediate", "marts", *(f"publish_{role}" for role in ROLES), "predictions",
)  # fmt: skip
# A stopwatch, not data: left out of the comparison.
VOLATILE_COLUMNS = {"predictions.model_fits": ("fit_seconds",)}


@dataclass(frozen=True)
class Engines:
    home: Home
    pg: PgSettings
    nights: dict[str, tuple[DbtOutcome, DbtOutcome]]  # engine -> (day before, as-of day)
    tables: dict[str, dict[str, TableChecksum]]  # schema.table -> engine -> checksum
    gate: GateReport  # on PostgreSQL
    published: list[PublishedTable]  # on PostgreSQL


def _checksums(wh: Warehouse) -> dict[str, TableChecksum]:
    found = {}
    for schema in SCHEMAS:
        for name in wh.tables(schema, views=True):
            qualified = f"{schema}.{name}"
            skip = VOLATILE_COLUMNS.get(qualified, ())
            columns, rows = wh.fetch(f"select * from {qualified}")
            keep = [i for i, c in enumerate(columns) if c not in skip]
            found[qualified] = rows_checksum(
                [columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows]
            )
    return found


@pytest.fixture(scope="module")
def engines(load_home: Callable[..., tuple[Home, Any]], pg_server: str) -> Iterator[Engines]:
    home, _ = load_home("pg_target", customers=300, days=60, seed=9, end=AS_OF)
    uri = create_database(pg_server, "lifecycle_pg_target")
    pg = PgSettings.from_uri(uri)
    nights = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(home.root))
        mp.setenv("AIRFLOW_CONN_LIFECYCLE_WAREHOUSE", uri)
        for target in WAREHOUSE_TARGETS:
            mp.setenv("LIFECYCLE_TARGET", target)
            before = build_warehouse(home, AS_OF - timedelta(days=1))
            nights[target] = (before, build_warehouse(home, AS_OF, with_tests=True))
        # PostgreSQL built the role schemas as publish_<role>__next: gate and swap them in.
        gate = run_gate(home, AS_OF, "pg-run", load_sources(), load_lifecycle().quality)
        published = publish_postgres(home, "pg-run", AS_OF, gate="passed") if gate.passed else []
    tables: dict[str, dict[str, TableChecksum]] = {}
    for target in WAREHOUSE_TARGETS:
        with open_warehouse(home, read_only=True, target=target, settings=pg) as wh:
            for name, checksum in _checksums(wh).items():
                tables.setdefault(name, {})[target] = checksum
    lines = [f"{'table':<62} {'duckdb':>7} {'postgres':>8}  checksum"]
    for name, by_engine in sorted(tables.items()):
        d, p = by_engine.get("duckdb"), by_engine.get("postgres")
        verdict = "same" if d == p else "DIFFERS" if d and p else "one engine only"
        lines.append(f"{name:<62} {d.rows if d else '-':>7} {p.rows if p else '-':>8}  {verdict}")
    (home.root / "engine_comparison.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield Engines(home, pg, nights, tables, gate, published)


def test_every_model_and_test_passes_on_both_engines(engines: Engines) -> None:
    for outcome in (*engines.nights["duckdb"], *engines.nights["postgres"]):
        assert outcome.success, "\n".join(outcome.failures)
    duck = {r["unique_id"]: r["status"] for r in engines.nights["duckdb"][1].results}
    pg = {r["unique_id"]: r["status"] for r in engines.nights["postgres"][1].results}
    assert pg == duck
    assert set(pg.values()) == {"success", "pass"}


def test_every_layer_has_the_same_rows_and_content_on_both_engines(engines: Engines) -> None:
    tables = engines.tables
    assert {s.split(".")[0] for s in tables} == set(SCHEMAS)
    only_pg = {name for name, by_engine in tables.items() if set(by_engine) == {"postgres"}}
    # Publishing copies the audit tables into the data team's schema (DuckDB: into its file).
    assert only_pg == {f"publish_data_team.{t}" for t in AUDIT_TABLES}
    tables = {name: by_engine for name, by_engine in tables.items() if name not in only_pg}
    assert all(set(by_engine) == {"duckdb", "postgres"} for by_engine in tables.values())
    differ = {
        name: (by_engine["duckdb"], by_engine["postgres"])
        for name, by_engine in tables.items()
        if by_engine["duckdb"] != by_engine["postgres"]
    }
    assert differ == {}
    assert tables["marts.dim_customers"]["postgres"].rows > 300


def test_the_clv_fit_being_compared_converged(engines: Engines) -> None:
    with open_warehouse(engines.home, target="postgres", settings=engines.pg) as wh:
        statuses = {r[0] for r in wh.query("select status from predictions.model_fits")}
        predicted = wh.query_one(
            "select count(*) from marts.fct_customer_value where predicted_clv_usd is not null"
        )
    assert statuses == {"fitted"}
    assert predicted is not None and predicted[0] > 100


def test_raw_tables_hold_what_duckdb_reads_from_the_parquet(engines: Engines) -> None:
    home = engines.home
    sources = load_sources()
    globs = {raw_table(t): home.raw / t.source / t.name for t in sources.tables}
    globs[QUARANTINE_TABLE] = home.quarantine / "*" / "*"
    with (
        open_warehouse(home, target="postgres", settings=engines.pg) as wh,
        connect() as con,
    ):
        files = Warehouse("duckdb", con)
        for table, folder in globs.items():
            parquet = files.fetch(
                f"select * from read_parquet('{folder}/*/data.parquet', union_by_name = true,"
                " hive_partitioning = false)"
            )
            assert table_checksum(wh, table) == rows_checksum(*parquet), table


def _partition_files(home: Home) -> dict[str, str]:
    return {str(p.relative_to(home.raw)): file_sha256(p) for p in home.raw.rglob("data.parquet")}


@pytest.fixture
def small_raw(
    load_home: Callable[..., tuple[Home, Any]], pg_server: str
) -> Iterator[tuple[Home, Warehouse]]:
    home, _ = load_home("pg_raw_load", customers=40, days=5, seed=2, end=AS_OF)
    uri = create_database(pg_server, "lifecycle_pg_raw_load")
    with open_warehouse(home, target="postgres", settings=PgSettings.from_uri(uri)) as wh:
        yield home, wh


def _refuse_to_hash(path: Path) -> str:
    raise AssertionError(f"{path} was hashed")


def test_raw_load_copies_only_the_partitions_that_changed(
    small_raw: tuple[Home, Warehouse], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, wh = small_raw
    sources = load_sources()
    before = _partition_files(home)
    first = load_raw_zone(wh, home, sources)
    with monkeypatch.context() as patch:
        # Unchanged partitions are known by their files' stamps, without reading them.
        patch.setattr("lifecycle.raw_load.file_sha256", _refuse_to_hash)
        again = load_raw_zone(wh, home, sources)
    # A new extraction of the as-of day (new run id), and one day's orders withdrawn.
    extract_source("crm", AS_OF, "rerun", home, sources)
    orders = next(t for t in sources.tables if t.key == "orders.orders")
    withdrawn = AS_OF - timedelta(days=2)
    shutil.rmtree(partition_dir(home, orders, withdrawn))
    after = _partition_files(home)
    changed = {p for p, sha in after.items() if before.get(p) != sha}
    third = load_raw_zone(wh, home, sources)
    assert (first.loaded, first.unchanged, first.removed) == (len(before), 0, 0)
    assert (again.loaded, again.unchanged, again.removed) == (0, len(before), 0)
    assert any("crm/contacts/delivery_date=2026-06-30" in p for p in changed)
    assert (third.loaded, third.unchanged, third.removed) == (
        len(changed),
        len(after) - len(changed),
        1,
    )
    run_ids = wh.query(
        "select distinct _run_id from raw_crm.contacts where _delivery_date = ?",
        [AS_OF.isoformat()],
    )
    assert run_ids == [("rerun",)]
    assert wh.query(
        "select count(*) from raw_orders.orders where _delivery_date = ?", [withdrawn.isoformat()]
    ) == [(0,)]


def test_the_gate_passes_on_postgres_with_the_checks_duckdb_runs(engines: Engines) -> None:
    assert engines.gate.passed, engines.gate.summary()
    suites = {c.suite for c in engines.gate.checks}
    assert {"dbt", "marts__customers", "marts__stage_spans", "raw__orders"} <= suites
    assert len(engines.published) > 15


def test_publishing_swapped_every_role_schema_in_and_left_no_staging_schema(
    engines: Engines,
) -> None:
    with open_warehouse(engines.home, target="postgres", settings=engines.pg) as wh:
        schemas = {r[0] for r in wh.query("select nspname from pg_namespace")}
        logged = wh.query(
            "select count(*) from audit.publish_log where run_id = 'pg-run' and is_current"
        )
    assert {f"publish_{role}" for role in ROLES} <= schemas
    assert not [s for s in schemas if s.endswith(("__next", "__old"))]
    assert logged == [(len(engines.published),)]


def test_a_publication_without_a_new_build_fails_and_keeps_the_current_one(
    engines: Engines,
) -> None:
    with pytest.raises(PublishError, match="publish_marketing__next"):
        publish_postgres(engines.home, "pg-again", AS_OF, gate="passed")
    with open_warehouse(engines.home, target="postgres", settings=engines.pg) as wh:
        assert wh.tables("publish_marketing")
        assert wh.query("select count(*) from audit.publish_log where run_id = 'pg-again'") == [
            (0,)
        ]


def _login(engines: Engines, role: str) -> Any:
    """A BI login that is a member of the role's database role (trust auth on loopback)."""
    import psycopg2

    user = f"bi_{role}"
    with open_warehouse(engines.home, target="postgres", settings=engines.pg) as wh:
        if not wh.query("select 1 from pg_roles where rolname = ?", [user]):
            wh.execute(f"create role {user} login")
            wh.execute(f"grant {db_role(role)} to {user}")
    pg = engines.pg
    con = psycopg2.connect(host=pg.host, port=pg.port, user=user, dbname=pg.dbname)
    con.autocommit = True
    return con


def _select(con: Any, sql: str) -> list[Any]:
    with con.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.mark.parametrize(
    "denied",
    [
        "publish_sales.rpt_sales__customer_priorities",
        "publish_data_team.quality_results",
        "audit.quality_results",
        "marts.dim_customers",
    ],
)
def test_marketing_reads_its_own_schema_and_is_denied_the_rest(
    engines: Engines, denied: str
) -> None:
    import psycopg2.errors

    con = _login(engines, "marketing")
    try:
        assert _select(con, "select count(*) from publish_marketing.rpt_marketing__segments")[0][0]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            _select(con, f"select count(*) from {denied}")
    finally:
        con.close()


def test_only_the_data_team_reads_the_quality_results(engines: Engines) -> None:
    import psycopg2.errors

    con = _login(engines, "data_team")
    try:
        checks = _select(con, "select count(*) from publish_data_team.quality_results")
        assert checks == [(len(engines.gate.checks),)]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            _select(con, "select count(*) from publish_marketing.rpt_marketing__segments")
    finally:
        con.close()
