"""The one way Python steps read and write the warehouse, on either target (lifecycle.target).

`open_warehouse(home)` yields a `Warehouse`: the DuckDB file under `LIFECYCLE_HOME`, or the
PostgreSQL database of `AIRFLOW_CONN_LIFECYCLE_WAREHOUSE` (psycopg2). Steps write SQL that
both engines run (`?` placeholders, portable types: `varchar`, `bigint`, `double precision`,
`date`, `timestamp`, `boolean`) and get the same Python values back: frames as DuckDB's `.df()`
gives them (numerics as floats, dates and timestamps as datetime64). Bulk writes go through
`write_frame`, which uses DuckDB's frame scan or PostgreSQL's COPY.
"""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING, Any

from lifecycle.target import PgSettings, Target, require_warehouse_target, warehouse_target

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import pandas as pd

    from lifecycle.paths import Home

Row = tuple[Any, ...]
# PostgreSQL type oids (pg_type): date, timestamp, timestamptz; numeric, real, double.
_PG_TIMESTAMPTZ = 1184
_PG_TIME_OIDS = frozenset({1082, 1114, _PG_TIMESTAMPTZ})
_PG_FLOAT_OIDS = frozenset({1700, 700, 701})
# smallint, integer, bigint, boolean: the dtypes DuckDB's .df() gives them.
_PG_EXACT_DTYPES = {21: "int16", 23: "int32", 20: "int64", 16: "bool"}


class Warehouse:
    """A connection to the warehouse with the few operations the Python steps need."""

    def __init__(self, target: Target, con: Any) -> None:
        self.target = target
        self._con = con

    @property
    def raw(self) -> Any:
        """The driver's connection (a DuckDB connection or a psycopg2 connection)."""
        return self._con

    def _sql(self, sql: str, has_params: bool) -> str:
        if self.target == "postgres" and has_params:
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.target == "duckdb":
            self._con.execute(sql, list(params))
            return
        with self._con.cursor() as cur:
            cur.execute(self._sql(sql, bool(params)), tuple(params) or None)

    def executemany(self, sql: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        if self.target == "duckdb":
            self._con.executemany(sql, [list(r) for r in rows])
            return
        from psycopg2.extras import execute_batch

        with self._con.cursor() as cur:
            execute_batch(cur, self._sql(sql, True), rows, page_size=1000)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._fetch(sql, params)[1]

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        """Column names and rows."""
        columns, rows = self._fetch(sql, params)
        return [name for name, _ in columns], rows

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def _fetch(self, sql: str, params: Sequence[Any]) -> tuple[list[tuple[str, Any]], list[Row]]:
        if self.target == "duckdb":
            cur = self._con.execute(sql, list(params))
            return [(d[0], d[1]) for d in cur.description], [tuple(r) for r in cur.fetchall()]
        with self._con.cursor() as cur:
            cur.execute(self._sql(sql, bool(params)), tuple(params) or None)
            return [(d.name, d.type_code) for d in cur.description], list(cur.fetchall())

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """A query's result as pandas, typed as DuckDB's `.df()` types it (the gate's suites
        check column types)."""
        import pandas as pd

        if self.target == "duckdb":
            return self._con.execute(sql, list(params)).df()
        columns, rows = self._fetch(sql, params)
        frame = pd.DataFrame.from_records(rows, columns=[c for c, _ in columns])
        for name, oid in columns:
            if oid in _PG_TIME_OIDS:
                times = pd.to_datetime(frame[name], utc=oid == _PG_TIMESTAMPTZ)
                frame[name] = times.astype("datetime64[us, UTC]" if oid == _PG_TIMESTAMPTZ
                                           else "datetime64[us]")  # fmt: skip
            elif oid in _PG_FLOAT_OIDS:
                frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
            elif oid in _PG_EXACT_DTYPES:
                # numpy's type without nulls, pandas' nullable one (Int32, boolean) with them
                dtype = _PG_EXACT_DTYPES[oid]
                nullable = dtype.capitalize() if dtype != "bool" else "boolean"
                frame[name] = frame[name].astype(nullable if frame[name].isna().any() else dtype)
        return frame

    def tables(self, schema: str, views: bool = False) -> list[str]:
        """The base tables (and with `views`, the views) of a schema, by name."""
        kinds = ["BASE TABLE", "VIEW"] if views else ["BASE TABLE"]
        rows = self.query(
            "select table_name from information_schema.tables"
            f" where table_schema = ? and table_type in ({', '.join('?' for _ in kinds)})"
            " order by table_name",
            [schema, *kinds],
        )
        return [str(r[0]) for r in rows]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """Everything inside commits together or not at all."""
        self.execute("begin")
        try:
            yield self
        except BaseException:
            self.execute("rollback")
            raise
        self.execute("commit")

    def create_table(self, qualified: str, ddl: str, replace: bool = False) -> None:
        """Create `schema.table` with the column list `ddl` (dropping it first if `replace`)."""
        schema = qualified.split(".")[0]
        self.execute(f"create schema if not exists {schema}")
        if replace:
            self.execute(f"drop table if exists {qualified}")
        self.execute(f"create table if not exists {qualified} ({ddl})")

    def append_rows(self, qualified: str, ddl: str, rows: Sequence[Row]) -> None:
        """Create the table if needed (`ddl` is its column list) and append rows."""
        self.create_table(qualified, ddl)
        if not rows:
            return
        if self.target == "duckdb":
            self._append_columns(qualified, rows)
            return
        marks = ", ".join("?" for _ in rows[0])
        self.executemany(f"insert into {qualified} values ({marks})", rows)

    def _append_columns(self, qualified: str, rows: Sequence[Row]) -> None:
        """DuckDB: append rows as one Arrow table, cast to the table's columns by position.
        Its `executemany` runs one statement per row: 6,500 rows of `audit.raw_deliveries`
        took 2.8 s that way, against 10 ms as columns."""
        import pyarrow as pa

        columns = {
            f"c{i}": pa.array(list(values)) for i, values in enumerate(zip(*rows, strict=True))
        }
        self._con.register("_lifecycle_rows", pa.table(columns))
        try:
            self._con.execute(f"insert into {qualified} select * from _lifecycle_rows")
        finally:
            self._con.unregister("_lifecycle_rows")

    def write_frame(self, qualified: str, ddl: str, frame: pd.DataFrame) -> None:
        """Replace `schema.table` (columns `ddl`, in the frame's column order) with the frame.
        NaN becomes null on both engines."""
        self.create_table(qualified, ddl, replace=True)
        if frame.empty:
            return
        if self.target == "duckdb":
            self._con.register("_lifecycle_frame", frame)
            try:
                self._con.execute(f"insert into {qualified} select * from _lifecycle_frame")
            finally:
                self._con.unregister("_lifecycle_frame")
            return
        import pyarrow as pa

        self.copy_arrow(qualified, pa.Table.from_pandas(frame, preserve_index=False))

    def copy_arrow(self, qualified: str, table: Any) -> None:
        """PostgreSQL only: append an Arrow table with COPY (CSV: an unquoted empty field is
        null, a quoted one the empty string, as pyarrow writes them)."""
        import pyarrow.csv as pacsv

        if table.num_rows == 0:
            return
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
        buffer.seek(0)
        columns = ", ".join(f'"{name}"' for name in table.column_names)
        with self._con.cursor() as cur:
            cur.copy_expert(f"copy {qualified} ({columns}) from stdin with (format csv)", buffer)


def pg_connect(settings: PgSettings | None = None) -> Any:
    """A psycopg2 connection in autocommit mode (transactions are explicit), in UTC."""
    import psycopg2

    con = psycopg2.connect(**(settings or PgSettings.from_env()).connect_kwargs())
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute("set time zone 'UTC'")
    return con


def warehouse_exists(home: Home) -> bool:
    """False only for a DuckDB warehouse file not yet created (a server always exists)."""
    return warehouse_target() == "postgres" or home.warehouse.exists()


@contextlib.contextmanager
def open_warehouse(
    home: Home, read_only: bool = False, target: Target | None = None,
    settings: PgSettings | None = None,
) -> Iterator[Warehouse]:  # fmt: skip
    """The warehouse of the current target (or of `target`, e.g. to compare two);
    `read_only` matters to DuckDB (one writer, or many readers), PostgreSQL sessions need no
    such care."""
    target = target or warehouse_target()
    require_warehouse_target(target, "the warehouse's Python steps")
    if target == "duckdb":
        from lifecycle.io import connect

        with connect(home.warehouse, read_only=read_only) as con:
            yield Warehouse(target, con)
        return
    con = pg_connect(settings)
    try:
        yield Warehouse(target, con)
    finally:
        con.close()
