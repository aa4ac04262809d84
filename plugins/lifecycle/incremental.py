"""Which deliveries an incremental dbt build must re-read.

The incremental models (base_app__events, int_app_user_event_days) replace every delivery from
`reprocess_from` on. Normally that is the look-back window (as-of date minus
`late_data_lookback_days`), but the raw zone can also gain or change an older delivery:
a missing day caught up, a file re-delivered with corrections. The ledger
`audit.absorbed_deliveries` records the source file checksum of every delivery the
warehouse has absorbed; a delivery whose checksum differs, or that is not in the ledger,
moves `reprocess_from` back to its day, so the incremental path always ends where a full
refresh would.
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
# The raw tables the incremental models read (dbt sources `app.events`).
INCREMENTAL_RAW_TABLES = (("app", "events"),)


def raw_deliveries(home: Home) -> dict[tuple[str, str], str]:
    """(table, delivery day) -> source file sha256 of every completed raw partition."""
    found: dict[tuple[str, str], str] = {}
    for source, table in INCREMENTAL_RAW_TABLES:
        for sidecar in sorted((home.raw / source / table).glob(f"{PARTITION}=*/_extract.json")):
            day = sidecar.parent.name.split("=", 1)[1]
            sha = json.loads(sidecar.read_text(encoding="utf-8"))["sha256"]
            found[(f"{source}.{table}", day)] = sha
    return found


def _ledger(home: Home) -> dict[tuple[str, str], str]:
    if not warehouse_exists(home):
        return {}
    with open_warehouse(home, read_only=True) as wh:
        if "absorbed_deliveries" not in wh.tables("audit"):
            return {}
        rows = wh.query(f"select table_key, delivery_date, sha256 from {LEDGER}")
    return {(str(t), str(d)): str(s) for t, d, s in rows}


def reprocess_from(home: Home, as_of: date, lookback_days: int) -> date:
    """The first delivery day the next incremental build must re-read."""
    start = as_of - timedelta(days=lookback_days)
    absorbed = _ledger(home)
    changed = [
        date.fromisoformat(day)
        for (table, day), sha in raw_deliveries(home).items()
        if absorbed.get((table, day)) != sha
    ]
    return min([start, *changed])


def incremental_vars(home: Home, as_of: date, lookback_days: int) -> dict[str, str]:
    """The dbt vars of an incremental build. The gate's `dbt test` passes them too: dbt
    re-parses the whole project whenever `--vars` differ from its last invocation (about
    6 s here), and after the build has recorded what it absorbed they come out the same
    unless a delivery arrived in between."""
    start = reprocess_from(home, as_of, lookback_days)
    return {"lifecycle__reprocess_from": start.isoformat()}


def record_absorbed(home: Home) -> int:
    """After a successful build: the raw deliveries the warehouse now reflects."""
    rows = [(t, d, s) for (t, d), s in sorted(raw_deliveries(home).items())]
    with open_warehouse(home) as wh, wh.transaction():
        wh.create_table(LEDGER, LEDGER_DDL)
        wh.execute(f"delete from {LEDGER}")
        wh.append_rows(LEDGER, LEDGER_DDL, rows)
    return len(rows)
