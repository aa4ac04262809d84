"""An engine-independent content checksum of a warehouse table, to prove two engines built
the same thing.

Every row is rendered to canonical text in Python, whatever engine it came from: columns in
name order; null as `\\N`; booleans `true`/`false`; every number (integer, decimal or float)
as a decimal rounded half-even to `SCALE` places (`3`, `3.0` and `Decimal('3.000')` agree,
and so do a 4-byte and an 8-byte float of the same value, up to the rounding); dates ISO;
timestamps in UTC ISO to the microsecond (naive ones are UTC already: the warehouse keeps
UTC); text as is. The rendered rows are sorted, so row order does not matter, and hashed
with md5 together with the column names.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecycle.warehouse import Warehouse

SCALE = 6
_QUANTUM = Decimal(1).scaleb(-SCALE)
NULL = "\\N"


@dataclass(frozen=True)
class TableChecksum:
    rows: int
    md5: str


def canonical(value: Any) -> str:
    """One value as canonical text (see the module's docstring)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return NULL if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        text = f"{number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN):f}"
        return text.removeprefix("-") if Decimal(text) == 0 else text
    if isinstance(value, datetime):
        instant: datetime = value
        if instant.tzinfo is not None:
            instant = instant.astimezone(UTC).replace(tzinfo=None)
        return instant.isoformat(sep="T", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return str(value)


def rows_checksum(columns: list[str], rows: list[tuple[Any, ...]]) -> TableChecksum:
    order = sorted(range(len(columns)), key=lambda i: columns[i])
    lines = sorted("\t".join(canonical(row[i]) for i in order) for row in rows)
    digest = hashlib.md5(usedforsecurity=False)
    digest.update("\t".join(columns[i] for i in order).encode())
    for line in lines:
        digest.update(b"\n" + line.encode())
    return TableChecksum(len(rows), digest.hexdigest())


def table_checksum(wh: Warehouse, qualified: str) -> TableChecksum:
    """Row count and canonical checksum of `schema.table` (a table or a view)."""
    columns, rows = wh.fetch(f"select * from {qualified}")
    return rows_checksum(columns, rows)
