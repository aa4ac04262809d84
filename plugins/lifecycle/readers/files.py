"""The `files` kind: one export file per table per delivery day (CSV with a header, or JSON
lines), under the sources folder."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson

from lifecycle.parsing import Rejection, flatten
from lifecycle.readers import Delivery, ExtractError, MissingDelivery, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from lifecycle.config import TableConfig
    from lifecycle.paths import Home


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


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A file modified this recently may still change within its timestamp's resolution without
# its size or time changing (git's "racily clean" files): no stamp is kept for it.
RACY_NS = 2_000_000_000


def file_stamp(path: Path, *, racy_ok: bool = False) -> str | None:
    """Size, modification time and inode of a file: what says, without reading it, that it
    is the file extracted before. None for a file modified in the last two seconds, unless
    `racy_ok` (comparing now against a stamp kept earlier)."""
    import time

    st = path.stat()
    if not racy_ok and st.st_mtime_ns > time.time_ns() - RACY_NS:
        return None
    return f"size={st.st_size};mtime_ns={st.st_mtime_ns};inode={st.st_ino}"


def _decode(table: TableConfig, data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExtractError(
            f"{table.key}: {shown} line {line}: not valid UTF-8 (byte {exc.start}: {exc.reason});"
            " the whole file is rejected"
        ) from None


def _csv_records(
    table: TableConfig, text: str, shown: str, undeclared: set[str]
) -> Iterator[SourceRecord]:
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
    undeclared.update(c for c in header if c not in declared)
    width = len(header)
    position = {name: i for i, name in enumerate(header)}  # a repeated name: the last one
    taken = [position[name] for name in declared]
    for fields in reader:
        line = reader.line_num
        raw = ",".join(fields)
        if len(fields) != width:
            reason = f"expected {width} fields, found {len(fields)}"
            yield SourceRecord(line, raw, Rejection(None, reason, "wrong_field_count"))
            continue
        yield SourceRecord(line, raw, tuple([fields[i] for i in taken]))


def _jsonl_records(table: TableConfig, text: str, undeclared: set[str]) -> Iterator[SourceRecord]:
    """Each line's record, as flatten() reads it: through one plan per record shape (which
    declared field sits where), as a tuple in declared order."""
    fields = [c.source_field for c in table.columns]
    declared = set(fields)
    plans: dict[tuple[Any, ...], _Plan] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            # orjson is stricter than json (NaN, integers beyond 64 bits, lone surrogates):
            # the standard library decides, and names the fault the same way every time.
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                reason = f"malformed JSON: {exc.msg} at column {exc.colno}"
                yield SourceRecord(number, raw, Rejection(None, reason, "malformed_json"))
                continue
        if not isinstance(obj, dict):
            reason = "a JSON line must be an object"
            yield SourceRecord(number, raw, Rejection(None, reason, "not_a_json_object"))
            continue
        shape = _shape(obj)
        plan = plans.get(shape)
        if plan is None:
            record = flatten(obj)
            if not declared.issuperset(record):
                undeclared.update(k for k in record if k not in declared)
            if _plannable(obj):
                plans[shape] = _plan(obj, fields)
            yield SourceRecord(number, raw, record)
            continue
        yield SourceRecord(number, raw, tuple([
            None if outer is None else obj[outer] if inner is None else obj[outer][inner]
            for outer, inner in plan
        ]))  # fmt: skip


# Per declared column: (top-level key, nested key) it is read from, (key, None) for a
# top-level value, (None, None) for a field records of the shape do not have.
_Plan = tuple[tuple[str | None, str | None], ...]


def _shape(obj: dict[str, Any]) -> tuple[Any, ...]:
    """The key structure of a record: its keys, and for each nested object its keys and
    their values' types. Records of one plannable shape flatten the same way, so where each
    declared field is is worked out once per shape, not once per record."""
    return (tuple(obj), tuple([
        (tuple(v), tuple(map(type, v.values()))) if type(v) is dict else None
        for v in obj.values()
    ]))  # fmt: skip


def _plannable(obj: dict[str, Any]) -> bool:
    """At most two levels: no nested object holds a further object (empty or not, which
    the shape cannot tell apart), and keys are what JSON makes them."""
    return not any(
        type(value) is dict and any(type(v) is dict for v in value.values())
        for value in obj.values()
    )


def _plan(obj: dict[str, Any], fields: list[str]) -> _Plan:
    """Where flatten() takes each declared field from, in a record of this shape (a later
    key wins, as in flatten: `a.b` at the top and `b` inside `a` land on one field)."""
    where: dict[str, tuple[str | None, str | None]] = {}
    for key, value in obj.items():
        if type(value) is dict and value:
            for inner in value:
                where[f"{key}.{inner}"] = (key, inner)
        else:
            where[key] = (key, None)
    return tuple(where.get(name, (None, None)) for name in fields)


def _checked_for_truncation(
    table: TableConfig, text: str, shown: str, records: Iterator[SourceRecord]
) -> Iterator[SourceRecord]:
    """A file whose last line is malformed and has no line end was cut in transfer."""
    last: SourceRecord | None = None
    for last in records:
        yield last
    if last is not None and isinstance(last.record, Rejection) and not text.endswith(("\n", "\r")):
        raise ExtractError(
            f"{table.key}: {shown} line {last.line}: the file ends mid-row (its last line is"
            " incomplete and has no line end): truncated in transfer; the whole file is"
            " rejected, re-deliver it"
        )


def open_delivery(home: Home, table: TableConfig, day: date) -> Delivery:
    path = table.file_for(home.sources, day)
    shown = (
        path.relative_to(home.sources).as_posix()
        if path.is_relative_to(home.sources)
        else str(path)
    )
    if not path.is_file():
        raise MissingDelivery(f"{table.key}: source file missing for {day}: {path}")
    stamp = file_stamp(path)  # before reading: a file changed meanwhile gets a new stamp
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    text = _decode(table, data, shown)
    del data
    undeclared: set[str] = set()
    records = (
        _csv_records(table, text, shown, undeclared)
        if table.format == "csv"
        else _jsonl_records(table, text, undeclared)
    )
    return Delivery(
        shown=shown,
        records=_checked_for_truncation(table, text, shown, records),
        checksum=lambda: checksum,
        undeclared=undeclared,
        stamp=stamp,
    )
