"""Time: the covered span, per-zone UTC offsets and the timestamp spellings each system uses.

All instants are int64 epoch milliseconds (UTC). Offsets come from zoneinfo, sampled once per
zone and hour over the span, so millions of local timestamps are formatted with numpy
instead of one `datetime` per record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Sequence

I64 = npt.NDArray[np.int64]
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
_EPOCH = date(1970, 1, 1)
# Zone tables reach this far past the span: versions after the end are computed, then dropped.
_PAD_BEFORE_DAYS = 3
_PAD_AFTER_DAYS = 60


@dataclass(frozen=True)
class Span:
    """The delivery days covered, `start`..`end` inclusive, in UTC."""

    start: date
    end: date

    @cached_property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @cached_property
    def start_ms(self) -> int:
        return (self.start - _EPOCH).days * DAY_MS

    @cached_property
    def end_ms(self) -> int:
        """First instant after the span (exclusive bound)."""
        return self.start_ms + self.days * DAY_MS

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def day_index(self, ms: I64) -> I64:
        """Delivery-day index (UTC date) of each instant; may fall outside 0..days-1."""
        return (ms - self.start_ms) // DAY_MS


def _offset_minutes(zone: ZoneInfo, ms: int) -> int:
    offset = datetime.fromtimestamp(ms / 1000, tz=zone).utcoffset()
    if offset is None:  # pragma: no cover - zoneinfo always answers
        raise ValueError(f"no UTC offset for {zone}")
    return int(offset.total_seconds()) // 60


def _offset_label(minutes: int, colon: bool = True) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


_LABELS = np.array([_offset_label(m) for m in range(-1440, 1441)], dtype=object)


class Zones:
    """UTC offset (minutes) of each zone for every hour around the span, DST-aware."""

    def __init__(self, names: Sequence[str], span: Span) -> None:
        self.names = tuple(names)
        self.base_ms = span.start_ms - _PAD_BEFORE_DAYS * DAY_MS
        n_days = span.days + _PAD_BEFORE_DAYS + _PAD_AFTER_DAYS
        self.table = np.empty((len(self.names), n_days * 24), dtype=np.int16)
        for z, name in enumerate(self.names):
            zone = ZoneInfo(name)
            for d in range(n_days):
                t0 = self.base_ms + d * DAY_MS
                first, last = _offset_minutes(zone, t0), _offset_minutes(zone, t0 + 23 * HOUR_MS)
                if first == last:
                    self.table[z, d * 24 : (d + 1) * 24] = first
                else:  # a DST transition day: sample each hour (transitions fall on whole hours)
                    for h in range(24):
                        self.table[z, d * 24 + h] = _offset_minutes(zone, t0 + h * HOUR_MS)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def offsets(self, ms: I64, zone: npt.NDArray[np.integer]) -> I64:
        """Offset in minutes at each instant for each zone index (clamped to the table)."""
        hour = np.clip((ms - self.base_ms) // HOUR_MS, 0, self.table.shape[1] - 1)
        minutes: I64 = self.table[zone, hour].astype(np.int64)
        return minutes

    def local_text(
        self, ms: I64, zone: npt.NDArray[np.integer], unit: Literal["s", "ms"] = "s"
    ) -> list[str]:
        """ISO local times with offset: `2026-03-04T10:22:00+01:00` (ms: `...:00.123+01:00`)."""
        if len(ms) == 0:
            return []
        off = self.offsets(ms, zone)
        local = (ms + off * MINUTE_MS).astype("datetime64[ms]")
        text = np.datetime_as_string(local, unit=unit).tolist()
        labels = _LABELS[off + 1440].tolist()
        return [t + lab for t, lab in zip(text, labels, strict=True)]

    def local_ms(self, utc_day_ms: I64, zone: npt.NDArray[np.integer], seconds: I64) -> I64:
        """The instant that reads `seconds` after local midnight of the given UTC day (approx. on
        DST days: the offset is taken at noon UTC, which only shifts the intended hour)."""
        off = self.offsets(utc_day_ms + 12 * HOUR_MS, zone)
        return utc_day_ms + seconds * 1000 - off * MINUTE_MS


Style = Literal["salesforce", "z", "z_ms"]


def utc_text(ms: I64, style: Style) -> list[str]:
    """UTC timestamps: Salesforce `...T10:22:00.000+0000`, Zendesk `...T10:22:00Z`, `...00.123Z`."""
    if len(ms) == 0:
        return []
    stamps = np.asarray(ms, dtype=np.int64).astype("datetime64[ms]")
    if style == "salesforce":
        return [t + "+0000" for t in np.datetime_as_string(stamps, unit="ms").tolist()]
    unit: Literal["s", "ms"] = "s" if style == "z" else "ms"
    return [t + "Z" for t in np.datetime_as_string(stamps, unit=unit).tolist()]


def one_utc_text(ms: int, style: Style) -> str:
    return utc_text(np.array([ms], dtype=np.int64), style)[0]


def date_ms(day: date) -> int:
    """Epoch milliseconds of 00:00 UTC on `day`."""
    return (day - _EPOCH).days * DAY_MS
