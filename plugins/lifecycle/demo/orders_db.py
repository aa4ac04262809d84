"""The demo's order system as a database: its own schema in PostgreSQL, filled from the demo's
daily order exports.

The exports are daily-incremental (a record changed on a UTC day is delivered on that day in
its latest state that day), so upserting the files of every day up to D, in day order,
leaves the database as the order system held it at the end of D: one row per order, line
item and refund, updated in place when an order was paid, shipped, delivered or refunded.
Lines a typed database cannot hold are skipped and counted: the demo's planted malformed
lines (broken JSON, a date like `31/02/2026 25:61`, a number like `12.3.4`). Planted
impossible values (a negative amount, a 1970 date) are kept: a real database holds them, and
the extract quarantines them as it does from the files.

Used by the sql reader's tests and by the server demo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from lifecycle.parsing import flatten

if TYPE_CHECKING:
    from pathlib import Path

    import sqlalchemy as sa

SCHEMA = "orders"
# The demo's export of each table (as in config/sources.yml) and the cursor upserts compare.
EXPORTS: dict[str, tuple[str, str]] = {
    "orders": ("orders/orders/orders_{date}.jsonl", "updated_at"),
    "line_items": ("orders/line_items/line_items_{date}.jsonl", "updated_at"),
    "refunds": ("orders/refunds/refunds_{date}.jsonl", "refunded_at"),
}
# Per table: database column -> (field in the export, database type); the first is the key.
COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "orders": {
        "order_id": ("order_id", "text"),
        "customer_id": ("customer.customer_id", "text not null"),
        "customer_email": ("customer.email", "text"),
        "customer_phone": ("customer.phone", "text"),
        "crm_contact_id": ("customer.crm_contact_id", "text"),
        "app_user_id": ("customer.app_user_id", "text"),
        "status": ("status", "text not null"),
        "channel": ("channel", "text"),
        "currency": ("currency", "char(3) not null"),
        "total_amount": ("total_amount", "numeric(12, 2) not null"),
        "ship_country": ("shipping_address.country", "text"),
        "ship_city": ("shipping_address.city", "text"),
        "placed_at": ("placed_at", "timestamptz not null"),
        "updated_at": ("updated_at", "timestamptz not null"),
    },
    "line_items": {
        "line_item_id": ("line_item_id", "text"),
        "order_id": ("order_id", "text not null"),
        "sku": ("sku", "text not null"),
        "product_name": ("product_name", "text"),
        "category": ("category", "text"),
        "quantity": ("quantity", "integer not null"),
        "unit_price": ("unit_price", "numeric(12, 2) not null"),
        "currency": ("currency", "char(3) not null"),
        "updated_at": ("updated_at", "timestamptz not null"),
    },
    "refunds": {
        "refund_id": ("refund_id", "text"),
        "order_id": ("order_id", "text not null"),
        "amount": ("amount", "numeric(12, 2) not null"),
        "currency": ("currency", "char(3) not null"),
        "reason": ("reason", "text"),
        "refunded_at": ("refunded_at", "timestamptz not null"),
    },
}
_MONEY_LIMIT = Decimal(10) ** 10  # numeric(12, 2)


class Unstorable(ValueError):
    """A value the typed column cannot hold."""


@dataclass
class LoadCounts:
    lines: int = 0  # export lines read
    upserted: int = 0  # rows written (inserted, or updated to a newer version)
    skipped: int = 0  # lines a typed database cannot hold


def create_schema(engine: sa.engine.Engine, schema: str = SCHEMA) -> None:
    """The order system's tables (idempotent)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f'create schema if not exists "{schema}"')
        for table, columns in COLUMNS.items():
            key = next(iter(columns))
            body = ",\n    ".join(f"{name} {ctype}" for name, (_, ctype) in columns.items())
            conn.exec_driver_sql(
                f'create table if not exists "{schema}".{table} (\n    {body},\n'
                f"    primary key ({key})\n)"
            )
            cursor = EXPORTS[table][1]
            conn.exec_driver_sql(
                f'create index if not exists {table}_{cursor}_idx on "{schema}".{table} ({cursor})'
            )


def _typed(value: Any, ctype: str) -> Any:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise Unstorable(f"nested {type(value).__name__}")
    base = ctype.split("(")[0].split()[0]
    if base in ("text", "char"):
        return value if isinstance(value, str) else json.dumps(value)
    if base == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise Unstorable(f"{value!r} is not an integer")
        try:
            return int(value)
        except ValueError:
            raise Unstorable(f"{value!r} is not an integer") from None
    if base == "numeric":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise Unstorable(f"{value!r} is not a number") from None
        if not number.is_finite() or abs(number) >= _MONEY_LIMIT or number != round(number, 2):
            raise Unstorable(f"{value!r} does not fit numeric(12, 2)")
        return number
    if base == "timestamptz":
        try:
            stamp = datetime.fromisoformat(str(value))
        except ValueError:
            raise Unstorable(f"{value!r} is not a timestamp") from None
        if stamp.tzinfo is None:
            raise Unstorable(f"{value!r} has no offset")
        return stamp
    raise AssertionError(ctype)  # pragma: no cover - COLUMNS holds only these types


def _row(line: str, columns: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """The typed row of one export line, or None if the database could not hold it."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    flat = flatten(obj)
    try:
        row = {name: _typed(flat.get(field), ctype) for name, (field, ctype) in columns.items()}
    except Unstorable:
        return None
    if any(row[name] is None for name, (_, ctype) in columns.items() if "not null" in ctype):
        return None
    key = next(iter(columns))
    return row if row[key] is not None else None


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], cursor: str) -> int:
    from sqlalchemy.dialects.postgresql import insert

    written = 0
    key = table.primary_key.columns.values()[0].name
    for start in range(0, len(rows), 1000):
        statement = insert(table).values(rows[start : start + 1000])
        statement = statement.on_conflict_do_update(
            index_elements=[key],
            set_={c: statement.excluded[c] for c in rows[0] if c != key},
            where=table.c[cursor] < statement.excluded[cursor],  # the latest version wins
        )
        written += conn.execute(statement).rowcount
    return written


def load_days(
    uri: str,
    sources_dir: Path,
    through: date,
    since: date | None = None,
    schema: str = SCHEMA,
) -> dict[str, LoadCounts]:
    """Upsert the exports of the days `since` (default: the first found) through `through`,
    in day order; create the schema first if needed. Returns the counts per table."""
    import sqlalchemy as sa

    engine = sa.create_engine(uri)
    counts = {table: LoadCounts() for table in COLUMNS}
    try:
        create_schema(engine, schema)
        metadata = sa.MetaData(schema=schema)
        metadata.reflect(engine, only=list(COLUMNS))
        with engine.begin() as conn:
            for table, (pattern, cursor) in EXPORTS.items():
                first = since or _first_day(sources_dir, pattern)
                if first is None:
                    continue
                db_table = metadata.tables[f"{schema}.{table}"]
                day = first
                while day <= through:
                    path = sources_dir / pattern.format(date=day.isoformat())
                    if path.is_file():
                        _load_file(conn, db_table, path, cursor, counts[table])
                    day += timedelta(days=1)
    finally:
        engine.dispose()
    return counts


def _load_file(
    conn: sa.Connection, table: sa.Table, path: Path, cursor: str, counts: LoadCounts
) -> None:
    latest: dict[Any, dict[str, Any]] = {}  # one row per key and statement (exact repeats)
    key = table.primary_key.columns.values()[0].name
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        counts.lines += 1
        row = _row(line, COLUMNS[table.name])
        if row is None:
            counts.skipped += 1
            continue
        kept = latest.get(row[key])
        if kept is None or kept[cursor] <= row[cursor]:
            latest[row[key]] = row
    if latest:
        counts.upserted += _upsert(conn, table, list(latest.values()), cursor)


def _first_day(sources_dir: Path, pattern: str) -> date | None:
    folder = (sources_dir / pattern).parent
    name = (sources_dir / pattern).name
    prefix, suffix = name.split("{date}")
    days = sorted(
        date.fromisoformat(p.name[len(prefix) : len(p.name) - len(suffix)])
        for p in folder.glob(name.replace("{date}", "*"))
    )
    return days[0] if days else None
