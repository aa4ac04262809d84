"""The `rfm_segments` section of `config/lifecycle.yml`: named RFM segments.

An ordered list of rules `{name, r: [min, max], f: [min, max], m: [min, max]}` over the
1-5 scores of `marts.fct_customer_rfm`; the first rule that matches names the segment. Read
strictly (the file and rule are named on error) and checked to cover every score
combination, so every scored customer gets exactly one segment.
`lifecycle.config.load_lifecycle` calls the parser; dbt gets the rules as the var
`lifecycle__rfm_segments`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecycle.config import ConfigError, _need

if TYPE_CHECKING:
    from pathlib import Path

RFM_SCORES = (1, 2, 3, 4, 5)
SEGMENT_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class RfmSegment:
    """One named RFM segment: inclusive score ranges (1-5) for recency, frequency, monetary."""

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int]

    def matches(self, r: int, f: int, m: int) -> bool:
        return all(lo <= score <= hi for (lo, hi), score in ((self.r, r), (self.f, f), (self.m, m)))

    def as_var(self) -> dict[str, Any]:
        return {"name": self.name, "r": list(self.r), "f": list(self.f), "m": list(self.m)}


def _score_range(value: Any, where: str) -> tuple[int, int]:
    if value is None:
        return (RFM_SCORES[0], RFM_SCORES[-1])
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ConfigError(f"{where}: expected [min, max], two whole scores, got {value!r}")
    low, high = value
    if not (RFM_SCORES[0] <= low <= high <= RFM_SCORES[-1]):
        raise ConfigError(f"{where}: need 1 <= min <= max <= 5, got {value!r}")
    return (low, high)


def _segment(item: Any, taken: set[str], where: str) -> RfmSegment:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with name, r, f, m")
    unknown = sorted(set(item) - {"name", "r", "f", "m"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected: name, r, f, m)")
    name = _need(item, "name", where)
    if not isinstance(name, str) or not SEGMENT_NAME.fullmatch(name):
        raise ConfigError(f"{where}.name: {name!r} is not a lower-case snake_case name")
    if name in taken:
        raise ConfigError(f"{where}.name: segment {name!r} is defined twice")
    return RfmSegment(
        name=name,
        r=_score_range(item.get("r"), f"{where}.r"),
        f=_score_range(item.get("f"), f"{where}.f"),
        m=_score_range(item.get("m"), f"{where}.m"),
    )


def parse_rfm_segments(data: dict[str, Any], path: Path) -> tuple[RfmSegment, ...]:
    """The ordered segment rules; every (r, f, m) in 1..5 must match one of them."""
    where = f"{path}: rfm_segments"
    value = _need(data, "rfm_segments", str(path))
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a non-empty list of segments")
    segments: list[RfmSegment] = []
    for index, item in enumerate(value):
        segments.append(_segment(item, {s.name for s in segments}, f"{where}[{index}]"))
    for r in RFM_SCORES:
        for f in RFM_SCORES:
            for m in RFM_SCORES:
                if not any(s.matches(r, f, m) for s in segments):
                    raise ConfigError(
                        f"{where}: no segment matches r={r}, f={f}, m={m};"
                        " the rules must cover every score combination (add a catch-all last)"
                    )
    return tuple(segments)
