"""Publish (write-audit-publish): copy each role's gated tables into a new publication and
switch readers to it with one atomic rename, every role at once.

Readers only ever open `serving/<role>.duckdb` (and `serving/report/index.html`): stable links
through `serving/current`, which points to one publication folder. A publication's snapshots
and its HTML report (lifecycle.report) are written into a temporary folder, renamed to a new
folder of their own, linked as the day's `serving/history/<as-of>`, and made current by
replacing the `current` link (lifecycle.serving). A reader therefore sees the old publication
in every role or the new one in every role, never a half-written file, a mix of two days or a
lock held by the writer; a run killed at any point leaves the old publication current and only
`.tmp` names behind, which the next publication removes. Backfilled days keep their own
published state under `history/`, and the current one never moves backwards. Every publication
is logged, one row per table, in `audit.publish_log` (warehouse) and in the data team's
snapshot. Publishing holds the warehouse lock exclusively (lifecycle.lock).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lifecycle import progress, serving
from lifecycle.io import append_rows, connect, table_checksum, warehouse_tables
from lifecycle.lock import Mode, hold
from lifecycle.paths import ROLES
from lifecycle.report import render_report
from lifecycle.warehouse import Warehouse

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

    import duckdb

    from lifecycle.paths import Home

log = logging.getLogger(__name__)
PUBLISH_LOG = "audit.publish_log"
PUBLISH_LOG_DDL = (
    "run_id varchar, as_of_date date, published_at timestamp, gate varchar, role varchar,"
    " table_name varchar, row_count bigint, checksum varchar, is_current boolean"
)
AUDIT_TABLES = {
    "publish_log": PUBLISH_LOG,
    "quality_results": "audit.quality_results",
    "raw_deliveries": "audit.raw_deliveries",
}


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class PublishedTable:
    role: str
    table: str
    row_count: int
    checksum: str


def role_schema(role: str) -> str:
    return f"publish_{role}"


def current_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """As-of date of the publication now in serving (None before the first)."""
    append_rows(con, PUBLISH_LOG, PUBLISH_LOG_DDL, [])
    row = con.execute(f"select max(as_of_date) from {PUBLISH_LOG} where is_current").fetchone()
    return row[0] if row else None


def _snapshot(
    wh: duckdb.DuckDBPyConnection, role: str, target: Path, pending: Sequence[tuple[object, ...]]
) -> list[PublishedTable]:
    """Write one role's tables into a new DuckDB file at `target` (a temporary name)."""
    tables = warehouse_tables(wh, role_schema(role))
    if not tables:
        raise PublishError(f"role {role}: no tables in warehouse schema {role_schema(role)}")
    target.unlink(missing_ok=True)
    wh.execute(f"attach '{target}' as snap")
    try:
        published = []
        for name in tables:
            wh.execute(f"create table snap.main.{name} as select * from {role_schema(role)}.{name}")
            rows, checksum = table_checksum(wh, f"snap.main.{name}")
            published.append(PublishedTable(role, name, rows, checksum))
        if role == "data_team":
            # The gate wrote its results and current_as_of the log; the build wrote the
            # deliveries (absent only when the warehouse was built outside lifecycle.build).
            present = set(warehouse_tables(wh, "audit"))
            for name, source in AUDIT_TABLES.items():
                if source.split(".")[1] in present:
                    wh.execute(f"create table snap.main.{name} as select * from {source}")
            marks = ", ".join("?" for _ in PUBLISH_LOG_DDL.split(","))
            wh.executemany(f"insert into snap.main.publish_log values ({marks})", pending)
        wh.execute("checkpoint snap")
    finally:
        wh.execute("detach snap")
    return published


def publish(home: Home, run_id: str, as_of: date, gate: str) -> list[PublishedTable]:
    """Publish every role's tables for the as-of date.

    Each publication is kept under its day (`serving/history/<as-of>/<role>.duckdb`).
    It also becomes the current state (`serving/<role>.duckdb`) unless a newer day is
    already current: a backfill of an old day never moves readers backwards.
    """
    published_at = datetime.now(UTC).replace(tzinfo=None)  # lineage only
    with (
        hold(home, Mode.EXCLUSIVE, task="publish", run_id=run_id, as_of=as_of),
        connect(home.warehouse) as wh,
    ):
        logged = current_as_of(wh)
        serving.tidy(home, logged)
        current = max((d for d in (serving.current_day(home), logged) if d), default=None)
        is_current = current is None or as_of >= current
        done: list[PublishedTable] = []

        def log_rows(tables: list[PublishedTable]) -> list[tuple[object, ...]]:
            return [
                (run_id, as_of, published_at, gate, t.role, t.table, t.row_count, t.checksum,
                 is_current)
                for t in tables
            ]  # fmt: skip

        staged = serving.new_publication(home, as_of)
        try:
            for role in ROLES:
                done.extend(_snapshot(wh, role, staged / f"{role}.duckdb", log_rows(done)))
            # The report is written like the snapshots: if it fails, nothing is published.
            render_report(
                home,
                as_of,
                run_id,
                gate=gate,
                wh=Warehouse("duckdb", wh),
                path=staged / "report.html",
            )
            serving.commit(home, staged, as_of, make_current=is_current)
        finally:
            shutil.rmtree(staged, ignore_errors=True)  # gone already once committed
        wh.execute("begin")
        if is_current:
            wh.execute(f"update {PUBLISH_LOG} set is_current = false where is_current")
        append_rows(wh, PUBLISH_LOG, PUBLISH_LOG_DDL, log_rows(done))
        wh.execute("commit")
    for t in done:
        progress.emit("publish", f"{t.role:<17} {t.table:<48} {t.row_count:>9,} rows")
    report = home.report_file if is_current else home.report_history(as_of)
    progress.emit("publish", f"report (open in a browser, no server): {report}")
    if not is_current:
        progress.emit(
            "publish",
            f"kept under {home.serving_history(as_of)} only: {current} is newer and stays current",
        )
    return done
