"""One delivery's rows checked as columns: the extract's fast path.

What a valid value is stays in one place, `parsing.check_value`. Calling it once per value
was most of a full run at 100,000 people (decision 31), so a delivery is checked as columns
in DuckDB first. A row whose every value has a plain, unambiguous form (an ASCII-edged
string, a plain numeral, an ISO-8601 timestamp with an offset, an ASCII currency code or
boolean word) and passes its column's rules there is accepted with exactly the text
`check_value` would give. Every other row (a value that breaks a rule, or one whose form the
fast checks do not vouch for: padded or non-ASCII-edged text, `1e3`, a nested object, ...)
is judged by `parsing.validate_row` itself. So the fast checks may only say "certainly
valid, and this is its text"; the verdicts and texts are the row-by-row path's, which
tests/unit/test_batch_check.py checks side by side on planted defects and awkward values.

Exact duplicates and conflicting versions (same key and cursor, different content) are then
found among the valid rows with window functions, with the row path's semantics: the first
row of a (key, cursor) in delivery order is kept, a later identical copy is a duplicate, any
other later row with that key and cursor is a conflicting version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa

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
_DECIMAL_TYPE = "decimal(38, 10)"
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
    out = Collected(values=[[] for _ in columns])
    fields = [c.source_field for c in columns]
    pairs = list(zip(out.values, fields, strict=True))
    for item in records:
        out.read += 1
        record = item.record
        if isinstance(record, Rejection):
            out.unparsed.append((item.line, item.raw, record))
            continue
        out.lines.append(item.line)
        out.raws.append(item.raw)
        get = record.get
        for values, name in pairs:
            values.append(get(name))
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


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _string_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_literal(i) for i in items) + "]::varchar[]"


def _exact(bound: float) -> str | None:
    """A bound as a decimal literal, if decimal(38, 10) holds it exactly."""
    number = Decimal(str(bound))
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -10 or abs(number) >= Decimal(10) ** 27:
        return None
    return f"cast({_literal(str(number))} as {_DECIMAL_TYPE})"


def column_checks(spec: ColumnSpec, v: str, context: DeliveryContext) -> tuple[str, str]:
    """SQL for one column over its raw text `v`: (the checked text, true when the fast
    checks vouch for the value and its text)."""
    t = f"nullif({v}, '')"
    conditions: list[str] = []
    text = t
    if spec.type in ("integer", "decimal"):
        pattern = _INTEGER if spec.type == "integer" else _DECIMAL
        conditions.append(f"regexp_full_match({t}, '{pattern}')")
        number = f"try_cast({t} as {_DECIMAL_TYPE})"
        for bound, op in ((spec.min, ">="), (spec.max, "<=")):
            if bound is not None:
                exact = _exact(bound)
                conditions.append(f"{number} {op} {exact}" if exact else "false")
    elif spec.type == "timestamp":
        instant = f"try_cast({t} as timestamptz)"
        conditions += [f"regexp_full_match({t}, '{_TIMESTAMP}')", f"{instant} is not null"]
        if spec.min_year is not None:
            conditions.append(f"try_cast(left({t}, 4) as integer) >= {int(spec.min_year)}")
        not_after = context.not_after.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        conditions.append(f"{instant} <= cast('{not_after}' as timestamptz)")
    elif spec.type == "currency":
        accepted = _string_list(sorted(context.currencies))
        conditions += [f"regexp_full_match({t}, '{_WORD}')",
                       f"list_contains({accepted}, upper({t}))"]  # fmt: skip
    elif spec.type == "boolean":
        trues, falses = _string_list(sorted(TRUE_WORDS)), _string_list(sorted(FALSE_WORDS))
        conditions.append(f"regexp_full_match({t}, '{_WORD}')")
        conditions.append(
            f"(list_contains({trues}, lower({t})) or list_contains({falses}, lower({t})))"
        )
        text = f"case when list_contains({trues}, lower({t})) then 'true' else 'false' end"
        text = f"case when {t} is null then null else {text} end"
    if spec.values is not None:
        conditions.append(f"list_contains({_string_list(spec.values)}, {text})")
    present = " and ".join(conditions) if conditions else "true"
    missing = "false" if spec.required else "true"
    ok = (
        f"case when {v} is null or {v} = '' then {missing}"
        f" when unicode({v}) between 33 and 126 and unicode(right({v}, 1)) between 33 and 126"
        f" then coalesce({present}, false)"
        " else false end"
    )
    return text, ok


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
"""Below this many rows a delivery is judged row by row: DuckDB's per-query cost (planning
the checks of every column, a few milliseconds) is more than the rows would cost in Python,
and most deliveries of the small tables (a day of CRM accounts, of ratings) are this small."""


@cache
def _connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for this process's checks (connecting costs ~15 ms: once)."""
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
    try:
        return _check_columns(con, table, collected, context, key, cursor)
    finally:
        for name in ("batch", "judged", "dropped"):
            con.unregister(name)
        con.execute("drop view if exists loaded_rows")
        con.execute("drop table if exists valid")
        con.execute("drop table if exists checked")


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
    """The fast checks in DuckDB; the judge and the settling only where they are needed."""
    columns = table.columns
    n = len(columns)
    arrays: dict[str, pa.Array] = {
        "_row": pa.array(range(len(collected.lines)), type=pa.int64()),
        "_line": pa.array(collected.lines, type=pa.int64()),
    }
    judged_rows: set[int] = set()
    for i, values in enumerate(collected.values):
        arrays[f"v{i}"], judge = text_column(values)
        judged_rows.update(judge)
    arrays["_judge"] = pa.array([r in judged_rows for r in range(len(collected.lines))],
                                type=pa.bool_())  # fmt: skip
    con.register("batch", pa.table(arrays))
    checks = [column_checks(spec, f"v{i}", context) for i, spec in enumerate(columns)]
    texts = ", ".join(f"{text} as t{i}" for i, (text, _) in enumerate(checks))
    ok = " and ".join(f"({cond})" for _, cond in checks)
    con.execute(
        f"create or replace temp table checked as select _row, _line, {texts},"
        f" not _judge and {ok} as _ok from batch"
    )
    unsure = [r for (r,) in con.execute("select _row from checked where not _ok").fetchall()]
    valid, rejected = _judge(collected, unsure, columns, context)
    judged = pa.table(
        {"_row": pa.array([r for r, _ in valid], type=pa.int64()),
         "_line": pa.array([collected.lines[r] for r, _ in valid], type=pa.int64()),
         **{f"t{i}": pa.array([row[i] for _, row in valid], type=pa.string())
            for i in range(n)}},
    )  # fmt: skip
    con.register("judged", judged)
    cols = ", ".join(f"t{i}" for i in range(n))
    con.execute(
        f"create or replace temp table valid as"
        f" select _row, _line, {cols}, true as _fast from checked where _ok"
        f" union all select _row, _line, {cols}, false as _fast from judged"
    )
    # Rows sharing a key and cursor are rare: only they are settled row by row.
    shared = con.execute(
        f"""
        with versions as (
            select t{key}, t{cursor} from valid
            group by t{key}, t{cursor} having count(*) > 1
        )
        select valid._row, valid._line, {", ".join(f"valid.t{i}" for i in range(n))}
        from valid
        inner join versions
            on valid.t{key} is not distinct from versions.t{key}
            and valid.t{cursor} is not distinct from versions.t{cursor}
        order by valid._row
        """
    ).fetchall()
    dropped, duplicates = _settle_versions(table, key, cursor, shared, collected, rejected)
    con.register("dropped", pa.table({"_row": pa.array(dropped, type=pa.int64())}))
    con.execute(
        "create or replace temp view loaded_rows as select * from valid"
        " where _row not in (select _row from dropped)"
    )
    loaded = con.sql(
        f"select {', '.join(f't{i} as {_quote(c.name)}' for i, c in enumerate(columns))},"
        " _line from loaded_rows order by _row"
    ).to_arrow_table()
    rejected.extend(collected.unparsed)
    rejected.sort(key=lambda r: r[0])
    return Checked(loaded, rejected, duplicates, _newest(con, table, cursor))


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


def _newest(con: duckdb.DuckDBPyConnection, table: TableConfig, cursor: int) -> datetime | None:
    """The newest cursor instant among the loaded rows (UTC): DuckDB's parse where the
    fast checks vouched for the timestamp's form, the judge's elsewhere. A valid row that
    was not loaded shares its cursor with one that was, so all valid rows do."""
    fast: datetime | None = None
    if table.columns[cursor].type == "timestamp":
        row = con.execute(
            f"select max(epoch_us(cast(t{cursor} as timestamptz))) from valid where _fast"
        ).fetchone()
        if row is not None and row[0] is not None:
            fast = _EPOCH + timedelta(microseconds=int(row[0]))
        slow = f"select t{cursor} from valid where not _fast"
    else:
        slow = f"select t{cursor} from valid"
    rest = _newest_of(text for (text,) in con.execute(slow).fetchall())
    return max((t for t in (fast, rest) if t is not None), default=None)
