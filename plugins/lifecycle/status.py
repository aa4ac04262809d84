"""What is published now: read from the serving side only, so it works while a run is going."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from lifecycle.io import connect
from lifecycle.paths import ROLES

if TYPE_CHECKING:
    from lifecycle.config import SourcesConfig
    from lifecycle.extract import PartitionReport
    from lifecycle.paths import Home


def published_tables(home: Home) -> list[tuple[str, str, int]]:
    """(role, table, row count) for every table in every serving snapshot on disk."""
    found = []
    for role in ROLES:
        path = home.serving_file(role)
        if not path.exists():
            continue
        with connect(path, read_only=True) as con:
            names = [r[0] for r in con.execute("show tables").fetchall()]
            for name in names:
                row = con.execute(f'select count(*) from "{name}"').fetchone()
                found.append((role, name, int(row[0]) if row else 0))
    return found


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
    log_file = home.serving_file("data_team")
    if not log_file.exists():
        return {"as_of": None, "gate": None, "tables": {}, "message": "nothing published yet"}
    with connect(log_file, read_only=True) as con:
        last = con.execute(
            "select run_id, as_of_date, published_at, gate from publish_log"
            " where is_current order by published_at desc limit 1"
        ).fetchone()
        warnings = (
            con.execute(
                "select suite || ' ' || check_name || ' (observed ' || observed || ')'"
                " from quality_results where run_id = ? and severity = 'warn' and not passed"
                " order by suite, check_name",
                [last[0]],
            ).fetchall()
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
        "serving": str(home.serving),
        "report": str(home.report_file) if home.report_file.exists() else None,
        "quarantine": quarantine,
        "freshness": freshness,
        "warnings": [w[0] for w in warnings],
        "data_docs": str(docs) if docs.exists() else None,
    }
