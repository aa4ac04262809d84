"""The demo's order database loader, without a database: it covers every exported field, in
the exports config/sources.yml names, and skips exactly the lines a typed database cannot
hold. Loading into a real server: tests/integration/test_sql_source.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from lifecycle.config import load_sources
from lifecycle.demo.defects import BAD_NUMBER, BAD_TIMESTAMP
from lifecycle.demo.orders_db import COLUMNS, EXPORTS, _row
from lifecycle.paths import REPO_ROOT

ORDER: dict[str, Any] = {
    "order_id": "SO-1",
    "customer": {"customer_id": "SHOP-1", "email": " A@x.com ", "phone": None},
    "status": "paid",
    "currency": "JPY",
    "total_amount": 10200,
    "shipping_address": {"country": "JP", "city": "Tokyo"},
    "placed_at": "2026-06-25T10:42:29+09:00",
    "updated_at": "2026-06-25T10:42:29+09:00",
}


def test_the_loader_reads_every_exported_field_from_the_configured_exports() -> None:
    files = load_sources(REPO_ROOT / "config" / "sources.yml").source("orders")
    for table in files.tables:
        assert EXPORTS[table.name] == (table.path, table.cursor)
        fields = [field for field, _ in COLUMNS[table.name].values()]
        assert fields == [c.source_field for c in table.columns]


def test_an_export_line_becomes_a_typed_row() -> None:
    row = _row(json.dumps(ORDER), COLUMNS["orders"])
    assert row is not None
    assert row["customer_email"] == " A@x.com "  # as delivered: the extract trims
    assert row["customer_phone"] is None and row["channel"] is None
    assert row["total_amount"] == Decimal(10200)
    assert row["updated_at"] == datetime(2026, 6, 25, 1, 42, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        json.dumps(ORDER)[:60],  # truncated JSON
        json.dumps(ORDER) + "}",
        json.dumps(ORDER | {"placed_at": BAD_TIMESTAMP}),
        json.dumps(ORDER | {"total_amount": BAD_NUMBER}),
        json.dumps(ORDER | {"updated_at": "2026-06-25T10:42:29"}),  # no offset: no instant
        json.dumps(ORDER | {"total_amount": 1.005}),  # more cents than numeric(12, 2) holds
        json.dumps(ORDER | {"status": None}),  # not null
    ],
    ids=["truncated", "garbage", "bad-timestamp", "bad-number", "no-offset", "cents", "null"],
)
def test_a_line_the_database_cannot_hold_is_skipped(line: str) -> None:
    assert _row(line, COLUMNS["orders"]) is None


def test_an_impossible_but_typed_value_is_kept_for_the_extract_to_quarantine() -> None:
    row = _row(json.dumps(ORDER | {"total_amount": -12.5, "placed_at": "1970-06-25T10:42:29Z"}),
               COLUMNS["orders"])  # fmt: skip
    assert row is not None and row["total_amount"] == Decimal("-12.5")
