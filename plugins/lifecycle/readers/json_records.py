"""JSON records (from an API) -> `SourceRecord`s, and the schema drift they can show.

Each record is flattened (nested objects -> dotted paths, `properties.email`) and each
declared column is read from its `from` path (`ColumnSpec.read_from`) as the text a CSV
export would hold: strings as they are, numbers as written, booleans `true`/`false`, null as
missing; a `json` column keeps its object or list as canonical JSON text.

Drift, judged against the declared columns:

* additive: a field the records have that no column reads (and `ignored_fields` does not
  name) is reported in `undeclared`; the records load without it;
* breaking, a renamed or dropped field: a declared path that no record of a non-empty
  delivery has (not even as null) -> `ExtractError`;
* breaking, a type change: a value whose JSON type the declared type does not accept ->
  `ExtractError` at the first such record. integer and decimal accept JSON numbers, boolean
  accepts true/false (with `scalars_as_strings`, both also accept JSON strings, whose text is
  then judged row by row like a CSV's); string, timestamp and currency accept any scalar;
  no type but `json` accepts an object or an array. Null is never a change. A value of an
  accepted JSON type that still does not parse (2.5 for an integer, a bad date) is a row
  fault, quarantined as in a file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lifecycle.parsing import Rejection, flatten
from lifecycle.readers import ExtractError, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lifecycle.config import ColumnSpec, TableConfig

SCALARS = frozenset({"string", "number", "boolean"})


def json_type(value: Any) -> str:
    """The JSON type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def accepted_types(column_type: str, scalars_as_strings: bool) -> frozenset[str]:
    """The JSON types a declared column type accepts (null aside)."""
    if column_type == "json":
        return SCALARS | {"object", "array"}
    if column_type in ("integer", "decimal"):
        return frozenset({"number", "string"} if scalars_as_strings else {"number"})
    if column_type == "boolean":
        return frozenset({"boolean", "string"} if scalars_as_strings else {"boolean"})
    return SCALARS


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return canonical(value)
    return value if isinstance(value, str) else str(value)


def lookup(obj: Any, flat: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(present, value) of a dotted path: a flattened key, or an object or list (json)."""
    if path in flat:
        return True, flat[path]
    node = obj
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


class JsonRecordMapper:
    """Maps one delivery's records in order; `finish()` after the last one."""

    def __init__(
        self,
        table: TableConfig,
        shown: str,
        ignored: Iterable[str] = (),
        scalars_as_strings: bool = False,
    ) -> None:
        self.table = table
        self.shown = shown
        self.ignored = frozenset(ignored)
        self.scalars_as_strings = scalars_as_strings
        self.undeclared: set[str] = set()
        self.seen: set[str] = set()  # every flattened field of every record
        self._present: set[str] = set()  # declared paths some record has
        self._count = 0
        self._paths = {c.read_from for c in table.columns}
        self._nested = tuple(f"{c.read_from}." for c in table.columns if c.type == "json")
        self._key = table.column(table.primary_key).read_from

    def _declared(self, path: str) -> bool:
        return path in self._paths or path.startswith(self._nested) or self._ignored(path)

    def _ignored(self, path: str) -> bool:
        return any(path == i or path.startswith(f"{i}.") for i in self.ignored)

    def _type_change(self, spec: ColumnSpec, found: str, line: int, key: Any) -> ExtractError:
        expected = " or ".join(sorted(accepted_types(spec.type, self.scalars_as_strings)))
        hint = ""
        if found == "string" and spec.type in ("integer", "decimal", "boolean"):
            hint = " (if this API sends every value as a string, set options.scalars_as_strings)"
        return ExtractError(
            f"{self.table.key}: {self.shown}: type change in field {spec.read_from} (column"
            f" {spec.source_field}): declared {spec.type}, found JSON {found} (record {line},"
            f" {self._key}={key}; expected JSON {expected}){hint}: a breaking schema change,"
            " the source stops"
        )

    def map(self, line: int, obj: Any) -> SourceRecord:
        """The record as a SourceRecord; raises ExtractError on a type change."""
        raw = canonical(obj)
        self._count += 1
        if not isinstance(obj, dict):
            return SourceRecord(line, raw, Rejection(None, "a record must be a JSON object",
                                                     "not_a_json_object"))  # fmt: skip
        flat = flatten(obj)
        self.seen.update(flat)
        self.undeclared.update(p for p in flat if not self._declared(p))
        record: dict[str, str | None] = {}
        for spec in self.table.columns:
            present, value = lookup(obj, flat, spec.read_from)
            if not present:
                continue
            self._present.add(spec.read_from)
            found = json_type(value)
            if found != "null" and found not in accepted_types(spec.type, self.scalars_as_strings):
                raise self._type_change(spec, found, line, lookup(obj, flat, self._key)[1])
            record[spec.source_field] = as_text(value)
        return SourceRecord(line, raw, record)

    def finish(self) -> None:
        """Raise ExtractError if a declared field is missing from every record."""
        if not self._count:
            return
        missing = [c for c in self.table.columns if c.read_from not in self._present]
        if missing:
            named = ", ".join(f"{c.read_from} (column {c.source_field})" for c in missing)
            raise ExtractError(
                f"{self.table.key}: {self.shown}: declared field(s) {named} missing from all"
                f" {self._count} record(s): renamed or dropped at the source, a breaking schema"
                f" change, the source stops (found: {', '.join(sorted(self.seen))})"
            )
