"""The `sql` source kind against a real PostgreSQL server (lifecycle.pgserver): the demo's
orders loaded into the order system's own schema day by day (orders updated in place as they
are paid, shipped, delivered, refunded), extracted one day per run with
config/examples/sources.sql.yml, give the same raw zone as the files path for the same days;
a re-run pulls exactly its day; the bounds are [day, day+1); schema drift is additive or
breaking; an unreachable database is a retryable missing delivery."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
import sqlalchemy as sa

from lifecycle.config import (
    ColumnSpec,
    SourceConfig,
    SourcesConfig,
    TableConfig,
    load_lifecycle,
    load_sources,
)
from lifecycle.demo.orders_db import create_schema, load_days
from lifecycle.extract import (
    PartitionReport,
    delivery_context,
    extract_delivery,
    extract_source,
    partition_dir,
    quarantine_dir,
    read_report,
)
from lifecycle.paths import REPO_ROOT, Home
from lifecycle.pgserver import create_database, free_port
from lifecycle.readers import ExtractError, MissingDelivery

if TYPE_CHECKING:
    from collections.abc import Iterator

EXAMPLE = REPO_ROOT / "config" / "examples" / "sources.sql.yml"
END = date(2026, 6, 30)
SPAN = 20  # the demo's days: every one is a nightly run, so every planted defect is met
DAYS = [END - timedelta(days=n) for n in range(SPAN - 1, -1, -1)]  # 2026-06-11 .. 2026-06-30
# Rules only a file can break: the database holds typed values, so such lines never get in.
UNPARSEABLE = {"malformed_json", "not_a_json_object", "not_a_timestamp", "not_a_number",
               "not_an_integer"}  # fmt: skip
AT = datetime(2026, 7, 1, 1, tzinfo=UTC)
CURRENCIES = load_lifecycle().quality.currencies
_DATABASES = itertools.count(1)


def _sql_config(start: date) -> SourcesConfig:
    cfg = load_sources(EXAMPLE)
    return dataclasses.replace(
        cfg, sources=tuple(dataclasses.replace(s, start=start) for s in cfg.sources)
    )


def _table(cfg: SourcesConfig, name: str) -> TableConfig:
    return next(t for t in cfg.tables if t.name == name)


def _typed(table: TableConfig, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A raw row with each column cast to its declared type (instants in UTC)."""
    out: list[Any] = []
    for spec, value in zip(table.columns, row, strict=True):
        if value is None:
            out.append(None)
        elif spec.type == "timestamp":
            out.append(datetime.fromisoformat(value).astimezone(UTC))
        elif spec.type == "decimal":
            out.append(Decimal(value))
        elif spec.type == "integer":
            out.append(int(value))
        elif spec.type == "boolean":
            out.append(value == "true")
        else:
            out.append(value)
    return tuple(out)


def _loaded(home: Home, table: TableConfig, day: date) -> dict[str, tuple[Any, ...]]:
    """The day's loaded rows by primary key, cast to their declared types."""
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    path = partition_dir(home, table, day) / "data.parquet"
    rows = duckdb.sql(f"select {names} from read_parquet('{path}', hive_partitioning = false)")
    key = [c.source_field for c in table.columns].index(table.primary_key)
    return {r[key]: _typed(table, r) for r in rows.fetchall()}


def _quarantine_rules(home: Home, table: TableConfig, day: date) -> Counter[tuple[str, str]]:
    path = quarantine_dir(home, table, day) / "data.parquet"
    rows = duckdb.sql(
        f"select column_name, rule from read_parquet('{path}', hive_partitioning = false)"
    ).fetchall()
    return Counter((str(c), str(r)) for c, r in rows)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lifecycle.demo import generate

    folder = tmp_path_factory.mktemp("sql-demo-sources")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LIFECYCLE_SOURCES_CONFIG", raising=False)
        generate(folder, customers=200, days=SPAN, seed=5, end_date=END)
    return folder


@pytest.fixture(scope="module")
def files_home(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The same days through the files path (config/sources.yml)."""
    home = Home(tmp_path_factory.mktemp("sql-files-home"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LIFECYCLE_SOURCES_CONFIG", raising=False)
        mp.setenv("LIFECYCLE_SOURCES", str(demo))
        extract_source("orders", END, "files", home, load_sources())
    return home


@dataclasses.dataclass
class Incremental:
    home: Home
    uri: str
    cfg: SourcesConfig
    runs: dict[date, list[PartitionReport]]


@pytest.fixture(scope="module")
def incremental(
    pg_server: str, demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Incremental:
    """One nightly extract per day, the database loaded through that day before each."""
    uri = create_database(pg_server, "orders_incremental")
    cfg = _sql_config(start=DAYS[0])
    home = Home(tmp_path_factory.mktemp("sql-home"))
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_ORDERS_DB", uri)
        for n, day in enumerate(DAYS):
            load_days(uri, demo, through=day, since=None if n == 0 else day)
            runs[day] = extract_source("orders", day, f"sql-{day}", home, cfg)
    return Incremental(home, uri, cfg, runs)


@pytest.mark.slow
def test_sql_extract_loads_what_the_files_extract_loads_day_by_day(
    incremental: Incremental, files_home: Home
) -> None:
    print("\nrows per day: sql read/loaded/quarantined | files read/loaded/quarantined/dups")
    for day in DAYS:
        for report in incremental.runs[day]:
            table = _table(incremental.cfg, report.table.split(".")[1])
            files = read_report(files_home, table, day)
            assert files is not None
            print(
                f"{day} {table.key:<18} sql {report.read:>3}/{report.loaded:>3}"
                f"/{report.quarantined}  |  files {files.read:>3}/{files.loaded:>3}"
                f"/{files.quarantined}/{files.duplicates}"
            )
            sql_rows = _loaded(incremental.home, table, day)
            assert sql_rows == _loaded(files_home, table, day), f"{table.key} {day}"
            assert report.loaded == files.loaded
    total = sum(r.loaded for runs in incremental.runs.values() for r in runs)
    assert total > 150  # the comparison is not vacuous


@pytest.mark.slow
def test_each_nightly_run_pulls_only_its_own_day(incremental: Incremental) -> None:
    for day, reports in incremental.runs.items():
        assert {r.delivery_date for r in reports} == {day.isoformat()}
        assert sorted(r.table for r in reports) == [
            "orders.line_items", "orders.orders", "orders.refunds",
        ]  # fmt: skip
        assert all(r.adds_up() and r.duplicates == 0 for r in reports)


@pytest.mark.slow
def test_sql_quarantine_is_the_files_quarantine_without_unparseable_lines(
    incremental: Incremental, files_home: Home
) -> None:
    planted = 0
    for day in DAYS:
        for table in incremental.cfg.tables:
            files = _quarantine_rules(files_home, table, day)
            expected = Counter({k: n for k, n in files.items() if k[1] not in UNPARSEABLE})
            assert _quarantine_rules(incremental.home, table, day) == expected, (table.key, day)
            planted += sum(expected.values())
    assert planted > 0  # impossible values (negative amounts, 1970 dates) reach the database


@pytest.mark.slow
def test_an_updated_order_is_pulled_again_on_its_update_day(incremental: Incremental) -> None:
    orders = _table(incremental.cfg, "orders")
    seen: dict[str, list[tuple[date, tuple[Any, ...]]]] = {}
    for day in DAYS:
        for key, row in _loaded(incremental.home, orders, day).items():
            seen.setdefault(key, []).append((day, row))
    again = {k: v for k, v in seen.items() if len(v) > 1}
    assert len(again) >= 5
    status = [c.source_field for c in orders.columns].index("status")
    cursor = [c.source_field for c in orders.columns].index("updated_at")
    engine = sa.create_engine(incremental.uri)
    try:
        with engine.connect() as conn:
            for key, versions in again.items():
                stamps = [row[cursor] for _, row in versions]
                assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
                in_db = conn.execute(
                    sa.text("select status, updated_at from orders.orders where order_id = :k"),
                    {"k": key},
                ).one()  # one row, updated in place
                assert (in_db.status, in_db.updated_at) == (
                    versions[-1][1][status], versions[-1][1][cursor],
                )  # fmt: skip
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_rerun_of_the_as_of_day_pulls_exactly_that_day(
    incremental: Incremental, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ORDERS_DB", incremental.uri)
    source = incremental.cfg.source("orders")
    context = delivery_context(incremental.cfg, END, CURRENCIES)
    for table in source.tables:
        first = next(r for r in incremental.runs[END] if r.table == table.key)
        again = extract_delivery(Home(tmp_path), source, table, END, "rerun", AT, context)
        assert (again.read, again.loaded, again.sha256) == (first.read, first.loaded, first.sha256)
        assert _loaded(Home(tmp_path), table, END) == _loaded(incremental.home, table, END)


@pytest.mark.slow
def test_a_rerun_of_a_past_day_pulls_its_rows_as_the_database_holds_them_now(
    incremental: Incremental, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows changed since have moved to their new day: a re-run of a past day gets the orders
    whose last change is still on that day, and nothing of any other day."""
    monkeypatch.setenv("AIRFLOW_CONN_ORDERS_DB", incremental.uri)
    source, orders = incremental.cfg.source("orders"), _table(incremental.cfg, "orders")
    day = DAYS[-5]
    context = delivery_context(incremental.cfg, day, CURRENCIES)
    again = extract_delivery(Home(tmp_path), source, orders, day, "rerun", AT, context)
    first = _loaded(incremental.home, orders, day)
    now = _loaded(Home(tmp_path), orders, day)
    later = {k for d in DAYS if d > day for k in _loaded(incremental.home, orders, d)}
    assert set(now) == set(first) - later
    assert 0 < again.loaded < len(first)


def _engine_with_schema(pg_server: str, name: str) -> tuple[str, sa.Engine]:
    uri = create_database(pg_server, name)
    engine = sa.create_engine(uri)
    create_schema(engine)
    return uri, engine


def _insert_order(conn: sa.Connection, order_id: str, updated_at: datetime) -> None:
    conn.execute(
        sa.text(
            "insert into orders.orders (order_id, customer_id, status, currency, total_amount,"
            " placed_at, updated_at) values (:o, 'SHOP-1', 'paid', 'EUR', 12.50, :t, :t)"
        ),
        {"o": order_id, "t": updated_at},
    )


def _extract_orders(uri: str, home: Home, day: date, mp: pytest.MonkeyPatch) -> PartitionReport:
    mp.setenv("AIRFLOW_CONN_ORDERS_DB", uri)
    cfg = _sql_config(start=day)
    context = delivery_context(cfg, day, CURRENCIES)
    return extract_delivery(
        home, cfg.source("orders"), _table(cfg, "orders"), day, "r", AT, context
    )


@pytest.mark.slow
def test_the_row_at_the_end_bound_belongs_to_the_next_day(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, engine = _engine_with_schema(pg_server, "orders_bounds")
    day = datetime(2026, 6, 29, tzinfo=UTC)
    with engine.begin() as conn:
        _insert_order(conn, "B", day)  # the start bound: this day
        _insert_order(conn, "A", day)  # the same cursor: ordered by key after the cursor
        _insert_order(conn, "C", day + timedelta(days=1) - timedelta(microseconds=1))
        _insert_order(conn, "D", day + timedelta(days=1))  # the end bound: the next day
        _insert_order(conn, "E", day - timedelta(microseconds=1))
    engine.dispose()
    home = Home(tmp_path)
    orders = _table(_sql_config(END), "orders")
    first = _extract_orders(uri, home, day.date(), monkeypatch)
    lines = duckdb.sql(
        f"select order_id, _line from '{partition_dir(home, orders, day.date())}/data.parquet'"
        " order by _line"
    ).fetchall()
    assert lines == [("A", 1), ("B", 2), ("C", 3)]
    assert first.newest_cursor == "2026-06-29T23:59:59.999999+00:00"
    second = _extract_orders(uri, home, day.date() + timedelta(days=1), monkeypatch)
    assert (second.read, second.newest_cursor) == (1, "2026-06-30T00:00:00+00:00")


@pytest.fixture
def drift_db(pg_server: str) -> Iterator[tuple[str, sa.Engine]]:
    uri, engine = _engine_with_schema(pg_server, f"orders_drift_{next(_DATABASES)}")
    with engine.begin() as conn:
        _insert_order(conn, "O1", datetime(2026, 6, 30, 12, tzinfo=UTC))
    yield uri, engine
    engine.dispose()


def _host(uri: str) -> str:
    url = sa.make_url(uri)
    return f"postgresql://{url.host}:{url.port}/{url.database}"


@pytest.mark.slow
def test_a_new_column_loads_without_it_and_is_reported(
    drift_db: tuple[str, sa.Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, engine = drift_db
    with engine.begin() as conn:
        conn.exec_driver_sql("alter table orders.orders add column loyalty_tier text")
    report = _extract_orders(uri, Home(tmp_path), END, monkeypatch)
    assert (report.read, report.loaded, report.undeclared_columns) == (1, 1, "loyalty_tier")


@pytest.mark.slow
def test_a_renamed_column_stops_the_source_naming_it(
    drift_db: tuple[str, sa.Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, engine = drift_db
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "alter table orders.orders rename column customer_email to email_address"
        )
    with pytest.raises(ExtractError) as caught:
        _extract_orders(uri, Home(tmp_path), END, monkeypatch)
    print(f"\n{caught.value}")
    assert str(caught.value) == (
        f"orders.orders: {_host(uri)} orders.orders: declared column(s) not found (renamed or"
        " dropped in the source): customer_email (for customer.email); the table has:"
        " order_id, customer_id, email_address, customer_phone, crm_contact_id, app_user_id,"
        " status, channel, currency, total_amount, ship_country, ship_city, placed_at,"
        " updated_at (a breaking change: the source stops)"
    )
    assert not partition_dir(Home(tmp_path), _table(_sql_config(END), "orders"), END).exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("column", "new_type", "found", "declared"),
    [
        ("total_amount", "text", "text", "decimal"),
        ("placed_at", "date", "date", "timestamp"),
        ("updated_at", "timestamp without time zone", "timestamp without time zone", "timestamp"),
    ],
)
def test_a_type_change_stops_the_source_naming_the_column(
    drift_db: tuple[str, sa.Engine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    column: str,
    new_type: str,
    found: str,
    declared: str,
) -> None:
    uri, engine = drift_db
    with engine.begin() as conn:
        conn.exec_driver_sql(f"alter table orders.orders alter column {column} type {new_type}")
    with pytest.raises(ExtractError) as caught:
        _extract_orders(uri, Home(tmp_path), END, monkeypatch)
    print(f"\n{caught.value}")
    assert str(caught.value) == (
        f"orders.orders: {_host(uri)} orders.orders: column {column} is {found} in the"
        f" database, which no longer fits its declared type {declared} (a breaking change:"
        " the source stops)"
    )


def test_an_unreachable_database_is_a_missing_delivery_naming_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    uri = f"postgresql://reader:s3cret-pw@127.0.0.1:{port}/shop"
    with pytest.raises(MissingDelivery) as caught:
        _extract_orders(uri, Home(tmp_path), END, monkeypatch)
    print(f"\n{caught.value}")
    message = str(caught.value)
    assert message.startswith(
        f"orders.orders: cannot reach the database of connection 'orders_db'"
        f" (postgresql://127.0.0.1:{port}/shop): "
    )
    assert "Connection refused" in message and "s3cret" not in message


def test_the_sql_example_declares_the_fields_of_the_files_orders_source() -> None:
    """Either kind fills the same raw columns, so staging reads both alike."""
    files = load_sources(REPO_ROOT / "config" / "sources.yml").source("orders")
    sql: SourceConfig = load_sources(EXAMPLE).source("orders")
    assert sql.kind == "sql" and sql.connection == "orders_db"
    for f_table, s_table in zip(files.tables, sql.tables, strict=True):
        assert f_table.name == s_table.name
        assert [(c.source_field, c.type, c.required, c.min, c.max, c.values, c.min_year)
                for c in f_table.columns] == [
            (c.source_field, c.type, c.required, c.min, c.max, c.values, c.min_year)
            for c in s_table.columns
        ]  # fmt: skip
        assert (f_table.primary_key, f_table.cursor) == (s_table.primary_key, s_table.cursor)


@pytest.mark.slow
def test_values_of_every_type_arrive_as_the_text_a_file_would_carry(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unconstrained numeric (more digits than dlt's default decimal(38, 9)) and jsonb are
    read as text in the query; booleans, integers and timestamps through dlt's arrow types."""
    uri = create_database(pg_server, "orders_types")
    engine = sa.create_engine(uri)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "create table metrics (id text primary key, amount numeric, price numeric(12, 2),"
            " n bigint, flag boolean, payload jsonb, changed_at timestamptz not null)"
        )
        conn.exec_driver_sql(
            "insert into metrics values"
            " ('a', 12.345678901234, 10200.00, 7, true, '{\"b\": [1, 2], \"a\": 1}',"
            "  '2026-06-30 10:00:00.5+02'),"
            " ('b', 1e20, -0.50, null, false, null, '2026-06-30 23:00:00+00')"
        )
    engine.dispose()
    monkeypatch.setenv("AIRFLOW_CONN_METRICS_DB", uri)
    columns = tuple(
        ColumnSpec(source_field=f, type=t)
        for f, t in [("id", "string"), ("amount", "decimal"), ("price", "decimal"),
                     ("n", "integer"), ("flag", "boolean"), ("payload", "json"),
                     ("changed_at", "timestamp")]
    )  # fmt: skip
    table = TableConfig(
        "metrics", "metrics", "id", "changed_at", columns, "sql", location="metrics"
    )
    source = SourceConfig("metrics", "sql", (table,), connection="metrics_db")
    cfg = _sql_config(END)
    home = Home(tmp_path)
    report = extract_delivery(
        home, source, table, END, "r", AT, delivery_context(cfg, END, CURRENCIES)
    )
    assert (report.read, report.loaded) == (2, 2)
    rows = duckdb.sql(
        "select id, amount, price, n, flag, payload, changed_at"
        f" from '{partition_dir(home, table, END)}/data.parquet' order by _line"
    ).fetchall()
    assert rows == [
        ("a", "12.345678901234", "10200", "7", "true", '{"a":1,"b":[1,2]}',
         "2026-06-30T08:00:00.500000+00:00"),
        ("b", "100000000000000000000", "-0.5", None, "false", None, "2026-06-30T23:00:00+00:00"),
    ]  # fmt: skip
