"""Writes each table's day files once (defects planted) and tallies what every file holds."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lifecycle.demo.render import TableSource, csv_line

if TYPE_CHECKING:
    from pathlib import Path

    from lifecycle.config import TableConfig
    from lifecycle.demo.clock import Span
    from lifecycle.demo.defects import Planter
    from lifecycle.demo.manifest import RecordsTruth

log = logging.getLogger(__name__)


@dataclass
class TableStats:
    """The manifest entry of one table (see manifest.json in the package docstring)."""

    records_written: int = 0
    valid: int = 0
    malformed: int = 0
    impossible: int = 0
    exact_duplicates: int = 0
    updated_versions: int = 0
    late: int = 0
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_written": self.records_written,
            "valid": self.valid,
            "malformed": self.malformed,
            "impossible": self.impossible,
            "exact_duplicates": self.exact_duplicates,
            "updated_versions": self.updated_versions,
            "late": self.late,
            "by_day": self.by_day,
        }


def write_table(
    out: Path,
    span: Span,
    cfg: TableConfig,
    source: TableSource,
    planter: Planter,
    truth: RecordsTruth,
) -> TableStats:
    """Write `cfg`'s file for every day of the span (header-only / empty when nothing is due)."""
    stats = TableStats()
    header = csv_line([c.source_field for c in cfg.columns]) if cfg.format == "csv" else None
    for day in range(span.days):
        batch = source.batch(day)
        planted = planter.plant(day, batch.lines, batch.values)
        lines = planted.lines if header is None else [header, *planted.lines]
        path = cfg.file_for(out, span.day(day))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") if lines else b"")
        truth.add(cfg.source, cfg.name, batch.identities)
        written = len(planted.lines)
        stats.records_written += written
        stats.valid += len(batch.lines) + planted.duplicates
        stats.malformed += planted.malformed
        stats.impossible += planted.impossible
        stats.exact_duplicates += planted.duplicates
        stats.updated_versions += batch.updated_versions
        stats.late += batch.late
        stats.by_day[span.day(day).isoformat()] = {
            "records": written,
            "malformed": planted.malformed,
            "impossible": planted.impossible,
            "exact_duplicates": planted.duplicates,
        }
    log.info(
        "%s: %d records (%d malformed, %d impossible, %d duplicates)",
        cfg.key,
        stats.records_written,
        stats.malformed,
        stats.impossible,
        stats.exact_duplicates,
    )
    return stats
