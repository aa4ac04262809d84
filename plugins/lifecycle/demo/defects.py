"""Planted defects: exact duplicates, malformed rows and impossible values, at known rates.

Malformed and impossible rows are extra lines cloned from a valid row of the same day file
with a fresh primary key, so the valid data stays complete and the truth stays exact. A
duplicate is an identical second copy of a valid line. Every extra line lands at a random
place in its day file. Which rule an impossible value breaks is read from sources.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lifecycle.demo.render import ABSENT, RawNum, Value, csv_line

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lifecycle.config import ColumnSpec, TableConfig
    from lifecycle.demo.clock import I64


@dataclass(frozen=True)
class Rates:
    duplicate: float = 0.0
    malformed: float = 0.0
    impossible: float = 0.0


RATES: dict[str, Rates] = {
    "orders.orders": Rates(duplicate=0.01, malformed=0.002, impossible=0.001),
    "orders.line_items": Rates(malformed=0.002, impossible=0.001),
    "app.events": Rates(duplicate=0.005, malformed=0.002, impossible=0.001),
    "support.tickets": Rates(duplicate=0.005, malformed=0.002, impossible=0.001),
    "crm.contacts": Rates(malformed=0.002, impossible=0.001),
    "support.satisfaction_ratings": Rates(impossible=0.001),
}
# From this many valid rows on, a table gets at least one defect of each kind it plants, so
# small demos still exercise every quarantine path.
FLOOR_MIN_ROWS = 20
BAD_TIMESTAMP = "31/02/2026 25:61"
BAD_NUMBER = "12.3.4"
KINDS = ("duplicate", "malformed", "impossible")


@dataclass
class DayDefects:
    lines: list[str]
    malformed: int = 0
    impossible: int = 0
    duplicates: int = 0


def _present(value: Value) -> bool:
    return value is not None and value is not ABSENT and value != ""


def _impossible_value(col: ColumnSpec, value: Value, pick: Callable[[int], int]) -> Value:
    """`value` changed to break `col`'s rule (min/max or min_year) while still parsing."""
    text = str(value)
    if col.type == "timestamp":
        day = "02-28" if text[5:10] == "02-29" else text[5:10]  # 1970 had no 29 February
        return "1970-" + day + text[10:]
    if col.type == "decimal":
        negative = "-" + text if text.strip("0.") else "-1.00"
        return RawNum(negative) if isinstance(value, RawNum) else negative
    low = int(col.min) if col.min is not None else 0
    if col.max is not None and col.max - low <= 10:  # a small scale (score): step off either end
        return (low - 1, int(col.max) + 2)[pick(2)]
    if low == 0:
        return -max(1, int(text))
    return low - 1


class Planter:
    """Chooses the rows of one table that get defects (globally, up front) and renders them."""

    def __init__(
        self,
        cfg: TableConfig,
        day_counts: I64,
        rng: np.random.Generator,
        new_key: Callable[[], str],
        render: Callable[[Sequence[Value]], str],
    ) -> None:
        self.cfg, self.rates = cfg, RATES.get(cfg.key, Rates())
        self._rng, self._new_key, self._render = rng, new_key, render
        self._pk = [c.source_field for c in cfg.columns].index(cfg.primary_key)
        self._bounds = np.concatenate([[0], np.cumsum(day_counts)]).astype(np.int64)
        total = int(day_counts.sum())
        self._picks = {kind: self._choose(total, getattr(self.rates, kind)) for kind in KINDS}
        self._timestamps = [
            k
            for k, c in enumerate(cfg.columns)
            if c.type == "timestamp" and c.source_field != cfg.cursor
        ]
        self._numbers = [k for k, c in enumerate(cfg.columns) if c.type in ("integer", "decimal")]
        self._ruled = [
            k
            for k, c in enumerate(cfg.columns)
            if (c.type in ("integer", "decimal") and (c.min is not None or c.max is not None))
            or (c.type == "timestamp" and c.min_year is not None and k in self._timestamps)
        ]

    def _choose(self, total: int, rate: float) -> I64:
        if rate <= 0 or total == 0:
            return np.zeros(0, dtype=np.int64)
        k = int(self._rng.binomial(total, rate))
        if total >= FLOOR_MIN_ROWS:
            k = max(k, 1)
        return np.sort(self._rng.choice(total, size=k, replace=False)).astype(np.int64)

    def _local(self, kind: str, day: int) -> list[int]:
        picks, lo, hi = self._picks[kind], self._bounds[day], self._bounds[day + 1]
        a, b = np.searchsorted(picks, lo), np.searchsorted(picks, hi)
        return [int(x) for x in picks[a:b] - lo]

    def _pick(self, n: int) -> int:
        return int(self._rng.integers(n))

    def _clone(self, values: list[Value]) -> list[Value]:
        clone = list(values)
        clone[self._pk] = self._new_key()
        return clone

    def malformed(self, values: list[Value]) -> str:
        """A line that cannot be parsed: broken JSON / wrong CSV field count / unparseable value."""
        v = self._clone(values)
        kinds = ["too_few", "too_many"] if self.cfg.format == "csv" else ["truncated", "garbage"]
        stamps = [k for k in self._timestamps if _present(v[k])]
        numbers = [k for k in self._numbers if _present(v[k])]
        kinds += (["bad_timestamp"] if stamps else []) + (["bad_number"] if numbers else [])
        kind = kinds[self._pick(len(kinds))]
        if kind == "bad_timestamp":
            v[stamps[self._pick(len(stamps))]] = BAD_TIMESTAMP
        elif kind == "bad_number":
            v[numbers[self._pick(len(numbers))]] = BAD_NUMBER
        elif kind == "too_few":
            return csv_line(v[: len(v) - 1 - self._pick(2)])
        elif kind == "too_many":
            extra: tuple[Value, ...] = ("", "x")[: 1 + self._pick(2)]
            return csv_line([*v, *extra])
        line = self._render(v)
        if kind == "truncated":
            return line[: len(line) // 3 + self._pick(max(1, len(line) - 2 - len(line) // 3))]
        if kind == "garbage":
            return line + ("}", "x", ",", "]")[self._pick(4)]
        return line

    def impossible(self, values: list[Value]) -> str | None:
        """A line that parses but breaks a rule of sources.yml (None if no rule applies)."""
        v = self._clone(values)
        ruled = [k for k in self._ruled if _present(v[k])]
        if not ruled:
            return None
        k = ruled[self._pick(len(ruled))]
        v[k] = _impossible_value(self.cfg.columns[k], v[k], self._pick)
        return self._render(v)

    def plant(self, day: int, lines: list[str], values: Callable[[int], list[Value]]) -> DayDefects:
        """The day file's lines: valid ones plus planted extras at random positions."""
        dups = [lines[i] for i in self._local("duplicate", day)]
        bad = [self.malformed(values(i)) for i in self._local("malformed", day)]
        odd = [x for x in (self.impossible(values(i)) for i in self._local("impossible", day)) if x]
        extras = dups + bad + odd
        if not extras:
            return DayDefects(lines)
        positions = self._rng.integers(0, len(lines) + 1, len(extras))
        out: list[str] = []
        start = 0
        for k in np.argsort(positions, kind="stable").tolist():
            pos = int(positions[k])
            out.extend(lines[start:pos])
            out.append(extras[k])
            start = pos
        out.extend(lines[start:])
        return DayDefects(out, malformed=len(bad), impossible=len(odd), duplicates=len(dups))
