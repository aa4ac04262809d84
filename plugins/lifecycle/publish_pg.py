"""Publish on the PostgreSQL target: swap the gated role schemas in, every role in one
transaction, readable by one database role each.

dbt writes each role's tables into `publish_<role>__next` (lifecycle.dbt_runner passes the
suffix); the gate checks them there. Publishing then, in one transaction: copies the data
team's audit tables (publish log, quality results, raw deliveries) into its `__next` schema,
grants each role's database role `lifecycle_<role>` USAGE on its schema and SELECT on its
tables, renames every current `publish_<role>` to `publish_<role>__old` and every `__next` to
`publish_<role>`, drops the old ones, and logs the publication in `audit.publish_log`. A BI
session sees the old publication in every role or the new one in every role; a query already
running on an old table finishes first (the drop waits for its lock). Nothing else is granted:
`lifecycle_marketing` cannot read `publish_sales`, and no role but the owner reads the
warehouse's own schemas (`audit`, `marts`, ...); the data team reads the quality results
through its copy. BI logins are members of these roles (`grant lifecycle_sales to bi_sales`).

A backfill of a day older than the current publication is logged but not swapped in: the
current state never moves backwards (its `__next` schemas are dropped).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lifecycle import progress
from lifecycle.checksum import table_checksum
from lifecycle.dbt_runner import NEXT_SUFFIX
from lifecycle.lock import Mode, hold
from lifecycle.paths import ROLES
from lifecycle.publish import (
    AUDIT_TABLES,
    PUBLISH_LOG,
    PUBLISH_LOG_DDL,
    PublishedTable,
    PublishError,
    role_schema,
)
from lifecycle.warehouse import open_warehouse

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.paths import Home
    from lifecycle.warehouse import Warehouse

log = logging.getLogger(__name__)
OLD_SUFFIX = "__old"


def db_role(role: str) -> str:
    """The database role that reads one role's schema."""
    return f"lifecycle_{role}"


def ensure_roles(wh: Warehouse) -> None:
    """Create the per-role database roles (NOLOGIN: logins are granted membership)."""
    existing = {str(r[0]) for r in wh.query("select rolname from pg_roles")}
    for role in ROLES:
        if db_role(role) not in existing:
            wh.execute(f"create role {db_role(role)} nologin")


def _schemas(wh: Warehouse) -> set[str]:
    return {str(r[0]) for r in wh.query("select nspname from pg_namespace")}


def current_as_of(wh: Warehouse) -> date | None:
    wh.create_table(PUBLISH_LOG, PUBLISH_LOG_DDL)
    row = wh.query_one(f"select max(as_of_date) from {PUBLISH_LOG} where is_current")
    return row[0] if row else None


def _copy_audit(wh: Warehouse, staged: str, pending: list[tuple[object, ...]]) -> None:
    """The data team's copies of the audit tables, with this publication's log rows."""
    present = set(wh.tables("audit"))
    for name, source in AUDIT_TABLES.items():
        if source.split(".")[1] in present:
            wh.execute(f"create table {staged}.{name} as select * from {source}")
    marks = ", ".join("?" for _ in PUBLISH_LOG_DDL.split(","))
    wh.executemany(f"insert into {staged}.publish_log values ({marks})", pending)


def publish_postgres(home: Home, run_id: str, as_of: date, gate: str) -> list[PublishedTable]:
    """Swap every role's gated schema in (unless a newer day is current) and log it."""
    published_at = datetime.now(UTC).replace(tzinfo=None)  # lineage only
    with (
        hold(home, Mode.EXCLUSIVE, task="publish", run_id=run_id, as_of=as_of),
        open_warehouse(home) as wh,
        wh.transaction(),
    ):
        current = current_as_of(wh)
        is_current = current is None or as_of >= current
        schemas = _schemas(wh)
        done: list[PublishedTable] = []
        for role in ROLES:
            staged = role_schema(role) + NEXT_SUFFIX
            tables = wh.tables(staged) if staged in schemas else []
            if not tables:
                raise PublishError(f"role {role}: no tables in warehouse schema {staged}")
            for name in tables:
                checksum = table_checksum(wh, f"{staged}.{name}")
                done.append(PublishedTable(role, name, checksum.rows, checksum.md5))
        log_rows: list[tuple[object, ...]] = [
            (run_id, as_of, published_at, gate, t.role, t.table, t.row_count, t.checksum,
             is_current)
            for t in done
        ]  # fmt: skip
        if is_current:
            ensure_roles(wh)
            _copy_audit(wh, role_schema("data_team") + NEXT_SUFFIX, log_rows)
            for role in ROLES:
                staged, live = role_schema(role) + NEXT_SUFFIX, role_schema(role)
                wh.execute(f"grant usage on schema {staged} to {db_role(role)}")
                wh.execute(f"grant select on all tables in schema {staged} to {db_role(role)}")
                if live in schemas:
                    wh.execute(f"drop schema if exists {live}{OLD_SUFFIX} cascade")
                    wh.execute(f"alter schema {live} rename to {live}{OLD_SUFFIX}")
                wh.execute(f"alter schema {staged} rename to {live}")
                wh.execute(f"drop schema if exists {live}{OLD_SUFFIX} cascade")
            wh.execute(f"update {PUBLISH_LOG} set is_current = false where is_current")
        else:
            for role in ROLES:
                wh.execute(f"drop schema {role_schema(role)}{NEXT_SUFFIX} cascade")
        wh.append_rows(PUBLISH_LOG, PUBLISH_LOG_DDL, log_rows)
    for t in done:
        progress.emit("publish", f"{t.role:<17} {t.table:<48} {t.row_count:>9,} rows")
    if not is_current:
        progress.emit("publish", f"logged only: {current} is newer and stays current")
    return done
