"""The `sql` kind: one day of a database table, pulled by its cursor column with dlt.

A table's delivery for day D is the rows whose cursor column (the declared cursor's
database column) lies in [D 00:00 UTC, D+1 00:00 UTC): the rows that changed on D, in the
state the database holds when they are pulled. dlt's `sql_table` (pyarrow backend) does the
reading, bounded by a `dlt.sources.incremental` with exactly those bounds and no pipeline,
state or destination: the raw zone and its sidecars are the platform's own record of what was
pulled, so a re-run of D pulls D again, and nothing else.

Rows come ordered by cursor, then primary key (an ORDER BY added through dlt's
`query_adapter_callback`), so line numbers and the checksum are the same on every pull of
the same data. Only the declared columns are selected; each row becomes a `SourceRecord`
keyed by the declared source fields, its values written as text the way a file export's
text would parse (`sql_schema.as_text`), and the shared extract does the rest.

Before anything is pulled the table is reflected and compared with the declaration
(`sql_schema.drift`): a missing or no-longer-fitting column stops the source
(`ExtractError`), an extra one is reported (`Delivery.undeclared`). A database that cannot be
reached is a `MissingDelivery`, which the extract task retries.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from lifecycle.readers import (
    Delivery,
    ExtractError,
    MissingDelivery,
    RunningDigest,
    SourceRecord,
    resolve_connection,
)
from lifecycle.readers.sql_schema import as_text, drift, read_as_text

if TYPE_CHECKING:
    from collections.abc import Iterator

    import sqlalchemy as sa

    from lifecycle.config import SourceConfig, TableConfig

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 50_000
DEFAULT_CONNECT_TIMEOUT_S = 30


def engine_url(uri: str) -> sa.engine.URL:
    """A connection URI as SQLAlchemy takes it: Airflow writes PostgreSQL as `postgres://`
    and may add its own `__extra__` parameter; without a driver named, PostgreSQL is read
    through psycopg2, the driver the project pins (SQLAlchemy 2.1 would pick psycopg 3)."""
    import sqlalchemy as sa

    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://") :]
    url = sa.make_url(uri).difference_update_query(["__extra__"])
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return url


def database_name(url: sa.engine.URL) -> str:
    """The database as messages name it: backend, host, port and database, no credentials."""
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{url.get_backend_name()}://{host}{port}/{url.database or ''}"


def _split_location(location: str) -> tuple[str | None, str]:
    schema, _, name = location.rpartition(".")
    return (schema or None), name


def _connection_error(exc: BaseException) -> BaseException | None:
    """The database's own connection error behind a (possibly wrapped) exception."""
    import sqlalchemy as sa

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (sa.exc.OperationalError, sa.exc.InterfaceError)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _unreachable(source: SourceConfig, table: TableConfig, db: str, exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (
        f"{table.key}: cannot reach the database of connection {source.connection!r} ({db}):"
        f" {reason[0] if reason else type(exc).__name__}"
    )


def _create_engine(source: SourceConfig) -> sa.engine.Engine:
    import sqlalchemy as sa

    url = engine_url(resolve_connection(str(source.connection)))
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        timeout = source.options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S)
        connect_args["connect_timeout"] = int(timeout)
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _reflect(
    source: SourceConfig, table: TableConfig, engine: sa.engine.Engine, where: str
) -> tuple[sa.MetaData, sa.Table]:
    import sqlalchemy as sa

    schema, name = _split_location(table.location)
    metadata = sa.MetaData(schema=schema)
    try:
        reflected = sa.Table(name, metadata, autoload_with=engine)
    except sa.exc.NoSuchTableError:
        raise ExtractError(
            f"{table.key}: {where}: table {table.location} not found (renamed or dropped in"
            " the source, or not visible to the connection's user)"
        ) from None
    except Exception as exc:
        cause = _connection_error(exc)
        if cause is None:
            raise
        raise MissingDelivery(
            _unreachable(source, table, database_name(engine.url), cause)
        ) from None
    return metadata, reflected


def _check(
    table: TableConfig, reflected: sa.Table, engine: sa.engine.Engine, where: str
) -> set[str]:
    cursor = table.column(table.cursor)
    if cursor.type != "timestamp":
        raise ExtractError(
            f"{table.key}: the cursor {table.cursor} is declared {cursor.type}: a sql table is"
            " pulled a day at a time, so its cursor must be a timestamp column"
        )
    found = {c.name: c.type for c in reflected.columns}
    breaking, undeclared = drift(f"{table.key}: {where}", table.columns, found, engine.dialect)
    if breaking:
        raise ExtractError("; ".join(breaking) + " (a breaking change: the source stops)")
    return undeclared


def open_delivery(source: SourceConfig, table: TableConfig, day: date) -> Delivery:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    start = datetime.combine(day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    engine = _create_engine(source)
    where = f"{database_name(engine.url)} {table.location}"
    shown = f"{where} [{day.isoformat()}, {(day + timedelta(days=1)).isoformat()})"
    try:
        metadata, reflected = _reflect(source, table, engine, where)
        undeclared = _check(table, reflected, engine, where)
    except BaseException:
        engine.dispose()
        raise
    digest = RunningDigest()
    log.info("%s: pulling %s", table.key, shown)
    records = _records(source, table, engine, metadata, reflected, (start, end), digest)
    return Delivery(shown=shown, records=records, checksum=digest.hexdigest, undeclared=undeclared)


def _records(
    source: SourceConfig,
    table: TableConfig,
    engine: sa.engine.Engine,
    metadata: sa.MetaData,
    reflected: sa.Table,
    bounds: tuple[datetime, datetime],
    digest: RunningDigest,
) -> Iterator[SourceRecord]:
    import dlt
    import sqlalchemy as sa
    from dlt.sources.sql_database import sql_table

    cursor = table.column(table.cursor).read_from
    key = table.column(table.primary_key).read_from
    as_text_columns = {c.name for c in reflected.columns if read_as_text(c.type)}

    def adapt_type(column_type: Any) -> Any:
        return sa.Text() if read_as_text(column_type) else column_type

    def ordered(query: Any, db_table: sa.Table, *_: Any) -> Any:
        if as_text_columns:
            query = query.with_only_columns(
                *(
                    sa.cast(c, sa.Text).label(c.name) if c.name in as_text_columns else c
                    for c in query.selected_columns
                )
            )
        return query.order_by(db_table.c[cursor].asc(), db_table.c[key].asc())

    resource = sql_table(
        credentials=engine,
        table=reflected.name,
        metadata=metadata,
        backend="pyarrow",
        chunk_size=int(source.options.get("chunk_size", DEFAULT_CHUNK_SIZE)),
        included_columns=[c.read_from for c in table.columns],
        incremental=dlt.sources.incremental(
            cursor,
            initial_value=bounds[0],
            end_value=bounds[1],
            range_start="closed",
            range_end="open",
        ),
        type_adapter_callback=adapt_type,
        query_adapter_callback=ordered,
    )
    fields = [(c.read_from, c.source_field, c.type) for c in table.columns]
    line = 0
    try:
        for batch in resource:
            columns = {name: batch.column(name).to_pylist() for name, _, _ in fields}
            for i in range(batch.num_rows):
                texts = {name: as_text(columns[name][i], declared) for name, _, declared in fields}
                raw = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                line += 1
                record = {spec: texts[name] for name, spec, _ in fields}
                yield SourceRecord(line, digest.add(raw), record)
    except Exception as exc:
        cause = _connection_error(exc)
        if cause is None:
            raise
        raise MissingDelivery(
            _unreachable(source, table, database_name(engine.url), cause)
        ) from None
    finally:
        engine.dispose()
