"""One delivery's rows checked as columns: the extract's fast path.

What a valid value is stays in one place, `parsing.check_value`. Calling it once per value
was most of a full run at 100,000 people (decision 31), so a delivery's values are checked
as columns first, with Arrow's compute kernels (DuckDB parses the timestamps). A row whose
every value has a plain, unambiguous form (text with no whitespace at either end, a plain
numeral, an ISO-8601 timestamp with an offset, an ASCII currency code or boolean word) and
passes its column's rules there is accepted with exactly the text `check_value` would give.
Every other row (a value that breaks a rule, or one whose form the fast checks do not vouch
for: `1e3`, `+5`, a nested object, a timestamp without offset, ...) is judged by
`parsing.validate_row` itself. So the fast checks may only say "certainly valid, and this is
its text"; the verdicts and texts are the row-by-row path's, which
tests/unit/test_batch_check.py checks side by side on planted defects and awkward values.

Duplicates and conflicting versions are settled with the row path's semantics: the first
valid row of a (key, cursor) in delivery order is loaded, a later identical copy is a
duplicate, any other later row with that key and cursor is a conflicting version. Only the
rows whose key and cursor repeat (found by a group-by) are walked in Python.
Small deliveries skip the column checks (FAST_MIN_ROWS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lifecycle.parsing import FALSE_WORDS, TRUE_WORDS, Rejection, validate_row

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import duckdb

    from lifecycle.config import ColumnSpec, TableConfig
    from lifecycle.parsing import DeliveryContext
    from lifecycle.readers import SourceRecord

# Forms the fast checks vouch for (RE2, matched against the whole text). Anything else is
# judged by parsing.check_value, which accepts more (Decimal's and fromisoformat's forms).
_INTEGER = r"-?[0-9]{1,27}"
_DECIMAL = r"-?[0-9]{1,27}(\.[0-9]{1,10})?"
_TIMESTAMP = (
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])"
)
_WORD = r"[A-Za-z0-9]{1,16}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Collected:
    """A delivery's records as columns: the source values of the declared fields of every
    parsed record, and the records that could not even be parsed."""

    lines: list[int] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)
    unparsed: list[tuple[int, str, Rejection]] = field(default_factory=list)
    read: int = 0


@dataclass
class Checked:
    """The verdict on one delivery: the loaded rows (declared columns as raw text, plus
    `_line`, in delivery order), the quarantined ones with why, the duplicates dropped."""

    loaded: pa.Table
    rejected: list[tuple[int, str, Rejection]]
    duplicates: int
    newest_cursor: datetime | None


def collect(records: Iterable[SourceRecord], columns: Sequence[ColumnSpec]) -> Collected:
    """Consume a delivery's records into columns (one list per declared column)."""
    out = Collected()
    fields = [c.source_field for c in columns]
    rows: list[tuple[Any, ...]] = []
    for item in records:
        out.read += 1
        record = item.record
        if type(record) is tuple:
            rows.append(record)
        elif isinstance(record, Rejection):
            out.unparsed.append((item.line, item.raw, record))
            continue
        else:
            get = record.get  # type: ignore[union-attr]
            rows.append(tuple([get(name) for name in fields]))
        out.lines.append(item.line)
        out.raws.append(item.raw)
    out.values = (
        [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    )
    return out


def _text(value: Any) -> str | None:
    """The text of a source value as parsing._as_text gives it before stripping, or the
    value itself when only the judge may decide (a nested object or list)."""
    kind = type(value)
    if value is None or kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    return str(value)


def text_column(values: list[Any]) -> tuple[pa.Array, list[int]]:
    """A column of source values as an Arrow string array, and the rows the fast checks
    cannot take (objects, lists, text that is not valid Unicode); those are null here."""
    try:
        return pa.array(values, type=pa.string()), []
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        pass
    texts: list[str | None] = []
    judge: list[int] = []
    for row, value in enumerate(values):
        if isinstance(value, dict | list):
            texts.append(None)
            judge.append(row)
            continue
        text = _text(value)
        if text is not None and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                texts.append(None)
                judge.append(row)
                continue
        texts.append(text)
    return pa.array(texts, type=pa.string()), judge


# What str.strip() strips (every code point whose isspace() is true; a unit test holds the
# two the same): text with none of these at either end is its own stripped text.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_DECIMAL_ARROW = pa.decimal128(38, 10)


def _full(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _bound(bound: float) -> pa.Scalar | None:
    """A bound as a decimal(38, 10) scalar, if that type holds it exactly."""
    number = Decimal(str(bound))
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -10 or abs(number) >= Decimal(10) ** 27:
        return None
    return pa.scalar(number, type=_DECIMAL_ARROW)


def _is_in(values: pa.Array, items: Iterable[str]) -> pa.Array:
    return pc.is_in(values, value_set=pa.array(sorted(items), type=pa.string()))


def _present_checks(
    spec: ColumnSpec, v: pa.Array, instants_ok: pa.Array | None, context: DeliveryContext
) -> tuple[pa.Array, pa.Array]:
    """(the text, true where the fast checks vouch for a value) of a column's non-empty
    values; nulls in the result mean "not vouched for"."""
    text = v
    conditions: list[pa.Array] = []
    if spec.type in ("integer", "decimal"):
        plain = pc.match_substring_regex(v, _full(_INTEGER if spec.type == "integer" else _DECIMAL))
        conditions.append(plain)
        numbers = pc.cast(pc.if_else(plain, v, "0"), _DECIMAL_ARROW)
        for bound, compare in ((spec.min, pc.greater_equal), (spec.max, pc.less_equal)):
            if bound is not None:
                exact = _bound(bound)
                conditions.append(
                    compare(numbers, exact) if exact is not None else pa.nulls(len(v), pa.bool_())
                )
    elif spec.type == "timestamp":
        assert instants_ok is not None
        conditions.append(instants_ok)
    elif spec.type == "currency":
        conditions.append(pc.match_substring_regex(v, _full(_WORD)))
        conditions.append(_is_in(pc.utf8_upper(v), context.currencies))
    elif spec.type == "boolean":
        lower = pc.utf8_lower(v)
        is_true = _is_in(lower, TRUE_WORDS)
        conditions.append(pc.match_substring_regex(v, _full(_WORD)))
        conditions.append(pc.or_(is_true, _is_in(lower, FALSE_WORDS)))
        text = pc.if_else(is_true, "true", "false")
    if spec.values is not None:
        conditions.append(_is_in(text, spec.values))
    ok = pa.array([True] * len(v), type=pa.bool_())
    for condition in conditions:
        ok = pc.and_kleene(ok, condition)
    return text, ok


def column_checks(
    spec: ColumnSpec, v: pa.Array, instants_ok: pa.Array | None, context: DeliveryContext
) -> tuple[pa.Array, pa.Array]:
    """One column's fast checks over its raw text `v`: (the checked text, true where the
    checks vouch for the value and that text). `instants_ok` (timestamp columns only): the
    value has the vouched-for ISO form and parses to an instant within the rules."""
    absent = pc.fill_null(pc.equal(v, ""), True)
    stripped = pc.fill_null(pc.equal(pc.utf8_trim(v, _WHITESPACE), v), False)
    text, present_ok = _present_checks(spec, v, instants_ok, context)
    ok = pc.if_else(absent, not spec.required, pc.and_(stripped, pc.fill_null(present_ok, False)))
    return pc.if_else(absent, pa.scalar(None, pa.string()), text), ok


def _timestamp_checks(
    con: duckdb.DuckDBPyConnection, columns: Sequence[ColumnSpec], texts: list[pa.Array],
    context: DeliveryContext, cursor: int,
) -> tuple[dict[int, pa.Array], pa.Array | None]:  # fmt: skip
    """For every timestamp column: true where the text has the vouched-for ISO form and
    parses (DuckDB's timestamptz, which rejects 30 February as fromisoformat does) to an
    instant within the column's rules; and the cursor's instants in epoch microseconds."""
    found = [i for i, spec in enumerate(columns) if spec.type == "timestamp"]
    if not found:
        return {}, None
    not_after = context.not_after.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    selects = []
    for i in found:
        spec, t = columns[i], f"v{i}"
        instant = f"try_cast({t} as timestamptz)"
        checks = [f"regexp_full_match({t}, '{_TIMESTAMP}')", f"{instant} is not null",
                  f"{instant} <= cast('{not_after}' as timestamptz)"]  # fmt: skip
        if spec.min_year is not None:
            checks.append(f"try_cast(left({t}, 4) as integer) >= {int(spec.min_year)}")
        selects.append(f"coalesce({' and '.join(checks)}, false) as ok{i}")
    if cursor in found:
        selects.append(f"epoch_us(try_cast(v{cursor} as timestamptz)) as cursor_us")
    con.register("stamps", pa.table({f"v{i}": texts[i] for i in found}))
    try:
        result = con.sql(f"select {', '.join(selects)} from stamps").to_arrow_table()
    finally:
        con.unregister("stamps")
    oks = {i: result.column(f"ok{i}").combine_chunks() for i in found}
    cursor_us = result.column("cursor_us").combine_chunks() if cursor in found else None
    return oks, cursor_us


def _judge(
    collected: Collected, rows: Sequence[int], columns: Sequence[ColumnSpec],
    context: DeliveryContext,
) -> tuple[list[tuple[int, tuple[str | None, ...]]], list[tuple[int, str, Rejection]]]:  # fmt: skip
    """The row path on the rows the fast checks did not vouch for."""
    fields = [c.source_field for c in columns]
    valid: list[tuple[int, tuple[str | None, ...]]] = []
    rejected: list[tuple[int, str, Rejection]] = []
    for row in rows:
        record = {f: collected.values[i][row] for i, f in enumerate(fields)}
        verdict = validate_row(columns, record, context)
        if isinstance(verdict, Rejection):
            rejected.append((collected.lines[row], collected.raws[row], verdict))
        else:
            valid.append((row, verdict))
    return valid, rejected


FAST_MIN_ROWS = 2000
"""Below this many rows a delivery is judged row by row: the column checks' fixed cost (a
few milliseconds of kernel calls and a DuckDB query) is more than the rows would cost in
Python, and most deliveries of the small tables (a day of CRM accounts, of ratings) are
this small."""


@cache
def _connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for this process's timestamp checks (connecting costs ~15 ms)."""
    from lifecycle.io import connect

    con = connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def check_delivery(
    table: TableConfig, collected: Collected, context: DeliveryContext,
    fast_min_rows: int = FAST_MIN_ROWS,
) -> Checked:  # fmt: skip
    """Validate, de-duplicate and version-check one delivery's collected rows."""
    fields = [c.source_field for c in table.columns]
    key, cursor = fields.index(table.primary_key), fields.index(table.cursor)
    if len(collected.lines) < fast_min_rows:
        return _check_rows(table, collected, context, key, cursor)
    con = _connection()
    return _check_columns(con, table, collected, context, key, cursor)


def _check_rows(
    table: TableConfig, collected: Collected, context: DeliveryContext, key: int, cursor: int
) -> Checked:
    """Every row judged in Python, then settled in delivery order."""
    valid, rejected = _judge(collected, range(len(collected.lines)), table.columns, context)
    shared = [(row, collected.lines[row], *texts) for row, texts in valid]
    dropped, duplicates = _settle_versions(table, key, cursor, shared, collected, rejected)
    skip = set(dropped)
    loaded = [(row, texts) for row, texts in valid if row not in skip]
    columns: dict[str, pa.Array] = {
        c.name: pa.array([texts[i] for _, texts in loaded], type=pa.string())
        for i, c in enumerate(table.columns)
    }
    columns["_line"] = pa.array([collected.lines[row] for row, _ in loaded], type=pa.int64())
    newest = _newest_of(texts[cursor] for _, texts in loaded)
    rejected.extend(collected.unparsed)
    rejected.sort(key=lambda r: r[0])
    return Checked(pa.table(columns), rejected, duplicates, newest)


def _check_columns(
    con: duckdb.DuckDBPyConnection, table: TableConfig, collected: Collected,
    context: DeliveryContext, key: int, cursor: int,
) -> Checked:  # fmt: skip
    """The fast checks as Arrow kernels; the judge and the settling only where needed."""
    columns = table.columns
    count = len(collected.lines)
    raw: list[pa.Array] = []
    judged_rows: set[int] = set()
    for values in collected.values:
        texts, judge = text_column(values)
        raw.append(texts)
        judged_rows.update(judge)
    stamps_ok, cursor_us = _timestamp_checks(con, columns, raw, context, cursor)
    ok = pa.array([r not in judged_rows for r in range(count)], type=pa.bool_())
    checked: list[pa.Array] = []
    for i, spec in enumerate(columns):
        text, column_ok = column_checks(spec, raw[i], stamps_ok.get(i), context)
        checked.append(text)
        ok = pc.and_(ok, column_ok)
    rows = pa.array(range(count), type=pa.int64())
    lines = pa.array(collected.lines, type=pa.int64())
    unsure = pc.indices_nonzero(pc.invert(ok)).to_pylist()
    valid, rejected = _judge(collected, unsure, columns, context)
    judged_at = pa.array([r for r, _ in valid], type=pa.int64())
    names = [f"t{i}" for i in range(len(columns))]
    fast = pa.table([rows, lines, *checked], names=["_row", "_line", *names]).filter(ok)
    judged = pa.table(
        [judged_at, pc.take(lines, judged_at),
         *(pa.array([texts[i] for _, texts in valid], type=pa.string())
           for i in range(len(columns)))],
        names=["_row", "_line", *names],
    )  # fmt: skip
    both = pa.concat_tables([fast, judged]).combine_chunks()
    # Rows sharing a key and cursor are rare: only they are settled row by row.
    versions = both.group_by([f"t{key}", f"t{cursor}"]).aggregate([("_row", "count")])
    repeated = versions.filter(pc.greater(versions.column("_row_count"), 1))
    shared: list[tuple[Any, ...]] = []
    if repeated.num_rows:
        marked = repeated.select([f"t{key}", f"t{cursor}"]).append_column(
            "_shared", pa.array([True] * repeated.num_rows)
        )
        joined = both.join(marked, [f"t{key}", f"t{cursor}"], join_type="left outer")
        picked = joined.filter(pc.fill_null(joined.column("_shared"), False))
        picked = picked.take(pc.sort_indices(picked.column("_row")))
        shared = [tuple(row[c] for c in ("_row", "_line", *names)) for row in picked.to_pylist()]
    dropped, duplicates = _settle_versions(table, key, cursor, shared, collected, rejected)
    keep = pc.invert(pc.is_in(both.column("_row"), value_set=pa.array(dropped, pa.int64())))
    loaded = both.filter(keep)
    loaded = loaded.take(pc.sort_indices(loaded.column("_row")))
    if cursor_us is None:  # a cursor that is not a timestamp: as the judge parses it
        newest = _newest_of(both.column(f"t{cursor}").to_pylist())
    else:
        newest = _newest(cursor_us, ok, [texts[cursor] for _, texts in valid])
    rejected.extend(collected.unparsed)
    rejected.sort(key=lambda r: r[0])
    out = loaded.select([*names, "_line"]).rename_columns([*(c.name for c in columns), "_line"])
    return Checked(out, rejected, duplicates, newest)


def _settle_versions(
    table: TableConfig, key: int, cursor: int, shared: list[tuple[Any, ...]],
    collected: Collected, rejected: list[tuple[int, str, Rejection]],
) -> tuple[list[int], int]:  # fmt: skip
    """Among valid rows that share a key and cursor (in delivery order), the first is
    loaded; a later identical copy is a duplicate, any other a conflicting version.
    Returns the rows not loaded and the number of duplicates; conflicts join `rejected`."""
    first: dict[tuple[Any, Any], tuple[int, tuple[Any, ...]]] = {}
    dropped: list[int] = []
    duplicates = 0
    for row, line, *texts in shared:
        content = tuple(texts)
        version = (content[key], content[cursor])
        if version not in first:
            first[version] = (line, content)
            continue
        dropped.append(row)
        version_line, version_content = first[version]
        if content == version_content and content[key] is not None:
            duplicates += 1
            continue
        reason = (
            f"conflicting version of {table.primary_key} {content[key]}: same"
            f" {table.cursor} as line {version_line}, different content"
        )
        rejected.append((line, collected.raws[row],
                         Rejection(table.primary_key, reason, "conflicting_version")))  # fmt: skip
    return dropped, duplicates


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _newest_of(texts: Iterable[str | None]) -> datetime | None:
    """The newest of some cursor timestamps, parsed as the judge parses them (UTC)."""
    newest: datetime | None = None
    for text in texts:
        if text is not None:
            instant = datetime.fromisoformat(text).astimezone(UTC)
            newest = instant if newest is None or instant > newest else newest
    return newest


def _newest(cursor_us: pa.Array, fast: pa.Array, judged: list[str | None]) -> datetime | None:
    """The newest cursor instant among the valid rows (UTC): DuckDB's parse where the fast
    checks vouched for a timestamp, the judge's elsewhere. A valid row that was not loaded
    shares its cursor with one that was, so the valid rows' newest is the loaded rows'."""
    biggest = pc.max(pc.filter(cursor_us, fast)).as_py()
    fast_newest = _EPOCH + timedelta(microseconds=int(biggest)) if biggest is not None else None
    rest = _newest_of(judged)
    return max((t for t in (fast_newest, rest) if t is not None), default=None)
