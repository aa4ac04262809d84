"""The one module that opens DuckDB: the warehouse, the raw zone and the serving snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    import pandas as pd

    from lifecycle.config import TableConfig
    from lifecycle.paths import Home

# No extension may be fetched at run time; the ones used (parquet, json, icu) are built in.
_OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect(path: Path | str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only, config=dict(_OFFLINE))


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_delivery_frame(home: Home, table: TableConfig, day: date) -> pd.DataFrame:
    """One table's raw partition for one delivery day, as text columns."""
    from lifecycle.extract import partition_dir

    path = partition_dir(home, table, day) / "data.parquet"
    with connect() as con:
        return con.sql(
            f"select * from read_parquet({_sql_str(str(path))}, hive_partitioning = false)"
        ).df()


def warehouse_tables(
    con: duckdb.DuckDBPyConnection, schema: str, with_views: bool = False
) -> list[str]:
    """The schema's tables (and its views, with `with_views`), by name."""
    kinds = ("BASE TABLE", "VIEW") if with_views else ("BASE TABLE",)
    rows = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and list_contains(?, table_type) order by table_name",
        [schema, list(kinds)],
    ).fetchall()
    return [r[0] for r in rows]


def table_checksum(con: duckdb.DuckDBPyConnection, qualified: str) -> tuple[int, str]:
    """Row count and an order-independent content checksum of a table."""
    row = con.execute(
        f"select count(*), coalesce(md5(string_agg(h, '' order by h)), md5(''))"
        f" from (select md5(cast(t as varchar)) as h from {qualified} as t)"
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def append_rows(
    con: duckdb.DuckDBPyConnection, qualified: str, ddl: str, rows: list[tuple[Any, ...]]
) -> None:
    """Create the table if needed (`ddl` is its column list) and append rows."""
    schema = qualified.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    con.execute(f"create table if not exists {qualified} ({ddl})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"insert into {qualified} values ({marks})", rows)
