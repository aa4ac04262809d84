"""What is published now: read from the serving side only (the snapshots, or on PostgreSQL the
role schemas), so it works while a run is going."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from lifecycle.io import connect
from lifecycle.paths import ROLES
from lifecycle.warehouse import Warehouse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lifecycle.config import SourcesConfig
    from lifecycle.extract import PartitionReport
    from lifecycle.paths import Home


def published_tables(home: Home) -> list[tuple[str, str, int]]:
    """(role, table, row count) for every table readers see now: in every serving snapshot
    on disk, or on the PostgreSQL target in every role's schema."""
    from lifecycle.target import warehouse_target

    if warehouse_target() == "postgres":
        from lifecycle.publish import role_schema
        from lifecycle.warehouse import open_warehouse

        with open_warehouse(home) as wh:
            return [
                (role, name, _count(wh, f"{role_schema(role)}.{name}"))
                for role in ROLES
                for name in wh.tables(role_schema(role))
            ]
    found: list[tuple[str, str, int]] = []
    for role in ROLES:
        path = home.serving_file(role)
        if not path.exists():
            continue
        with connect(path, read_only=True) as con:
            wh = Warehouse("duckdb", con)
            found.extend((role, name, _count(wh, f'"{name}"')) for name in wh.tables("main"))
    return found


def serving_location(home: Home) -> str:
    """Where readers find the publication: the serving folder, or the PostgreSQL database."""
    from lifecycle.target import PgSettings, warehouse_target

    if warehouse_target() == "postgres":
        return f"{PgSettings.from_env().location} (schemas publish_<role>)"
    return str(home.serving)


def _count(wh: Warehouse, table: str) -> int:
    row = wh.query_one(f"select count(*) from {table}")
    return int(row[0]) if row else 0


@contextmanager
def _data_team(home: Home) -> Iterator[tuple[Warehouse, str] | None]:
    """The data team's published copy of the publish log and quality results, and the prefix
    of its tables; None before the first publication."""
    from lifecycle.target import warehouse_target

    if warehouse_target() == "postgres":
        from lifecycle.publish import role_schema
        from lifecycle.warehouse import open_warehouse

        schema = role_schema("data_team")
        with open_warehouse(home) as wh:
            yield (wh, f"{schema}.") if "publish_log" in wh.tables(schema) else None
        return
    path = home.serving_file("data_team")
    if not path.exists():
        yield None
        return
    with connect(path, read_only=True) as con:
        yield Warehouse("duckdb", con), ""


def delivery_reports(home: Home, sources: SourcesConfig, as_of: date) -> list[PartitionReport]:
    """The extract's counts of every completed raw partition delivered up to the as-of day."""
    from lifecycle.extract import read_report
    from lifecycle.readers import available_days

    found = []
    for source in sources.sources:
        for table in source.tables:
            for day in available_days(home, source, table, as_of):
                report = read_report(home, table, day)
                if report is not None:
                    found.append(report)
    return found


RAW_DELIVERIES = "audit.raw_deliveries"


def record_deliveries(home: Home, sources: SourcesConfig, as_of: date) -> int:
    """`audit.raw_deliveries` (published to the data team): one row per table and delivery
    day up to the as-of date with the extract's counts, for volume and freshness over time."""
    from lifecycle.warehouse import open_warehouse

    rows = [
        (
            r.table,
            date.fromisoformat(r.delivery_date),
            r.file,
            r.read,
            r.loaded,
            r.quarantined,
            r.duplicates,
            r.undeclared_columns,
            r.repeat_of,
            r.newest_cursor,
        )  # fmt: skip
        for r in delivery_reports(home, sources, as_of)
    ]
    ddl = (
        "table_key varchar, delivery_date date, file varchar, rows_read bigint,"
        " rows_loaded bigint, rows_quarantined bigint, rows_duplicate bigint,"
        " undeclared_columns varchar, repeat_of varchar, newest_record_at varchar"
    )
    with open_warehouse(home) as wh, wh.transaction():
        wh.create_table(RAW_DELIVERIES, ddl, replace=True)
        wh.append_rows(RAW_DELIVERIES, ddl, rows)
    return len(rows)


def _raw_health(
    home: Home, sources: SourcesConfig, as_of: date
) -> tuple[dict[str, int], dict[str, Any]]:
    """Quarantined rows per table up to the as-of day, and each table's latest delivery."""
    reports = delivery_reports(home, sources, as_of)
    quarantine: dict[str, int] = {}
    freshness: dict[str, Any] = {}
    for table in sources.tables:
        mine = [r for r in reports if r.table == table.key]
        quarantine[table.key] = sum(r.quarantined for r in mine)
        latest = max((date.fromisoformat(r.delivery_date) for r in mine), default=None)
        freshness[table.key] = {
            "latest_delivery": latest.isoformat() if latest else None,
            "days_behind_as_of": (as_of - latest).days if latest else None,
        }
    return quarantine, freshness


def status(home: Home, sources: SourcesConfig) -> dict[str, Any]:
    """The last publication: as-of date, run, gate, row count per table, quarantine, freshness."""
    with _data_team(home) as found:
        if found is None:
            return {"as_of": None, "gate": None, "tables": {}, "message": "nothing published yet"}
        wh, prefix = found
        last = wh.query_one(
            f"select run_id, as_of_date, published_at, gate from {prefix}publish_log"
            " where is_current order by published_at desc limit 1"
        )
        warnings = (
            wh.query(
                "select suite || ' ' || check_name || ' (observed ' || observed || ')'"
                f" from {prefix}quality_results where run_id = ? and severity = 'warn'"
                " and not passed order by suite, check_name",
                [last[0]],
            )
            if last is not None
            else []
        )
    if last is None:
        return {"as_of": None, "gate": None, "tables": {}, "message": "nothing published yet"}
    run_id, as_of, published_at, gate = last
    docs = home.quality / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    quarantine, freshness = _raw_health(home, sources, as_of)
    return {
        "as_of": as_of.isoformat(),
        "run_id": run_id,
        "published_at": published_at.isoformat(),
        "gate": gate,
        "tables": {f"{role}.{name}": rows for role, name, rows in published_tables(home)},
        "serving": serving_location(home),
        "report": str(home.report_file) if home.report_file.exists() else None,
        "quarantine": quarantine,
        "freshness": freshness,
        "warnings": [w[0] for w in warnings],
        "data_docs": str(docs) if docs.exists() else None,
    }
