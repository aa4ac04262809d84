"""Readers: how each source kind hands one table's delivery for one day to the extract.

A reader turns a delivery (a file, one cursor interval of a database table, one cursor
interval of an API endpoint) into `SourceRecord`s: records keyed by the declared source
fields, or a `Rejection` for a record that could not even be parsed. The extract
(`lifecycle.extract`) does the rest the same way for every kind: rules, duplicates,
quarantine, the raw partition and its counts. Schema drift is the reader's to see: a declared
field the source no longer has is breaking (`ExtractError`, the source stops); a field it has
and the configuration does not declare is additive (`Delivery.undeclared`, reported).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import date

    from lifecycle.config import SourceConfig, TableConfig
    from lifecycle.parsing import Rejection
    from lifecycle.paths import Home


class ExtractError(RuntimeError):
    """A delivery cannot be extracted at all (empty, truncated, wrong header, undecodable
    bytes, a breaking schema change): retrying will not help, the source must be fixed."""


class MissingDelivery(RuntimeError):
    """The as-of day's delivery is not there (yet), or the source could not be reached:
    worth retrying."""


class SourceRecord(NamedTuple):
    """One record of a delivery. A named tuple: readers make one per record, millions a night
    (a frozen dataclass costs several times more to create)."""

    line: int  # position in the delivery: file line, or the record's ordinal (from 1)
    raw: str  # the record as delivered, kept with a quarantined row
    # Keyed by ColumnSpec.source_field; or, the files reader's fast form, a tuple of the
    # declared columns' values in their declared order (None where a field is absent).
    record: Mapping[str, Any] | tuple[Any, ...] | Rejection


@dataclass
class Delivery:
    """One table's delivery for one day, read lazily; `undeclared` and `checksum()` are
    complete once `records` has been consumed."""

    shown: str  # names the delivery in messages and in the `_file` lineage column
    records: Iterable[SourceRecord]
    checksum: Callable[[], str]
    undeclared: set[str] = field(default_factory=set)
    # A file's size, time and inode when read (readers.files.file_stamp); None otherwise.
    stamp: str | None = None


class RunningDigest:
    """sha256 over the records' raw texts in delivery order (for kinds without a file)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, raw: str) -> str:
        self._digest.update(raw.encode("utf-8") + b"\n")
        return raw

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def open_delivery(home: Home, source: SourceConfig, table: TableConfig, day: date) -> Delivery:
    if source.kind == "files":
        from lifecycle.readers import files

        return files.open_delivery(home, table, day)
    if source.kind == "sql":
        from lifecycle.readers import sql

        return sql.open_delivery(source, table, day)
    if source.kind == "rest":
        from lifecycle.readers import rest

        return rest.open_delivery(source, table, day)
    raise ValueError(f"unknown source kind {source.kind!r}")  # config validates kinds


def available_days(home: Home, source: SourceConfig, table: TableConfig, as_of: date) -> list[date]:
    """Days up to the as-of day that have (or may have) a delivery: the files delivered, or
    for a pulled source every day from its `start` (a first run's history)."""
    from datetime import timedelta

    if source.kind == "files":
        from lifecycle.readers.files import delivered_days

        return [d for d in delivered_days(table, home.sources) if d <= as_of]
    first = source.start if source.start is not None and source.start <= as_of else as_of
    return [first + timedelta(days=n) for n in range((as_of - first).days + 1)]


def current_checksum(
    home: Home,
    source: SourceConfig,
    table: TableConfig,
    day: date,
    extracted: tuple[str, str | None] | None = None,
) -> tuple[str, str | None] | None:
    """The delivery's (checksum, stamp) as it stands now, when that is cheap to know (a
    file; the stamp as readers.files.file_stamp, taken before hashing); None for pulled
    sources: a day already pulled is kept, only the as-of day is pulled again.

    `extracted` is the (checksum, stamp) recorded when the file was extracted: a file whose
    size, time and inode are still those of the stamp is not read again. Every night checks
    every earlier delivery, and re-hashing them all (4.2 GB at 100,000 people over two
    years) would make the extract's cost grow with the history."""
    if source.kind == "files":
        from lifecycle.readers.files import file_checksum, file_stamp

        path = table.file_for(home.sources, day)
        if not path.is_file():
            return None
        if extracted is not None and extracted[1] == file_stamp(path, racy_ok=True):
            return extracted
        stamp = file_stamp(path)
        return file_checksum(path), stamp
    return None


def resolve_connection(conn_id: str) -> str:
    """The URI of an Airflow connection: the environment variable AIRFLOW_CONN_<ID> (URI
    form, as Airflow reads it) or, inside Airflow, its connection store."""
    import os

    env = f"AIRFLOW_CONN_{conn_id.upper()}"
    if os.environ.get(env):
        return os.environ[env]
    try:
        from airflow.sdk import BaseHook

        return str(BaseHook.get_connection(conn_id).get_uri())
    except Exception as exc:  # noqa: BLE001 - any lookup failure means "not configured"
        raise MissingDelivery(
            f"connection {conn_id!r} is not configured: set {env} (a URI) or add an Airflow"
            f" connection with that id ({type(exc).__name__}: {exc})"
        ) from None
