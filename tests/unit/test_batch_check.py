"""The extract's column checks give the row-by-row path's verdicts, value for value.

`row_path` below is the extract's former loop (one `parsing.validate_row` per record, then
duplicates and conflicting versions in delivery order): the reference. Every test feeds the
same records to both and compares the loaded texts, the quarantined rows with their column,
rule and reason, and the duplicate count.
"""

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lifecycle.batch_check import check_delivery, collect, text_column
from lifecycle.config import ColumnSpec, TableConfig, load_lifecycle, load_sources
from lifecycle.demo import generate
from lifecycle.extract import delivery_context
from lifecycle.parsing import DeliveryContext, Rejection, validate_row
from lifecycle.paths import Home
from lifecycle.readers import SourceRecord, open_delivery

DAY = date(2026, 6, 30)
CONTEXT = DeliveryContext(
    delivery_day=DAY,
    not_after=datetime(2026, 7, 1, 0, 5, tzinfo=UTC),
    currencies=frozenset({"USD", "EUR", "CAD"}),
)

Verdict = tuple[list[tuple[Any, ...]], list[tuple[int, str | None, str, str]], int, Any]


def row_path(table: TableConfig, records: list[SourceRecord], context: DeliveryContext) -> Verdict:
    """The reference: the extract's row-by-row loop."""
    key = [c.source_field for c in table.columns].index(table.primary_key)
    cursor = [c.source_field for c in table.columns].index(table.cursor)
    seen: set[tuple[str | None, ...]] = set()
    versions: dict[tuple[str | None, str | None], int] = {}
    good: list[tuple[Any, ...]] = []
    bad: list[tuple[int, str | None, str, str]] = []
    duplicates = 0
    newest = None
    for item in records:
        if isinstance(item.record, Rejection):
            bad.append((item.line, item.record.column, item.record.rule, item.record.reason))
            continue
        record = item.record
        if isinstance(record, tuple):  # the files reader's form: declared columns in order
            record = dict(zip([c.source_field for c in table.columns], record, strict=True))
        row = validate_row(table.columns, record, context)
        if isinstance(row, Rejection):
            bad.append((item.line, row.column, row.rule, row.reason))
            continue
        if row in seen and row[key] is not None:
            duplicates += 1
            continue
        version = (row[key], row[cursor])
        if version in versions:
            reason = (
                f"conflicting version of {table.primary_key} {row[key]}: same"
                f" {table.cursor} as line {versions[version]}, different content"
            )
            bad.append((item.line, table.primary_key, "conflicting_version", reason))
            continue
        versions[version] = item.line
        seen.add(row)
        good.append((*row, item.line))
        if row[cursor] is not None:
            instant = datetime.fromisoformat(row[cursor]).astimezone(UTC)
            newest = instant if newest is None or instant > newest else newest
    return good, bad, duplicates, newest


def batch_path(
    table: TableConfig, records: list[SourceRecord], context: DeliveryContext,
    fast_min_rows: int = 0,
) -> Verdict:  # fmt: skip
    """The column checks; with fast_min_rows above the row count, the small-delivery path."""
    checked = check_delivery(table, collect(records, table.columns), context, fast_min_rows)
    good = [tuple(row.values()) for row in checked.loaded.to_pylist()]
    bad = [(line, r.column, r.rule, r.reason) for line, _, r in checked.rejected]
    return good, bad, checked.duplicates, checked.newest_cursor


def assert_same(table: TableConfig, records: list[SourceRecord], context: DeliveryContext) -> None:
    """Both of check_delivery's paths (DuckDB's checks; all rows judged) give the row path's."""
    expected = row_path(table, records, context)
    for fast_min_rows in (0, len(records) + 1):
        actual = batch_path(table, records, context, fast_min_rows)
        assert actual[0] == expected[0], f"loaded rows differ ({fast_min_rows=})"
        assert actual[1] == expected[1], f"quarantined rows differ ({fast_min_rows=})"
        assert actual[2:] == expected[2:], f"duplicates or newest differ ({fast_min_rows=})"


TABLE = TableConfig(
    source="test",
    name="things",
    primary_key="id",
    cursor="updated_at",
    columns=(
        ColumnSpec("id", "string", required=True),
        ColumnSpec("name", "string"),
        ColumnSpec("count", "integer", min=0, max=86400),
        ColumnSpec("amount", "decimal", required=True, min=0, max=1000000),
        ColumnSpec("ratio", "decimal", min=0.5),
        ColumnSpec("currency", "currency"),
        ColumnSpec("flag", "boolean"),
        ColumnSpec("kind", "string", values=("a", "b", "true")),
        ColumnSpec("payload", "json"),
        ColumnSpec("happened_at", "timestamp", min_year=2015),
        ColumnSpec("updated_at", "timestamp", required=True, min_year=2015),
    ),
)

AWKWARD: dict[str, list[Any]] = {
    "string": ["x", " padded ", "tab\t", "\u00e9t\u00e9", "caf\u00e9", "", "   ", None, 12, 1.5,
               True, {"nested": 1}, [1, 2], {}, "\ud800", "a\nb", "\xa0nbsp", "q'uote"],
    "integer": ["5", "0", "-0", "-1", "86400", "86401", "5.0", "1e3", "+5", " 7", "0x10",
                "1_000", "", None, 7, -3, 2.5, 2.0, True, float("nan"), "NaN", "inf",
                "99999999999999999999999999999999", {"a": 1}],
    "decimal": ["12.50", "0", "0.00", "-0.01", "1000000", "1000000.01", "1e-05", ".5", "5.",
                "1,5", "", None, 1205.87, 1e-05, 3, False, "0.5", "0.49999999999", "12.345678901"],
    "currency": ["USD", "usd", "Usd", "EUR ", "XXX", "", None, "\u017fUSD", "US", 5],
    "boolean": ["true", "TRUE", "False", "t", "F", "1", "0", "yes", "No", "y", "tru", "", None,
                True, False, 1, 0],
    "json": ['{"a": 1}', "[1, 2]", "plain", {"a": [1, {"b": None}]}, [], {}, "", None, 3],
    "timestamp": ["2026-06-30T10:00:00Z", "2026-06-30T10:00:00.123+02:00",
                  "2026-06-30T10:00:00.123456-07:00", "2026-06-30T00:01:01.000+0000",
                  "2026-06-30 10:00:00+00:00", "2026-06-30T10:00:00", "2026-06-30",
                  "2026-06-30T10:00:00.12+02:00", "2026-02-30T10:00:00Z", "2025-02-29T00:00:00Z",
                  "2024-02-29T00:00:00Z", "2026-06-30T24:00:00Z", "2026-06-30T10:00:00+24:00",
                  "2014-12-31T23:59:59Z", "2015-01-01T00:30:00+01:00", "2026-07-01T00:04:59Z",
                  "2026-07-01T00:05:01Z", "2026-07-01T02:05:00+02:00", "2099-01-01T00:00:00Z",
                  "30/06/2026 10:00", "", None, 20260630],
}  # fmt: skip


def _value(spec: ColumnSpec, rng: random.Random) -> Any:
    pool = AWKWARD["string" if spec.type == "string" else spec.type]
    if spec.values is not None and rng.random() < 0.5:
        pool = [*spec.values, "A", "c"]
    return rng.choice(pool)


def _records(rng: random.Random, count: int) -> list[SourceRecord]:
    """Mostly valid rows, each value replaced by an awkward one with some chance; ids and
    cursors repeat so that duplicates and conflicting versions occur."""
    valid = {
        "name": "n", "count": "3", "amount": "9.99", "ratio": "0.75", "currency": "EUR",
        "flag": "true", "kind": "a", "payload": None, "happened_at": "2026-06-30T08:00:00Z",
    }  # fmt: skip
    records: list[SourceRecord] = []
    for line in range(2, count + 2):
        if records and rng.random() < 0.05:
            copy = rng.choice(records)
            records.append(SourceRecord(line, copy.raw, copy.record))
            continue
        record: dict[str, Any] = {
            "id": f"k{rng.randrange(count // 3)}",
            "updated_at": rng.choice(["2026-06-30T09:00:00Z", "2026-06-30T10:00:00+01:00"]),
            **valid,
        }
        for spec in TABLE.columns:
            if rng.random() < 0.15:
                record[spec.source_field] = _value(spec, rng)
        if rng.random() < 0.02:
            del record["amount"]
        records.append(SourceRecord(line, repr(record), record))
        if rng.random() < 0.02:
            records.append(SourceRecord(line, "{", Rejection(None, "bad", "malformed_json")))
    return [SourceRecord(n, r.raw, r.record) for n, r in enumerate(records, start=2)]


@pytest.mark.parametrize("seed", range(6))
def test_check_delivery_matches_the_row_path_on_awkward_values(seed: int) -> None:
    records = _records(random.Random(seed), 600)
    assert_same(TABLE, records, CONTEXT)


@pytest.mark.parametrize("kind", sorted(AWKWARD))
def test_check_delivery_matches_the_row_path_on_every_awkward_value_of_a_type(kind: str) -> None:
    specs = [s for s in TABLE.columns if s.type == kind] or [TABLE.columns[1]]
    base = {"id": "k", "amount": "1", "updated_at": "2026-06-30T09:00:00Z"}
    records = [
        SourceRecord(n, "raw", {**base, "id": f"k{n}", spec.source_field: value})
        for spec in specs
        for n, value in enumerate(AWKWARD[kind], start=len(AWKWARD[kind]) * specs.index(spec))
    ]
    if kind != "json":  # a json column takes any value
        assert row_path(TABLE, records, CONTEXT)[1], "the awkward values include rejected ones"
    assert_same(TABLE, records, CONTEXT)


def test_check_delivery_keeps_the_first_version_and_names_it_in_a_conflict() -> None:
    base = {"amount": "1", "updated_at": "2026-06-30T09:00:00Z"}
    records = [
        SourceRecord(2, "a", {**base, "id": "k1", "name": "first"}),
        SourceRecord(3, "b", {**base, "id": "k1", "name": "first"}),
        SourceRecord(4, "c", {**base, "id": "k1", "name": "second"}),
        SourceRecord(5, "d", {**base, "id": "k1", "name": "second"}),
    ]
    good, bad, duplicates, _ = batch_path(TABLE, records, CONTEXT)
    assert [row[1] for row in good] == ["first"]
    assert duplicates == 1
    assert [(line, rule) for line, _, rule, _ in bad] == [
        (4, "conflicting_version"), (5, "conflicting_version"),
    ]  # fmt: skip
    assert "same updated_at as line 2" in bad[0][3]


def test_text_column_sends_nested_values_to_the_judge() -> None:
    texts, judge = text_column(["a", 5, True, None, {"x": 1}, [1], 2.5])
    assert texts.to_pylist() == ["a", "5", "true", None, None, None, "2.5"]
    assert judge == [4, 5]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Home:
    root = tmp_path_factory.mktemp("batch_demo")
    generate(root / "sources", customers=400, days=20, seed=7, end_date=DAY)
    return Home(root)


@pytest.mark.parametrize("table", load_sources().tables, ids=lambda t: t.key)
def test_check_delivery_matches_the_row_path_on_demo_deliveries(
    demo: Home, table: TableConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFECYCLE_SOURCES", raising=False)
    cfg = load_sources()
    source = cfg.source(table.source)
    for day in (DAY - timedelta(days=n) for n in range(0, 20, 4)):
        records = list(open_delivery(demo, source, table, day).records)
        currencies = load_lifecycle().quality.currencies
        assert_same(table, records, delivery_context(cfg, day, currencies))


def test_demo_deliveries_hold_planted_defects(demo: Home) -> None:
    cfg = load_sources()
    table = cfg.source("app").tables[0]
    totals = [0, 0, 0]
    for day in (DAY - timedelta(days=n) for n in range(0, 20, 4)):
        records = list(open_delivery(demo, cfg.source("app"), table, day).records)
        context = delivery_context(cfg, day, load_lifecycle().quality.currencies)
        good, bad, duplicates, _ = row_path(table, records, context)
        totals = [totals[0] + len(good), totals[1] + len(bad), totals[2] + duplicates]
    assert all(totals), f"loaded, quarantined, duplicates: {totals}"


def test_the_whitespace_the_fast_checks_trim_is_what_str_strip_strips() -> None:
    from lifecycle.batch_check import _WHITESPACE

    assert set(_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
