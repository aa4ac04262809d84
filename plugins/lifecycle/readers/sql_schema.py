"""What the `sql` reader checks of a database table and how it writes its values as text.

Pure functions over SQLAlchemy's reflected types and the values a driver returns, so the
rules are unit-tested without a database:

* schema drift: a declared column the table no longer has is breaking; a column the table
  has and the configuration does not declare is additive; a declared column whose database
  type no longer fits its declared type is breaking (`fits`);
* text: every value becomes the text a file export of the same record would parse to the
  same value (`as_text`): timestamps ISO-8601 in UTC with their offset, decimals plain
  (no exponent, no trailing zeros), booleans true/false, JSON compact with sorted keys.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lifecycle.config import ColumnSpec


def type_name(column_type: Any, dialect: sa.engine.Dialect | None = None) -> str:
    """The database type as the database spells it (`numeric(12, 2)`, `text`)."""
    try:
        return str(column_type.compile(dialect=dialect)).lower()
    except Exception:  # noqa: BLE001 - a type SQLAlchemy cannot render: its class name
        return type(column_type).__name__.lower()


def _is_number(column_type: Any) -> bool:
    return isinstance(column_type, (sa.Integer, sa.Numeric, sa.Float))


def _is_whole_number(column_type: Any) -> bool:
    if isinstance(column_type, sa.Integer):
        return True
    return (
        isinstance(column_type, sa.Numeric)
        and not isinstance(column_type, sa.Float)
        and column_type.scale == 0
    )


def fits(declared: str, column_type: Any) -> bool:
    """Can a column of this database type hold values of the declared type?

    A string (or currency code) can be read from any column but a binary one; the other
    types need a database type of their kind. A timestamp needs a time zone: a `timestamp
    without time zone` names no instant (the files path rejects such values as well)."""
    if declared in ("string", "currency"):
        return not isinstance(column_type, sa.LargeBinary)
    if declared == "integer":
        return _is_whole_number(column_type)
    if declared == "decimal":
        return _is_number(column_type)
    if declared == "timestamp":
        return isinstance(column_type, sa.DateTime) and bool(column_type.timezone)
    if declared == "boolean":
        return isinstance(column_type, sa.Boolean)
    if declared == "json":
        return isinstance(column_type, (sa.JSON, sa.String))
    return False


def read_as_text(column_type: Any) -> bool:
    """Columns better cast to text in the query: an unconstrained numeric (dlt would fit it
    into decimal(38, 9) and fail on more digits) and JSON (dlt warns and re-encodes it)."""
    if isinstance(column_type, sa.JSON):
        return True
    return (
        isinstance(column_type, sa.Numeric)
        and not isinstance(column_type, sa.Float)
        and column_type.precision is None
    )


def drift(
    where: str,
    columns: Iterable[ColumnSpec],
    found: Mapping[str, Any],
    dialect: sa.engine.Dialect | None = None,
) -> tuple[list[str], set[str]]:
    """Breaking changes (messages) and undeclared columns of a table whose columns (name ->
    reflected type) are `found`."""
    declared = list(columns)
    breaking = []
    missing = [c for c in declared if c.read_from not in found]
    if missing:
        names = ", ".join(
            c.read_from + (f" (for {c.source_field})" if c.origin else "") for c in missing
        )
        breaking.append(
            f"{where}: declared column(s) not found (renamed or dropped in the source): {names};"
            f" the table has: {', '.join(found)}"
        )
    for spec in declared:
        column_type = found.get(spec.read_from)
        if column_type is not None and not fits(spec.type, column_type):
            breaking.append(
                f"{where}: column {spec.read_from} is {type_name(column_type, dialect)} in the"
                f" database, which no longer fits its declared type {spec.type}"
            )
    undeclared = set(found) - {c.read_from for c in declared}
    return breaking, undeclared


def _decimal_text(number: Decimal) -> str:
    if not number.is_finite():
        return str(number)
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return text


def as_text(value: Any, declared: str) -> str | None:
    """A database value as the text a file export would carry for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value))) if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo is not None else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bytes):
        return value.hex()
    text = str(value)
    if declared == "json":
        try:
            return as_text(json.loads(text), "json") if text.strip() else text
        except ValueError:
            return text  # not JSON after all: the extract's rules judge the text
    if declared in ("decimal", "integer") and isinstance(value, str):
        try:
            return _decimal_text(Decimal(text))  # an unconstrained numeric read as text
        except ArithmeticError:
            return text
    return text
