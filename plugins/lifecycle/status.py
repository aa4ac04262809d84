"""What is published now: read from the serving side only, so it works while a run is going."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from lifecycle.io import connect
from lifecycle.paths import ROLES

if TYPE_CHECKING:
    from lifecycle.config import SourcesConfig
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


def _raw_health(
    home: Home, sources: SourcesConfig, as_of: date
) -> tuple[dict[str, int], dict[str, Any]]:
    """Quarantined rows per table up to the as-of day, and each table's latest delivery."""
    from lifecycle.extract import delivered_days, read_report

    quarantine: dict[str, int] = {}
    freshness: dict[str, Any] = {}
    for table in sources.tables:
        days = [d for d in delivered_days(table, home.sources) if d <= as_of]
        reports = [r for r in (read_report(home, table, d) for d in days) if r is not None]
        quarantine[table.key] = sum(r.quarantined for r in reports)
        latest = max((date.fromisoformat(r.delivery_date) for r in reports), default=None)
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
    if last is None:
        return {"as_of": None, "gate": None, "tables": {}, "message": "nothing published yet"}
    run_id, as_of, published_at, gate = last
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
    }
