"""Row validation at extract: does a source value parse as its declared type and obey its rules?

Pure functions. A row either becomes a tuple of raw text values (the raw zone keeps text;
staging casts) or a `Rejection` naming the column and the rule it broke.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from lifecycle.config import ColumnSpec

TRUE_WORDS = frozenset({"true", "t", "1", "yes"})
FALSE_WORDS = frozenset({"false", "f", "0", "no"})


@dataclass(frozen=True)
class Rejection:
    """Why a row was quarantined: the column (if one), the rule it broke (a stable code the
    data team's tables group by) and the reason in words (naming the value)."""

    column: str | None
    reason: str
    rule: str


class InvalidValue(ValueError):
    def __init__(self, reason: str, rule: str) -> None:
        super().__init__(reason)
        self.rule = rule


@dataclass(frozen=True)
class DeliveryContext:
    """What a row is judged against beyond its column's own rules: the currencies the
    platform accepts (config/lifecycle.yml `quality.currencies`) and the delivery day, after
    whose end (plus the allowed clock skew) no timestamp in the file can have happened."""

    delivery_day: date
    not_after: datetime
    currencies: frozenset[str]


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    text = str(value).strip() if isinstance(value, str) else str(value)
    return text if text != "" else None


def _number(text: str, integer: bool) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        kind = "an integer" if integer else "a number"
        raise InvalidValue(
            f"{text!r} is not {kind}", "not_a_number" if not integer else "not_an_integer"
        ) from None
    if not number.is_finite():
        raise InvalidValue(f"{text!r} is not a finite number", "not_a_number")
    if integer and number != number.to_integral_value():
        raise InvalidValue(f"{text!r} is not an integer", "not_an_integer")
    return number


def check_value(spec: ColumnSpec, value: Any, context: DeliveryContext | None = None) -> str | None:
    """Return the raw text for a value, or raise InvalidValue naming the broken rule."""
    if isinstance(value, (dict, list)) and spec.type != "json":
        raise InvalidValue(
            f"nested {type(value).__name__} where {spec.type} expected", "nested_value"
        )
    text = _as_text(value)
    if text is None:
        if spec.required:
            raise InvalidValue("required value is missing", "required_missing")
        return None
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A JSON escape of half a surrogate pair: no text, and no Parquet file, holds it.
            raise InvalidValue(
                f"{text!r} is not valid Unicode (an unpaired surrogate)", "invalid_unicode"
            ) from None
    if spec.type in ("integer", "decimal"):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidValue(f"{text!r} is not a finite number", "not_a_number")
        number = _number(text, integer=spec.type == "integer")
        if spec.min is not None and number < Decimal(str(spec.min)):
            raise InvalidValue(f"{text} is below the minimum {spec.min}", "below_minimum")
        if spec.max is not None and number > Decimal(str(spec.max)):
            raise InvalidValue(f"{text} is above the maximum {spec.max}", "above_maximum")
    elif spec.type == "timestamp":
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue(
                f"{text!r} is not an ISO-8601 timestamp", "not_a_timestamp"
            ) from None
        if parsed.tzinfo is None:
            raise InvalidValue(
                f"{text!r} has no UTC offset, so its instant is ambiguous", "no_utc_offset"
            )
        if spec.min_year is not None and parsed.year < spec.min_year:
            raise InvalidValue(
                f"{text} is before {spec.min_year}, when the company was founded",
                "before_company_founded",
            )
        if context is not None and parsed > context.not_after:
            raise InvalidValue(
                f"{text} is in the future: after the delivery day {context.delivery_day} ended",
                "in_the_future",
            )
    elif spec.type == "currency":
        if context is not None and text.upper() not in context.currencies:
            raise InvalidValue(
                f"{text!r} is not an accepted currency (config/lifecycle.yml quality.currencies:"
                f" {', '.join(sorted(context.currencies))})",
                "unknown_currency",
            )
    elif spec.type == "boolean":
        if text.lower() not in TRUE_WORDS | FALSE_WORDS:
            raise InvalidValue(f"{text!r} is not a boolean", "not_a_boolean")
        text = "true" if text.lower() in TRUE_WORDS else "false"
    if spec.values is not None and text not in spec.values:
        raise InvalidValue(f"{text!r} is not one of {', '.join(spec.values)}", "value_not_allowed")
    return text


def validate_row(
    columns: Sequence[ColumnSpec],
    record: Mapping[str, Any],
    context: DeliveryContext | None = None,
) -> tuple[str | None, ...] | Rejection:
    """Check every declared column of one record (keyed by source field)."""
    values: list[str | None] = []
    for spec in columns:
        try:
            values.append(check_value(spec, record.get(spec.source_field), context))
        except InvalidValue as exc:
            return Rejection(spec.source_field, str(exc), exc.rule)
    return tuple(values)


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested JSON objects to dotted keys (`customer.email`); lists stay whole."""
    flat: dict[str, Any] = {}
    _flatten_into(flat, obj, prefix)
    return flat


def _flatten_into(flat: dict[str, Any], obj: Mapping[str, Any], prefix: str) -> None:
    # Called once per record of every JSON source: one dict, no intermediate copies.
    for key, value in obj.items():
        if isinstance(value, dict) and value:
            _flatten_into(flat, value, f"{prefix}{key}.")
        else:
            flat[prefix + key if prefix else key] = value
