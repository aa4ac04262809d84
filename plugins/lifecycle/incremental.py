"""Which deliveries an incremental dbt build must re-read.

The incremental models replace every delivery from `reprocess_from` on (base_app__events,
the order and line item versions, int_app_user_event_days, and the raw zone's delivery
counts and quarantined rows, stg_raw__deliveries and stg_raw_quarantine__rows) or what those
deliveries touch (the latest orders and line items, the customer-day history). Normally that
is the look-back window (as-of date minus `late_data_lookback_days`), but it moves earlier:
- when the raw zone gained, changed or lost an older delivery of any raw table (a missing
  day caught up, a file re-delivered with corrections, a bad delivery removed). The ledger
  `audit.absorbed_deliveries` records the source file checksum of every delivery the
  warehouse has absorbed; a delivery whose checksum differs, that is not in the ledger, or
  that is in the ledger but no longer in the raw zone, moves `reprocess_from` back to its
  day;
- when the last build was for an older as-of date (a backfill of an old day, or nights
  skipped): the models that hold state as of a date lack everything delivered after it, so
  the build re-reads from the day after. `audit.incremental_builds` records each build.
So the incremental path always ends where a full refresh would. A warehouse with no build
on record (new, or built by a version before this ledger) is built by a full refresh
(lifecycle.build), which also rebuilds incremental models whose columns changed.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING

from lifecycle.extract import PARTITION
from lifecycle.warehouse import open_warehouse, warehouse_exists

if TYPE_CHECKING:
    from lifecycle.paths import Home

LEDGER = "audit.absorbed_deliveries"
LEDGER_DDL = "table_key varchar, delivery_date varchar, sha256 varchar"
BUILDS = "audit.incremental_builds"
BUILDS_DDL = "as_of_date date, reprocess_from date, full_refresh boolean, built_at timestamp"
# The builds whose every dbt data test passed in the gate (built_at as in BUILDS).
TESTED = "audit.tested_builds"
TESTED_DDL = "built_at timestamp, tested_at timestamp"


def raw_deliveries(home: Home) -> dict[tuple[str, str], str]:
    """(table, delivery day) -> source file sha256 of every completed raw partition of every
    raw table (raw/<source>/<table>/delivery_date=D/_extract.json; a quarantine partition
    comes from the same file as its table's)."""
    found: dict[tuple[str, str], str] = {}
    for sidecar in sorted(home.raw.glob(f"*/*/{PARTITION}=*/_extract.json")):
        table = f"{sidecar.parent.parent.parent.name}.{sidecar.parent.parent.name}"
        day = sidecar.parent.name.split("=", 1)[1]
        found[(table, day)] = json.loads(sidecar.read_text(encoding="utf-8"))["sha256"]
    return found


def _state(
    home: Home,
) -> tuple[dict[tuple[str, str], str], tuple[date, date | None] | None]:
    """The absorbed deliveries and the last build's (as-of date, reprocess_from; None after
    a full refresh)."""
    if not warehouse_exists(home):
        return {}, None
    with open_warehouse(home, read_only=True) as wh:
        tables = wh.tables("audit")
        rows = (
            wh.query(f"select table_key, delivery_date, sha256 from {LEDGER}")
            if "absorbed_deliveries" in tables
            else []
        )
        last = (
            wh.query_one(
                f"select as_of_date, reprocess_from from {BUILDS} order by built_at desc limit 1"
            )
            if "incremental_builds" in tables
            else None
        )
    absorbed = {(str(t), str(d)): str(s) for t, d, s in rows}
    return absorbed, (last[0], last[1]) if last else None


def reprocess_from(home: Home, as_of: date, lookback_days: int) -> date:
    """The first delivery day the next incremental build must re-read."""
    start = as_of - timedelta(days=lookback_days)
    absorbed, last = _state(home)
    deliveries = raw_deliveries(home)
    changed = [
        date.fromisoformat(day)
        for (table, day), sha in deliveries.items()
        if last is None or absorbed.get((table, day)) != sha
    ]
    # A delivery absorbed but no longer in the raw zone (removed by hand, say a bad file)
    # leaves rows the next build must drop: re-read from its day, which no longer has it.
    removed = [date.fromisoformat(day) for key, day in absorbed if (key, day) not in deliveries]
    behind = [last[0] + timedelta(days=1)] if last else []
    return min([start, *changed, *removed, *behind])


def has_build_record(home: Home) -> bool:
    """Whether an earlier build is on record (else the next build is a full refresh)."""
    return _state(home)[1] is not None


def incremental_vars(home: Home, as_of: date, lookback_days: int) -> dict[str, str]:
    """The dbt vars of an incremental build."""
    start = reprocess_from(home, as_of, lookback_days)
    return {"lifecycle__reprocess_from": start.isoformat()}


def built_vars(home: Home, as_of: date, lookback_days: int) -> dict[str, str]:
    """The vars the last build of `as_of` ran with, for the gate's `dbt test`: the tests see
    the build's run values, and dbt, finding them unchanged, re-parses nothing."""
    _, last = _state(home)
    if last is None or last[0] != as_of:
        return incremental_vars(home, as_of, lookback_days)
    return {"lifecycle__reprocess_from": last[1].isoformat()} if last[1] else {}


def tested_from(home: Home) -> date | None:
    """The first delivery day whose rows of the delivery-day incremental models may differ
    from what a gate whose dbt tests all passed has seen, or None when every row must be
    tested (no such gate on record, or a full refresh since).

    A build replaces only the deliveries from its `reprocess_from` on, so the rows
    delivered before the earliest `reprocess_from` of the builds since the last tested
    one are as that gate tested them. The latest build always counts, so a gate that runs
    again on a build it already passed re-tests that build's window. A failed gate
    records nothing: the next night tests its rows again.
    """
    if not warehouse_exists(home):
        return None
    with open_warehouse(home, read_only=True) as wh:
        tables = wh.tables("audit")
        if "tested_builds" not in tables or "incremental_builds" not in tables:
            return None
        tested = wh.query_one(f"select max(built_at) from {TESTED}")
        if tested is None or tested[0] is None:
            return None
        since = wh.query(
            f"select reprocess_from from {BUILDS}"
            f" where built_at > ? or built_at = (select max(built_at) from {BUILDS})",
            [tested[0]],
        )
    starts: list[date | None] = [row[0] for row in since]
    if not starts or None in starts:
        return None
    return min(start for start in starts if start is not None)


def tested_vars(home: Home) -> dict[str, str]:
    """The gate's `dbt test` var that scopes the key tests of the delivery-day incremental
    models (dbt_project/tests/generic/unique_combination.sql, `changed_since`)."""
    start = tested_from(home)
    return {"lifecycle__tested_from": start.isoformat()} if start else {}


def record_tested(home: Home) -> None:
    """After a gate whose every dbt data test passed: the latest build is tested."""
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(tzinfo=None)
    with open_warehouse(home) as wh, wh.transaction():
        latest = (
            wh.query_one(f"select max(built_at) from {BUILDS}")
            if "incremental_builds" in wh.tables("audit")
            else None
        )
        if latest is None or latest[0] is None:
            return
        wh.append_rows(TESTED, TESTED_DDL, [(latest[0], now)])


def record_absorbed(home: Home, as_of: date, start: date | None) -> int:
    """After a successful build: the raw deliveries the warehouse now reflects, and the
    build (as-of date, first delivery day re-read; None for a full refresh, which re-read
    everything)."""
    from datetime import UTC, datetime

    rows = [(t, d, s) for (t, d), s in sorted(raw_deliveries(home).items())]
    built = datetime.now(UTC).replace(tzinfo=None)
    with open_warehouse(home) as wh, wh.transaction():
        wh.create_table(LEDGER, LEDGER_DDL)
        wh.execute(f"delete from {LEDGER}")
        wh.append_rows(LEDGER, LEDGER_DDL, rows)
        wh.append_rows(BUILDS, BUILDS_DDL, [(as_of, start, start is None, built)])
    return len(rows)
