"""Extract: sources -> raw zone (Parquet, one partition per table and delivery day).

Every source kind delivers one table's records per day (lifecycle.readers): a `files`
source one file per table per day, a `sql` or `rest` source the records whose cursor falls
in that day. The run for as-of day D writes partition `delivery_date=D` from D's delivery.
Any earlier day whose partition is missing (or, for files, whose file changed since it was
extracted) is (re)extracted in the same run, so the first run loads the history and a re-run
of D replaces exactly D.

Every partition is written to a temporary name and renamed into place; its `_extract.json`
sidecar (counts and the source file's sha256) is written last and marks it complete.
Counts always add up: read = loaded + quarantined + duplicates dropped. A delivery's rows are
checked as columns (lifecycle.batch_check) against the rules of lifecycle.parsing.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle.batch_check import check_delivery, collect
from lifecycle.gcpause import paused_gc
from lifecycle.parsing import DeliveryContext
from lifecycle.readers import available_days, current_checksum, open_delivery
from lifecycle.workers import in_workers

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from lifecycle.config import SourceConfig, SourcesConfig, TableConfig
    from lifecycle.paths import Home

log = logging.getLogger(__name__)

PARTITION = "delivery_date"
LINEAGE_COLUMNS = ("_source", "_file", "_line", "_delivery_date", "_run_id", "_extracted_at")
QUARANTINE_COLUMNS = (
    "_source", "_table", "_file", "_line", "_delivery_date", "column_name", "rule", "reason",
    "raw_record", "_run_id", "_extracted_at",
)  # fmt: skip


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
    # Fields the file has that sources.yml does not declare (not loaded), comma separated.
    undeclared_columns: str | None = None
    # An earlier delivery day of this table whose file had exactly these bytes.
    repeat_of: str | None = None
    # The newest cursor value (UTC, ISO) among the loaded rows: how fresh the content is.
    newest_cursor: str | None = None
    # The source file's size, time and inode when read (readers.files.file_stamp), so later
    # nights know it unchanged without hashing it; None for pulled sources.
    source_stamp: str | None = None

    def adds_up(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.duplicates


def partition_dir(home: Home, table: TableConfig, day: date) -> Path:
    return home.raw / table.source / table.name / f"{PARTITION}={day.isoformat()}"


def quarantine_dir(home: Home, table: TableConfig, day: date) -> Path:
    return home.quarantine / table.source / table.name / f"{PARTITION}={day.isoformat()}"


def delivery_context(
    sources: SourcesConfig, day: date, currencies: Sequence[str]
) -> DeliveryContext:
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    return DeliveryContext(
        delivery_day=day,
        not_after=end + timedelta(minutes=sources.max_clock_skew_minutes),
        currencies=frozenset(c.upper() for c in currencies),
    )


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


def _remove_orphans(folder: Path) -> None:
    """Temporary files a killed run left behind (never data: readers glob `data.parquet`)."""
    if folder.is_dir():
        for orphan in folder.glob(".*.tmp"):
            orphan.unlink(missing_ok=True)


def _default_context(day: date) -> DeliveryContext:
    from lifecycle.config import load_lifecycle, load_sources

    return delivery_context(load_sources(), day, load_lifecycle().quality.currencies)


def extract_delivery(
    home: Home,
    source: SourceConfig,
    table: TableConfig,
    day: date,
    run_id: str,
    extracted_at: datetime,
    context: DeliveryContext | None = None,
    known: Mapping[str, str] | None = None,
) -> PartitionReport:
    """Extract one table's delivery for one day into its raw and quarantine partitions.

    `known` maps the checksums of the table's other deliveries to their day, so a delivery
    repeating an earlier one byte for byte is reported as a repeat.
    """
    delivery = open_delivery(home, source, table, day)
    context = context or _default_context(day)
    target, qtarget = partition_dir(home, table, day), quarantine_dir(home, table, day)
    # The sidecar marks a complete partition: gone until this extraction has finished.
    (target / "_extract.json").unlink(missing_ok=True)
    _remove_orphans(target)
    _remove_orphans(qtarget)

    shown = delivery.shown
    stamp = extracted_at.isoformat()
    with paused_gc():
        collected = collect(delivery.records, table.columns)
        checked = check_delivery(table, collected, context)
    if delivery.undeclared:
        log.warning(
            "%s: %s has undeclared column(s) %s, not loaded",
            table.key, shown, sorted(delivery.undeclared),
        )  # fmt: skip
    bad = [(table.source, table.name, shown, line, day.isoformat(), rejection.column,
            rejection.rule, rejection.reason, raw, run_id, stamp)
           for line, raw, rejection in checked.rejected]  # fmt: skip

    loaded = checked.loaded
    count = loaded.num_rows
    names = [c.name for c in table.columns]
    columns: dict[str, Any] = {name: loaded.column(name) for name in names}
    columns["_source"] = pa.repeat(table.source, count)
    columns["_file"] = pa.repeat(shown, count)
    columns["_line"] = loaded.column("_line")
    columns["_delivery_date"] = pa.repeat(day.isoformat(), count)
    columns["_run_id"] = pa.repeat(run_id, count)
    columns["_extracted_at"] = pa.repeat(stamp, count)
    schema = pa.schema(
        [pa.field(n, pa.string()) for n in names]
        + [pa.field(n, pa.int64() if n == "_line" else pa.string()) for n in LINEAGE_COLUMNS]
    )
    data = pa.table(columns).cast(schema)
    _write_parquet(data, target / "data.parquet", run_id)

    qschema = pa.schema(
        [pa.field(n, pa.int64() if n == "_line" else pa.string()) for n in QUARANTINE_COLUMNS]
    )
    qcols = {n: [row[i] for row in bad] for i, n in enumerate(QUARANTINE_COLUMNS)}
    _write_parquet(pa.table(qcols, schema=qschema), qtarget / "data.parquet", run_id)
    newest = checked.newest_cursor
    read, duplicates = collected.read, checked.duplicates

    sha = delivery.checksum()
    repeat_of = (known or {}).get(sha) if read else None
    if repeat_of is not None and repeat_of >= day.isoformat():
        repeat_of = None
    report = PartitionReport(
        table=table.key, delivery_date=day.isoformat(), file=shown, sha256=sha,
        read=read, loaded=count, quarantined=len(bad), duplicates=duplicates,
        undeclared_columns=",".join(sorted(delivery.undeclared)) or None,
        repeat_of=repeat_of,
        newest_cursor=newest.isoformat() if newest else None,
        source_stamp=delivery.stamp,
    )  # fmt: skip
    if not report.adds_up():  # pragma: no cover - an invariant, not a branch
        raise AssertionError(f"{table.key} {day}: counts do not add up: {report}")
    _write_json({**asdict(report), "run_id": run_id}, target / "_extract.json", run_id)
    for reason in sorted({b[7] for b in bad})[:3]:
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


def days_to_extract(
    home: Home,
    source: SourceConfig,
    table: TableConfig,
    as_of: date,
    known: dict[str, str] | None = None,
) -> list[date]:
    """The as-of day, plus every earlier day with a delivery not yet (or no longer, for a
    changed file) in the raw zone.

    `known`, if given, is filled with the checksum -> first delivery day of the deliveries
    already extracted (non-empty ones), to tell a repeated delivery."""
    todo = []
    for day in available_days(home, source, table, as_of):
        if day == as_of:
            todo.append(day)
            continue
        done = read_report(home, table, day)
        now = (
            current_checksum(home, source, table, day, (done.sha256, done.source_stamp))
            if done is not None
            else None
        )
        if done is None or (now is not None and done.sha256 != now[0]):
            todo.append(day)
            continue
        if now is not None and now[1] is not None and now[1] != done.source_stamp:
            _restamp(home, table, day, now[1])
        if known is not None and done.read:
            known.setdefault(done.sha256, done.delivery_date)
    if as_of not in todo:
        todo.append(as_of)  # the reader reports a missing delivery by name
    return todo


def _restamp(home: Home, table: TableConfig, day: date, stamp: str) -> None:
    """Record the stamp of a delivery found unchanged by its checksum (a partition extracted
    before stamps were kept, or right after its file was written), so that later nights
    need not hash it again."""
    sidecar = partition_dir(home, table, day) / "_extract.json"
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    _write_json({**data, "source_stamp": stamp}, sidecar, str(data.get("run_id", "")))


PARALLEL_MIN_DAYS = 8
"""From this many deliveries of one file table (a first run, a long catch-up), the extract
spreads them over worker processes; fewer are not worth starting the workers (~1 s)."""
WORKERS_ENV = "LIFECYCLE_EXTRACT_WORKERS"


def extract_workers() -> int:
    """How many processes extract a file table's many deliveries: one per CPU unless
    LIFECYCLE_EXTRACT_WORKERS says otherwise (1 keeps it in the task's own process)."""
    given = os.environ.get(WORKERS_ENV, "").strip()
    return max(1, int(given)) if given else max(1, os.cpu_count() or 1)


def extract_source(
    source: str, as_of: date, run_id: str, home: Home, cfg: SourcesConfig
) -> list[PartitionReport]:
    """Extract every table of one source for the run's as-of day (and any catch-up days)."""
    from lifecycle import progress
    from lifecycle.config import load_lifecycle

    extracted_at = datetime.now(UTC)  # lineage only; no rule reads it
    currencies = load_lifecycle().quality.currencies
    reports: list[PartitionReport] = []
    src = cfg.source(source)
    for table in src.tables:
        known: dict[str, str] = {}
        days = days_to_extract(home, src, table, as_of, known)
        jobs = [
            _Job(home, src, table, day, run_id, extracted_at,
                 delivery_context(cfg, day, currencies), dict(known))
            for day in days
        ]  # fmt: skip
        workers = extract_workers() if src.kind == "files" else 1
        if workers > 1 and len(jobs) >= PARALLEL_MIN_DAYS:
            done = in_workers(_run_job, jobs, workers)
        else:
            done = [_run_job(job) for job in jobs]
        done = _settle_repeats(home, table, done, known, run_id)
        reports.extend(done)
        read = sum(r.read for r in done)
        loaded = sum(r.loaded for r in done)
        quarantined = sum(r.quarantined for r in done)
        dups = sum(r.duplicates for r in done)
        progress.emit(
            "extract",
            f"{table.key:<32} {len(done):>4} day(s)  read {read:>9,} = loaded {loaded:,}"
            f" + quarantined {quarantined:,} + duplicates {dups:,}",
        )
    return reports


@dataclass(frozen=True)
class _Job:
    """One delivery to extract (picklable, for a worker process)."""

    home: Home
    source: SourceConfig
    table: TableConfig
    day: date
    run_id: str
    extracted_at: datetime
    context: DeliveryContext
    known: dict[str, str]


def _run_job(job: _Job) -> PartitionReport:
    return extract_delivery(job.home, job.source, job.table, job.day, job.run_id,
                            job.extracted_at, job.context, job.known)  # fmt: skip


def _settle_repeats(
    home: Home, table: TableConfig, done: list[PartitionReport], known: dict[str, str],
    run_id: str,
) -> list[PartitionReport]:  # fmt: skip
    """A delivery repeating, byte for byte, another one extracted in the same run (possibly
    by another worker) is marked a repeat of the earliest, as extracting them one by one in
    day order would have; only those partitions' sidecars are rewritten."""
    settled = []
    for report in sorted(done, key=lambda r: r.delivery_date):
        first = known.get(report.sha256) if report.read else None
        repeat_of = first if first is not None and first < report.delivery_date else None
        if repeat_of != report.repeat_of:
            report = replace(report, repeat_of=repeat_of)
            sidecar = partition_dir(home, table, date.fromisoformat(report.delivery_date))
            _write_json({**asdict(report), "run_id": run_id}, sidecar / "_extract.json", run_id)
        if report.read:
            known[report.sha256] = min(known.get(report.sha256, report.delivery_date),
                                       report.delivery_date)  # fmt: skip
        settled.append(report)
    return settled
