"""The bad-input catalogue (README, "When a source sends something wrong") at the extract:
each kind of bad delivery either stops its source with a message naming the table, file,
line and rule, or is quarantined row by row with the column and rule, and the counts add up
(read = loaded + quarantined + duplicates). The run-level consequences (the gate, what is
published) are in tests/integration/test_bad_input_runs.py."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.config import SourceConfig, SourcesConfig, TableConfig, load_sources
from lifecycle.extract import (
    PartitionReport,
    extract_delivery,
    extract_source,
    quarantine_dir,
)
from lifecycle.paths import Home
from lifecycle.readers import ExtractError, MissingDelivery


def _source_of(table: TableConfig) -> SourceConfig:
    return load_sources().source(table.source)


DAY = date(2026, 6, 30)
AT = datetime(2026, 7, 1, 1, tzinfo=UTC)
ORDER: dict[str, Any] = {
    "order_id": "O1",
    "customer": {"customer_id": "S1", "email": "a@x.com"},
    "status": "paid",
    "currency": "EUR",
    "total_amount": 12.5,
    "placed_at": "2026-06-30T10:00:00+02:00",
    "updated_at": "2026-06-30T10:00:00+02:00",
}
OWNERS_HEADER = "Id,Name,Email,Team,IsActive,LastModifiedDate"
OWNER = "OW-1,Ann,a@x.com,emea,true,2026-06-30T09:00:00Z"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("LIFECYCLE_SOURCES", raising=False)
    return Home(tmp_path)


@pytest.fixture(scope="module")
def cfg() -> SourcesConfig:
    return load_sources()


def _table(cfg: SourcesConfig, key: str) -> TableConfig:
    return next(t for t in cfg.tables if t.key == key)


def _deliver(home: Home, table: TableConfig, data: bytes | str, day: date = DAY) -> Path:
    path = table.file_for(home.sources, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _orders(*records: dict[str, Any] | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def _extract(home: Home, table: TableConfig, day: date = DAY) -> PartitionReport:
    report = extract_delivery(home, _source_of(table), table, day, "run1", AT)
    assert report.adds_up()
    return report


def _quarantined(home: Home, table: TableConfig) -> list[tuple[Any, ...]]:
    folder = quarantine_dir(home, table, DAY)
    return duckdb.sql(
        "select _file, _line, column_name, rule, reason"
        f" from '{folder}/data.parquet' order by _line"
    ).fetchall()


def _counts(report: PartitionReport) -> tuple[int, int, int, int]:
    return report.read, report.loaded, report.quarantined, report.duplicates


# --- the source stops: nothing from it can be trusted, only the source can fix it ---


def test_missing_file_names_table_day_and_path_and_is_retryable(
    home: Home, cfg: SourcesConfig
) -> None:
    with pytest.raises(MissingDelivery) as caught:
        _extract(home, _table(cfg, "orders.orders"))
    assert not isinstance(caught.value, ExtractError)  # a file may still be landing: retry
    assert str(caught.value) == (
        "orders.orders: source file missing for 2026-06-30:"
        f" {home.sources}/orders/orders/orders_2026-06-30.jsonl"
    )


def test_empty_csv_without_a_header_stops_the_source(home: Home, cfg: SourcesConfig) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, b"")
    with pytest.raises(ExtractError, match=r"^crm\.owners: crm/owners/owners_2026-06-30\.csv:"
                       r" empty file, expected a header row$"):  # fmt: skip
        _extract(home, owners)


@pytest.mark.parametrize(
    ("table_key", "content", "line"),
    [
        ("crm.owners", f"{OWNERS_HEADER}\n{OWNER}\nOW-2,Bob,b@x.c", 3),
        ("orders.orders", _orders(ORDER) + json.dumps(ORDER | {"order_id": "O2"})[:40], 2),
    ],
    ids=["csv", "jsonl"],
)
def test_file_cut_mid_row_stops_the_source(
    home: Home, cfg: SourcesConfig, table_key: str, content: str, line: int
) -> None:
    table = _table(cfg, table_key)
    _deliver(home, table, content)
    with pytest.raises(ExtractError) as caught:
        _extract(home, table)
    message = str(caught.value)
    assert message.startswith(f"{table_key}: {table.path.format(date=DAY)} line {line}:")
    assert "ends mid-row" in message and "truncated" in message


def test_last_line_without_a_line_end_is_not_truncation(home: Home, cfg: SourcesConfig) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, f"{OWNERS_HEADER}\n{OWNER}")
    assert _counts(_extract(home, owners)) == (1, 1, 0, 0)


def test_file_in_another_encoding_stops_the_source(home: Home, cfg: SourcesConfig) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, f"{OWNERS_HEADER}\n{OWNER}\nOW-2,Zoë,z@x.com,emea,true,"
             "2026-06-30T09:00:00Z\n".encode("latin-1"))  # fmt: skip
    with pytest.raises(ExtractError, match=r"^crm\.owners: crm/owners/owners_2026-06-30\.csv"
                       r" line 3: not valid UTF-8 \(byte \d+: invalid"):  # fmt: skip
        _extract(home, owners)


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Id,Name,EmailAddress,Team,IsActive,LastModifiedDate", "Email"),  # renamed
        ("Id,Name,Team,IsActive,LastModifiedDate", "Email"),  # dropped
    ],
    ids=["renamed", "missing"],
)
def test_header_without_a_declared_column_stops_the_source(
    home: Home, cfg: SourcesConfig, header: str, missing: str
) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, f"{header}\n")
    with pytest.raises(ExtractError) as caught:
        _extract(home, owners)
    assert str(caught.value) == (
        f"crm.owners: crm/owners/owners_2026-06-30.csv line 1: header lacks declared"
        f" column(s) {missing} (found: {header.replace(',', ', ')})"
    )


# --- the delivery loads; what is unusual is reported ---


def test_extra_column_loads_without_it_and_is_reported(home: Home, cfg: SourcesConfig) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, f"{OWNERS_HEADER},Region\n{OWNER},north\n")
    report = _extract(home, owners)
    assert _counts(report) == (1, 1, 0, 0)
    assert report.undeclared_columns == "Region"


def test_undeclared_json_field_is_reported(home: Home, cfg: SourcesConfig) -> None:
    orders = _table(cfg, "orders.orders")
    _deliver(home, orders, _orders(ORDER | {"coupon": {"code": "X"}}, ORDER | {"order_id": "O2"}))
    report = _extract(home, orders)
    assert (_counts(report), report.undeclared_columns) == ((2, 2, 0, 0), "coupon.code")


def test_header_only_file_is_a_day_with_zero_rows(home: Home, cfg: SourcesConfig) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, f"{OWNERS_HEADER}\n")
    assert _counts(_extract(home, owners)) == (0, 0, 0, 0)


def test_empty_json_lines_file_is_a_day_with_zero_rows(home: Home, cfg: SourcesConfig) -> None:
    orders = _table(cfg, "orders.orders")
    _deliver(home, orders, b"")
    assert _counts(_extract(home, orders)) == (0, 0, 0, 0)


# --- rows are quarantined with file, line, column and rule; the rest loads ---

BAD_ORDERS = [
    ("wrong type", {"total_amount": "12,50"}, "total_amount", "not_a_number",
     "'12,50' is not a number"),
    ("negative amount", {"total_amount": -3}, "total_amount", "below_minimum",
     "-3 is below the minimum 0"),
    ("absurd amount", {"total_amount": 2_500_000}, "total_amount", "above_maximum",
     "2500000 is above the maximum 1000000"),
    ("unknown currency", {"currency": "XBT"}, "currency", "unknown_currency",
     "'XBT' is not an accepted currency (config/lifecycle.yml quality.currencies:"
     " AUD, CAD, EUR, GBP, JPY, USD)"),
    ("before the company existed", {"placed_at": "2009-03-01T10:00:00+00:00"}, "placed_at",
     "before_company_founded",
     "2009-03-01T10:00:00+00:00 is before 2015, when the company was founded"),
    ("in the future", {"updated_at": "2026-07-01T00:10:00+00:00"}, "updated_at",
     "in_the_future",
     "2026-07-01T00:10:00+00:00 is in the future: after the delivery day 2026-06-30 ended"),
    ("in the future, as another offset", {"placed_at": "2026-07-01T03:00:00+02:00"},
     "placed_at", "in_the_future",
     "2026-07-01T03:00:00+02:00 is in the future: after the delivery day 2026-06-30 ended"),
    ("no offset", {"placed_at": "2026-06-30T10:00:00"}, "placed_at", "no_utc_offset",
     "'2026-06-30T10:00:00' has no UTC offset, so its instant is ambiguous"),
    ("missing key", {"order_id": None}, "order_id", "required_missing",
     "required value is missing"),
    ("value outside its set", {"status": "lost"}, "status", "value_not_allowed",
     "'lost' is not one of pending, paid, shipped, delivered, cancelled, refunded"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "column", "rule", "reason"),
    [c[1:] for c in BAD_ORDERS],
    ids=[c[0] for c in BAD_ORDERS],
)
def test_bad_value_is_quarantined_naming_file_line_column_and_rule(
    home: Home, cfg: SourcesConfig, change: dict[str, Any], column: str, rule: str, reason: str
) -> None:
    orders = _table(cfg, "orders.orders")
    good = [ORDER | {"order_id": f"G{i}"} for i in range(3)]
    _deliver(home, orders, _orders(good[0], ORDER | {"order_id": "B1"} | change, *good[1:]))
    assert _counts(_extract(home, orders)) == (4, 3, 1, 0)
    assert _quarantined(home, orders) == [
        ("orders/orders/orders_2026-06-30.jsonl", 2, column, rule, reason)
    ]


def test_timestamp_within_the_clock_skew_allowance_loads(home: Home, cfg: SourcesConfig) -> None:
    orders = _table(cfg, "orders.orders")
    assert cfg.max_clock_skew_minutes == 5
    _deliver(home, orders, _orders(ORDER | {"updated_at": "2026-07-01T00:04:59+00:00"}))
    assert _counts(_extract(home, orders)) == (1, 1, 0, 0)


def test_malformed_json_line_is_quarantined(home: Home, cfg: SourcesConfig) -> None:
    orders = _table(cfg, "orders.orders")
    _deliver(home, orders, _orders(ORDER, '{"order_id": "O2", "status": paid}', "[1, 2]"))
    assert _counts(_extract(home, orders)) == (3, 1, 2, 0)
    (file, line, column, rule, reason), second = _quarantined(home, orders)
    assert (file, line, column, rule) == (
        "orders/orders/orders_2026-06-30.jsonl",
        2,
        None,
        "malformed_json",
    )
    assert reason.startswith("malformed JSON: Expecting value at column")
    assert second[1:] == (3, None, "not_a_json_object", "a JSON line must be an object")


def test_csv_row_with_wrong_field_count_is_quarantined(home: Home, cfg: SourcesConfig) -> None:
    owners = _table(cfg, "crm.owners")
    _deliver(home, owners, f"{OWNERS_HEADER}\n{OWNER}\nOW-2,Bob,b@x.com,emea,true\n")
    assert _counts(_extract(home, owners)) == (2, 1, 1, 0)
    assert _quarantined(home, owners) == [
        (
            "crm/owners/owners_2026-06-30.csv",
            3,
            None,
            "wrong_field_count",
            "expected 6 fields, found 5",
        )  # fmt: skip
    ]


# --- duplicate keys ---


def test_identical_repeat_of_a_row_is_dropped_and_counted(home: Home, cfg: SourcesConfig) -> None:
    orders = _table(cfg, "orders.orders")
    _deliver(home, orders, _orders(ORDER, ORDER, ORDER | {"order_id": "O2"}))
    assert _counts(_extract(home, orders)) == (3, 2, 0, 1)


def test_versions_of_a_key_with_different_cursors_both_load(home: Home, cfg: SourcesConfig) -> None:
    """Staging keeps the latest version (highest cursor) of each key."""
    orders = _table(cfg, "orders.orders")
    later = ORDER | {"status": "shipped", "updated_at": "2026-06-30T18:00:00+02:00"}
    _deliver(home, orders, _orders(ORDER, later))
    assert _counts(_extract(home, orders)) == (2, 2, 0, 0)


def test_same_key_and_cursor_with_different_content_is_quarantined(
    home: Home, cfg: SourcesConfig
) -> None:
    """Two versions no rule can order: the first is kept, the conflicting one quarantined."""
    orders = _table(cfg, "orders.orders")
    _deliver(home, orders, _orders(ORDER, ORDER | {"total_amount": 99}, ORDER))
    assert _counts(_extract(home, orders)) == (3, 1, 1, 1)
    assert _quarantined(home, orders) == [
        ("orders/orders/orders_2026-06-30.jsonl", 2, "order_id", "conflicting_version",
         "conflicting version of order_id O1: same updated_at as line 1, different content")
    ]  # fmt: skip


# --- the same file twice ---


def test_a_file_delivered_again_on_a_later_day_is_reported_as_a_repeat(
    home: Home, cfg: SourcesConfig
) -> None:
    orders = _table(cfg, "orders.orders")
    earlier = date(2026, 6, 29)
    content = _orders(ORDER | {"placed_at": "2026-06-29T10:00:00+02:00",
                               "updated_at": "2026-06-29T10:00:00+02:00"})  # fmt: skip
    _deliver(home, orders, content, earlier)
    _deliver(home, orders, content)
    for name in ("line_items", "refunds"):
        for day in (earlier, DAY):
            _deliver(home, _table(cfg, f"orders.{name}"), b"", day)

    reports = {(r.table, r.delivery_date): r for r in extract_source("orders", DAY, "r", home, cfg)}

    assert reports["orders.orders", "2026-06-29"].repeat_of is None
    assert reports["orders.orders", "2026-06-30"].repeat_of == "2026-06-29"
    assert reports["orders.line_items", "2026-06-30"].repeat_of is None  # empty files differ not
    # Re-running the day: the earlier delivery is not extracted again, and still recognised.
    rerun = extract_source("orders", DAY, "r2", home, cfg)
    assert [(r.table, r.delivery_date, r.repeat_of) for r in rerun][0] == (
        "orders.orders",
        "2026-06-30",
        "2026-06-29",
    )


def test_a_killed_extraction_leaves_no_temp_file_and_no_sidecar_behind(
    home: Home, cfg: SourcesConfig
) -> None:
    """A partition without its sidecar is incomplete and is extracted again; temporary
    files a killed run left are removed, never read as data."""
    from lifecycle.extract import days_to_extract, partition_dir

    orders = _table(cfg, "orders.orders")
    earlier = date(2026, 6, 29)
    _deliver(home, orders, _orders(ORDER), earlier)
    _extract(home, orders, earlier)
    folder = partition_dir(home, orders, earlier)
    (folder / "_extract.json").unlink()  # killed before the sidecar was written
    (folder / ".data.parquet.run0.tmp").write_bytes(b"PAR1 half a file")
    _deliver(home, orders, _orders(ORDER))

    assert days_to_extract(home, _source_of(orders), orders, DAY) == [earlier, DAY]
    _extract(home, orders, earlier)
    assert sorted(p.name for p in folder.iterdir()) == ["_extract.json", "data.parquet"]
