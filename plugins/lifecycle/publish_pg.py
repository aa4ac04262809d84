"""Publish on the PostgreSQL target: swap the gated role schemas in, every role in one
transaction, readable by one database role each.

dbt writes each role's tables into `publish_<role>__next` (lifecycle.dbt_runner passes the
suffix); the gate checks them there. Publishing then, in one transaction: copies the data
team's audit tables (publish log, quality results, raw deliveries) into its `__next` schema,
grants each role's database role `lifecycle_<role>` USAGE on its schema and SELECT on its
tables, renames every current `publish_<role>` to `publish_<role>__old` and every `__next` to
`publish_<role>` (after locking every live table: `_lock_live` says why), and logs the
publication in `audit.publish_log`. A BI statement sees the old publication in every role or
the new one in every role, even one reading several role schemas; a query already running
finishes on the old tables first. The renamed-away `__old` schemas are dropped after the
commit, each on its own. tests/integration/test_postgres_nightly.py caught both ways this goes
wrong without the lock: a statement joining two schemas got tables of two publications, and a
drop inside the transaction deadlocked with a reader (PostgreSQL aborted the publish).
Nothing else is granted:
`lifecycle_marketing` cannot read `publish_sales`, and no role but the owner reads the
warehouse's own schemas (`audit`, `marts`, ...); the data team reads the quality results
through its copy. BI logins are members of these roles (`grant lifecycle_sales to bi_sales`).

The HTML report is rendered from the same build before the swap (its quarantine figures from
the data team's `__next` schema) and kept like a DuckDB publication's, in a folder of its own
under `serving/publications/` holding only `report.html`; it is made current after the
transaction commits, so the page may lag the database by a moment but never leads it.

A backfill of a day older than the current publication is logged but not swapped in: the
current state never moves backwards (its `__next` schemas are dropped); its report is kept
under `serving/history/<as-of>/`.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lifecycle import progress, serving
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
from lifecycle.report import render_report
from lifecycle.warehouse import open_warehouse

if TYPE_CHECKING:
    from datetime import date

    from lifecycle.paths import Home
    from lifecycle.warehouse import Warehouse

log = logging.getLogger(__name__)
OLD_SUFFIX = "__old"
# How long one attempt to lock the live tables waits (at most half the server's
# deadlock_timeout), and how long publishing keeps trying before it gives up.
LOCK_WAIT_MS = 200
LOCK_PATIENCE_SECONDS = 600


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
    ):
        serving.tidy(home, current_as_of(wh))
        staged = serving.new_publication(home, as_of)
        try:
            render_report(home, as_of, run_id, gate=gate, wh=wh, path=staged / "report.html",
                          data_team_schema=role_schema("data_team") + NEXT_SUFFIX)  # fmt: skip
            drop_old_schemas(wh)
            with wh.transaction():
                done, is_current, current = swap_in(wh, run_id, as_of, gate, published_at)
            drop_old_schemas(wh)
            serving.commit(home, staged, as_of, make_current=is_current)
        finally:
            shutil.rmtree(staged, ignore_errors=True)  # gone already once committed
    for t in done:
        progress.emit("publish", f"{t.role:<17} {t.table:<48} {t.row_count:>9,} rows")
    report = home.report_file if is_current else home.report_history(as_of)
    progress.emit("publish", f"report (open in a browser, no server): {report}")
    if not is_current:
        progress.emit("publish", f"logged only: {current} is newer and stays current")
    return done


def _lock_live(wh: Warehouse, schemas: set[str]) -> None:
    """Take every published table away from new BI statements before the renames.

    A statement resolves its tables one by one, each when it locks it; a swap committing in
    between would give it some tables of each publication. Holding every live table
    exclusively makes a statement that starts now wait and then see only the new ones, and
    the renames wait for statements already reading. The lock is tried with a timeout below
    the server's deadlock_timeout and retried after a rollback to a savepoint: a BI statement
    holding one table while waiting for another makes the publish give way, not the reader.
    """
    import psycopg2.errors

    tables = [
        f"{role_schema(role)}.{name}"
        for role in ROLES
        if role_schema(role) in schemas
        for name in wh.tables(role_schema(role))
    ]
    if not tables:
        return
    row = wh.query_one("select setting::int from pg_settings where name = 'deadlock_timeout'")
    wait_ms = max(10, min(LOCK_WAIT_MS, (int(row[0]) if row else 1000) // 2))
    deadline = time.monotonic() + LOCK_PATIENCE_SECONDS
    for attempt in itertools.count(1):
        wh.execute("savepoint lock_live")
        try:
            wh.execute(f"set local lock_timeout = {wait_ms}")
            wh.execute(f"lock table {', '.join(tables)} in access exclusive mode")
            wh.execute("set local lock_timeout = 0")
            wh.execute("release savepoint lock_live")
        except psycopg2.errors.LockNotAvailable:
            wh.execute("rollback to savepoint lock_live")
            if time.monotonic() > deadline:
                raise PublishError(
                    f"BI sessions kept the published tables busy for {LOCK_PATIENCE_SECONDS} s"
                    f" ({attempt} attempts to lock them); nothing was switched, retry later"
                ) from None
            time.sleep(min(0.02 * attempt, 1.0))
            continue
        if attempt > 1:
            log.info("published tables locked after %d attempts (readers in the way)", attempt)
        return


def drop_old_schemas(wh: Warehouse) -> None:
    """Drop the schemas a swap renamed away (`publish_<role>__old`), each in its own
    transaction: a drop waits for the BI queries still reading the old tables to finish."""
    for schema in sorted(_schemas(wh)):
        if schema.startswith("publish_") and schema.endswith(OLD_SUFFIX):
            wh.execute(f"drop schema {schema} cascade")


def swap_in(
    wh: Warehouse, run_id: str, as_of: date, gate: str, published_at: datetime
) -> tuple[list[PublishedTable], bool, date | None]:
    """Inside one transaction: the checksums, the grants, the renames and the log rows."""
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
        _lock_live(wh, schemas)
        for role in ROLES:
            staged, live = role_schema(role) + NEXT_SUFFIX, role_schema(role)
            wh.execute(f"grant usage on schema {staged} to {db_role(role)}")
            wh.execute(f"grant select on all tables in schema {staged} to {db_role(role)}")
            if live in schemas:
                if live + OLD_SUFFIX in schemas:  # left by a run that died before dropping it
                    wh.execute(f"drop schema {live}{OLD_SUFFIX} cascade")
                wh.execute(f"alter schema {live} rename to {live}{OLD_SUFFIX}")
            wh.execute(f"alter schema {staged} rename to {live}")
        wh.execute(f"update {PUBLISH_LOG} set is_current = false where is_current")
    else:
        for role in ROLES:
            wh.execute(f"drop schema {role_schema(role)}{NEXT_SUFFIX} cascade")
    wh.append_rows(PUBLISH_LOG, PUBLISH_LOG_DDL, log_rows)
    return done, is_current, current
