"""Extract: source exports -> raw zone (Parquet, one partition per table and delivery day).

A `files` source delivers one file per table per day. The run for as-of day D writes
partition `delivery_date=D` from the file delivered on D. Any earlier delivered day whose
partition is missing, or whose file changed since it was extracted, is (re)extracted in the
same run, so the first run loads the history and a re-run of D replaces exactly D.

Every partition is written to a temporary name and renamed into place; its `_extract.json`
sidecar (counts and the source file's sha256) is written last and marks it complete.
Counts always add up: read = loaded + quarantined + duplicates dropped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle.parsing import Rejection, flatten, validate_row

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lifecycle.config import SourcesConfig, TableConfig
    from lifecycle.paths import Home

log = logging.getLogger(__name__)

PARTITION = "delivery_date"
LINEAGE_COLUMNS = ("_source", "_file", "_line", "_delivery_date", "_run_id", "_extracted_at")
QUARANTINE_COLUMNS = (
    "_source", "_table", "_file", "_line", "_delivery_date", "column_name", "reason",
    "raw_record", "_run_id", "_extracted_at",
)  # fmt: skip


class ExtractError(RuntimeError):
    """A source cannot be extracted at all (missing file, wrong header, undecodable bytes)."""


@dataclass(frozen=True)
class PartitionReport:
    table: str
    delivery_date: str
    file: str
    sha256: str
    read: int
    loaded: int
    quarantined: int
    duplicates: int

    def adds_up(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.duplicates


@dataclass(frozen=True)
class _Parsed:
    line: int
    raw: str
    row: tuple[str | None, ...] | Rejection


def partition_dir(home: Home, table: TableConfig, day: date) -> Path:
    return home.raw / table.source / table.name / f"{PARTITION}={day.isoformat()}"


def quarantine_dir(home: Home, table: TableConfig, day: date) -> Path:
    return home.quarantine / table.source / table.name / f"{PARTITION}={day.isoformat()}"


def delivered_days(table: TableConfig, sources_dir: Path) -> list[date]:
    """Days for which the source has delivered a file for this table."""
    pattern = table.path.replace("{date}", "*")
    regex = re.compile(re.escape(table.path).replace(r"\{date\}", r"(\d{4}-\d{2}-\d{2})") + "$")
    days = []
    for found in sources_dir.glob(pattern):
        match = regex.search(found.relative_to(sources_dir).as_posix())
        if match:
            days.append(date.fromisoformat(match.group(1)))
    return sorted(days)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_text(table: TableConfig, path: Path, shown: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExtractError(
            f"{table.key}: {shown} line {line}: not valid UTF-8 (byte {exc.start}: {exc.reason});"
            " the whole file is rejected"
        ) from None


def _parse_csv(table: TableConfig, text: str, shown: str) -> Iterator[_Parsed]:
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None:
        raise ExtractError(f"{table.key}: {shown}: empty file, expected a header row")
    declared = [c.source_field for c in table.columns]
    missing = [c for c in declared if c not in header]
    if missing:
        raise ExtractError(
            f"{table.key}: {shown} line 1: header lacks declared column(s) {', '.join(missing)}"
            f" (found: {', '.join(header)})"
        )
    extra = [c for c in header if c not in declared]
    if extra:
        log.warning("%s: %s has undeclared column(s) %s, not loaded", table.key, shown, extra)
    width = len(header)
    line = 1
    for fields in reader:
        line = reader.line_num
        raw = ",".join(fields)
        if len(fields) != width:
            reason = f"expected {width} fields, found {len(fields)}"
            yield _Parsed(line, raw, Rejection(None, reason))
            continue
        record = dict(zip(header, fields, strict=True))
        yield _Parsed(line, raw, validate_row(table.columns, record))


def _parse_jsonl(table: TableConfig, text: str) -> Iterator[_Parsed]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield _Parsed(
                number, raw, Rejection(None, f"malformed JSON: {exc.msg} at column {exc.colno}")
            )
            continue
        if not isinstance(obj, dict):
            yield _Parsed(number, raw, Rejection(None, "a JSON line must be an object"))
            continue
        yield _Parsed(number, raw, validate_row(table.columns, flatten(obj)))


def parse_file(table: TableConfig, path: Path, shown: str) -> Iterator[_Parsed]:
    text = _read_text(table, path, shown)
    if table.format == "csv":
        return _parse_csv(table, text, shown)
    return _parse_jsonl(table, text)


def _write_parquet(table: pa.Table, target: Path, run_id: str) -> None:
    """Write beside the target under a temporary name, then rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{run_id}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, target)


def _write_json(payload: dict[str, Any], target: Path, run_id: str) -> None:
    tmp = target.with_name(f".{target.name}.{run_id}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)


def extract_file(
    home: Home, table: TableConfig, day: date, run_id: str, extracted_at: datetime
) -> PartitionReport:
    """Extract one delivered file into its raw and quarantine partitions."""
    path = table.file_for(home.sources, day)
    shown = (
        path.relative_to(home.sources).as_posix()
        if path.is_relative_to(home.sources)
        else str(path)
    )
    if not path.is_file():
        raise ExtractError(f"{table.key}: source file missing for {day}: {path}")
    names = [c.name for c in table.columns]
    key_index = [c.source_field for c in table.columns].index(table.primary_key)
    stamp = extracted_at.isoformat()
    seen: set[tuple[str | None, ...]] = set()
    good: list[tuple[str | None, ...]] = []
    lines: list[int] = []
    bad: list[tuple[Any, ...]] = []
    read = duplicates = 0
    for parsed in parse_file(table, path, shown):
        read += 1
        if isinstance(parsed.row, Rejection):
            col = parsed.row.column
            bad.append((table.source, table.name, shown, parsed.line, day.isoformat(), col,
                        parsed.row.reason, parsed.raw, run_id, stamp))  # fmt: skip
            continue
        if parsed.row in seen and parsed.row[key_index] is not None:
            duplicates += 1
            continue
        seen.add(parsed.row)
        good.append(parsed.row)
        lines.append(parsed.line)

    columns: dict[str, list[Any]] = {name: [r[i] for r in good] for i, name in enumerate(names)}
    columns["_source"] = [table.source] * len(good)
    columns["_file"] = [shown] * len(good)
    columns["_line"] = lines
    columns["_delivery_date"] = [day.isoformat()] * len(good)
    columns["_run_id"] = [run_id] * len(good)
    columns["_extracted_at"] = [stamp] * len(good)
    schema = pa.schema(
        [pa.field(n, pa.string()) for n in names]
        + [pa.field(n, pa.int64() if n == "_line" else pa.string()) for n in LINEAGE_COLUMNS]
    )
    _write_parquet(
        pa.table(columns, schema=schema), partition_dir(home, table, day) / "data.parquet", run_id
    )

    qschema = pa.schema(
        [pa.field(n, pa.int64() if n == "_line" else pa.string()) for n in QUARANTINE_COLUMNS]
    )
    qcols = {n: [row[i] for row in bad] for i, n in enumerate(QUARANTINE_COLUMNS)}
    _write_parquet(
        pa.table(qcols, schema=qschema), quarantine_dir(home, table, day) / "data.parquet", run_id
    )

    report = PartitionReport(
        table=table.key, delivery_date=day.isoformat(), file=shown, sha256=_sha256(path),
        read=read, loaded=len(good), quarantined=len(bad), duplicates=duplicates,
    )  # fmt: skip
    if not report.adds_up():  # pragma: no cover - an invariant, not a branch
        raise AssertionError(f"{table.key} {day}: counts do not add up: {report}")
    _write_json(
        {**asdict(report), "run_id": run_id},
        partition_dir(home, table, day) / "_extract.json",
        run_id,
    )
    for reason in sorted({b[6] for b in bad})[:3]:
        log.info("%s %s quarantined: %s", table.key, day, reason)
    return report


def read_report(home: Home, table: TableConfig, day: date) -> PartitionReport | None:
    """The completed partition's counts, or None if it was never (fully) extracted."""
    sidecar = partition_dir(home, table, day) / "_extract.json"
    if not sidecar.is_file():
        return None
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    data.pop("run_id", None)
    return PartitionReport(**data)


def days_to_extract(home: Home, table: TableConfig, as_of: date) -> list[date]:
    """The as-of day, plus every earlier delivered day not yet (or no longer) in the raw zone."""
    todo = []
    for day in delivered_days(table, home.sources):
        if day > as_of:
            continue
        if day == as_of:
            todo.append(day)
            continue
        done = read_report(home, table, day)
        if done is None or done.sha256 != _sha256(table.file_for(home.sources, day)):
            todo.append(day)
    if as_of not in todo:
        todo.append(as_of)  # extract_file reports the missing file by name
    return todo


def extract_source(
    source: str, as_of: date, run_id: str, home: Home, cfg: SourcesConfig
) -> list[PartitionReport]:
    """Extract every table of one source for the run's as-of day (and any catch-up days)."""
    from lifecycle import progress

    extracted_at = datetime.now(UTC)  # lineage only; no rule reads it
    reports: list[PartitionReport] = []
    for table in cfg.source(source).tables:
        days = days_to_extract(home, table, as_of)
        done = [extract_file(home, table, day, run_id, extracted_at) for day in days]
        reports.extend(done)
        read = sum(r.read for r in done)
        loaded = sum(r.loaded for r in done)
        quarantined = sum(r.quarantined for r in done)
        dups = sum(r.duplicates for r in done)
        progress.emit(
            "extract",
            f"{table.key:<32} {len(done):>4} file(s)  read {read:>9,} = loaded {loaded:,}"
            f" + quarantined {quarantined:,} + duplicates {dups:,}",
        )
    return reports
