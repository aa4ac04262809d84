"""Rows and how they become lines: JSON and CSV spellings, and the per-day batches the writer takes.

A row's values are kept flat, in the order of the table's columns in sources.yml (dotted
names for nested JSON). `ABSENT` leaves a JSON key out (Segment omits unknown properties);
None is written as null / an empty CSV field.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from lifecycle.demo.geo import ZERO_DECIMAL_CURRENCIES

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lifecycle.demo.clock import I64


class _Absent:
    """Marker for a JSON key that is not written at all."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class RawNum(str):
    """A number already spelled for JSON, written unquoted (`12.50`, `-3.00`, `1200`)."""


Value = str | int | None | _Absent


def money(minor: int, currency: str) -> RawNum:
    """Minor units as a JSON number with two decimals (zero-decimal currencies as integers)."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return RawNum(str(minor))
    units, cents = divmod(abs(minor), 100)
    return RawNum(f"{'-' if minor < 0 else ''}{units}.{cents:02d}")


def _json_value(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, RawNum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _Absent):
        raise ValueError("an absent value has no JSON spelling")
    return encode_basestring(value)  # what json.dumps(ensure_ascii=False) writes, faster


@dataclass(frozen=True)
class JsonLayout:
    """How flat dotted columns nest: `customer.email` is written as {"customer": {"email": ..}}."""

    fields: tuple[tuple[str, int | JsonLayout], ...]

    @classmethod
    def of(cls, columns: Sequence[str]) -> JsonLayout:
        tree: dict[str, Any] = {}
        for slot, column in enumerate(columns):
            node = tree
            *parents, leaf = column.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = slot

        def build(node: dict[str, Any]) -> JsonLayout:
            return cls(tuple((k, build(v) if isinstance(v, dict) else v) for k, v in node.items()))

        return build(tree)

    @cached_property
    def _template(self) -> tuple[str, tuple[int, ...]]:
        """The whole line as one %-template plus the slot of each placeholder (no ABSENT)."""
        text: list[str] = []
        slots: list[int] = []

        def walk(layout: JsonLayout) -> None:
            text.append("{")
            for k, (name, slot) in enumerate(layout.fields):
                text.append(f'{", " if k else ""}"{name}": '.replace("%", "%%"))
                if isinstance(slot, JsonLayout):
                    walk(slot)
                else:
                    text.append("%s")
                    slots.append(slot)
            text.append("}")

        walk(self)
        return "".join(text), tuple(slots)

    def render(self, values: Sequence[Value]) -> str:
        if ABSENT not in values:  # the common case: one template fill
            template, slots = self._template
            return template % tuple([_json_value(values[s]) for s in slots])
        parts = []
        for name, slot in self.fields:
            if isinstance(slot, JsonLayout):
                inner = slot.render(values)
                if inner != "{}":
                    parts.append(f'"{name}": {inner}')
            elif values[slot] is not ABSENT:
                parts.append(f'"{name}": {_json_value(values[slot])}')
        return "{" + ", ".join(parts) + "}"


class _CsvLine:
    """One CSV row as text (csv-module quoting, no line terminator)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def __call__(self, values: Sequence[Value]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(["" if v is None or v is ABSENT else v for v in values])
        return self._buffer.getvalue()[:-1]


csv_line = _CsvLine()


def renderer(fmt: str, columns: Sequence[str]) -> Callable[[Sequence[Value]], str]:
    """The line renderer of a table format (`csv` or `jsonl`)."""
    if fmt == "csv":
        return csv_line
    return JsonLayout.of(columns).render


class Row(NamedTuple):
    """One record version: delivery day, cursor (ms, for ordering), key, values, truth links."""

    day: int
    sort: int
    key: str
    values: tuple[Value, ...]
    person: int
    version: int  # 0 for the first delivered version of a key, 1.. for later ones


class Identity(NamedTuple):
    """A valid record that carries identity, for the truth's records.csv."""

    record_id: str
    person: int
    email: str | None
    phone: str | None


@dataclass
class Batch:
    """The valid lines of one table for one delivery day, in file order."""

    lines: list[str]
    values: Callable[[int], list[Value]]
    updated_versions: int = 0
    late: int = 0
    identities: list[Identity] = field(default_factory=list)


class TableSource(Protocol):
    """What the writer needs from a table: counts up front, then one batch per day."""

    key: str
    day_counts: I64

    def batch(self, day: int) -> Batch: ...

    def new_key(self) -> str:
        """A fresh primary key no valid row uses (for planted defect rows)."""
        ...


class RowTable:
    """A table held as Row objects, grouped by delivery day and sorted by cursor then key.

    Each day's batch is handed out once (the writer's single pass), which frees its rows.
    """

    def __init__(
        self,
        key: str,
        columns: Sequence[str],
        fmt: str,
        rows: list[Row],
        days: int,
        identity: tuple[str, str] | None,
        new_key: Callable[[], str],
    ) -> None:
        self.key = key
        self._render = renderer(fmt, columns)
        self._buckets: list[list[Row]] = [[] for _ in range(days)]
        for row in rows:
            if 0 <= row.day < days:
                self._buckets[row.day].append(row)
        for bucket in self._buckets:
            bucket.sort(key=lambda r: (r.sort, r.key, r.version))
        self.day_counts = np.array([len(b) for b in self._buckets], dtype=np.int64)
        self._identity = (
            (list(columns).index(identity[0]), list(columns).index(identity[1]))
            if identity
            else None
        )
        self._new_key = new_key

    def new_key(self) -> str:
        return self._new_key()

    def batch(self, day: int) -> Batch:
        rows, self._buckets[day] = self._buckets[day], []  # handed over once; frees memory
        identities = []
        if self._identity:
            e, p = self._identity
            identities = [
                Identity(r.key, r.person, _text(r.values[e]), _text(r.values[p])) for r in rows
            ]
        return Batch(
            lines=[self._render(r.values) for r in rows],
            values=lambda i: list(rows[i].values),
            updated_versions=sum(1 for r in rows if r.version > 0),
            identities=identities,
        )


def _text(value: Value) -> str | None:
    return value if isinstance(value, str) else None


def counter_key(fmt: Callable[[int], str], start: int) -> Callable[[], str]:
    """Keys continuing a sequence after `start` (for defect rows that need an unused key)."""
    state = [start]

    def next_key() -> str:
        state[0] += 1
        return fmt(state[0])

    return next_key
