"""The sql reader's rules without a database: which database types fit a declared type, what
counts as drift, how values are written as text (the same text a file export parses to the
same value), and how a connection is named without its credentials. The reader against a
real PostgreSQL server: tests/integration/test_sql_source.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from lifecycle.config import ColumnSpec
from lifecycle.parsing import check_value
from lifecycle.readers.sql import database_name, engine_url
from lifecycle.readers.sql_schema import as_text, drift, fits, read_as_text

TZ = pg.TIMESTAMP(timezone=True)


@pytest.mark.parametrize(
    ("declared", "column_type", "expected"),
    [
        ("string", pg.TEXT(), True),
        ("string", pg.INTEGER(), True),
        ("string", pg.BYTEA(), False),
        ("currency", pg.CHAR(3), True),
        ("integer", pg.BIGINT(), True),
        ("integer", pg.NUMERIC(10, 0), True),
        ("integer", pg.NUMERIC(12, 2), False),
        ("integer", pg.TEXT(), False),
        ("decimal", pg.NUMERIC(12, 2), True),
        ("decimal", pg.NUMERIC(), True),
        ("decimal", pg.INTEGER(), True),
        ("decimal", pg.DOUBLE_PRECISION(), True),
        ("decimal", pg.VARCHAR(20), False),
        ("timestamp", TZ, True),
        ("timestamp", pg.TIMESTAMP(), False),
        ("timestamp", pg.DATE(), False),
        ("timestamp", pg.TEXT(), False),
        ("boolean", pg.BOOLEAN(), True),
        ("boolean", pg.INTEGER(), False),
        ("json", pg.JSONB(), True),
        ("json", pg.TEXT(), True),
        ("json", pg.INTEGER(), False),
    ],
)
def test_fits_accepts_only_database_types_of_the_declared_kind(
    declared: str, column_type: Any, expected: bool
) -> None:
    assert fits(declared, column_type) is expected


def test_read_as_text_for_unconstrained_numeric_and_json_only() -> None:
    assert read_as_text(pg.NUMERIC()) and read_as_text(pg.JSONB()) and read_as_text(pg.JSON())
    assert not read_as_text(pg.NUMERIC(12, 2)) and not read_as_text(pg.DOUBLE_PRECISION())
    assert not read_as_text(pg.TEXT())


def _spec(field: str, ctype: str, origin: str | None = None) -> ColumnSpec:
    return ColumnSpec(source_field=field, type=ctype, origin=origin)


DECLARED = (
    _spec("order_id", "string"),
    _spec("customer.email", "string", origin="customer_email"),
    _spec("total_amount", "decimal"),
    _spec("updated_at", "timestamp"),
)


def test_drift_reports_an_extra_column_as_undeclared_only() -> None:
    found = {"order_id": pg.TEXT(), "customer_email": pg.TEXT(), "total_amount": pg.NUMERIC(),
             "updated_at": TZ, "loyalty_tier": pg.TEXT()}  # fmt: skip
    assert drift("t", DECLARED, found, pg.dialect()) == ([], {"loyalty_tier"})


def test_drift_names_a_missing_column_its_field_and_the_columns_found() -> None:
    found = {"order_id": pg.TEXT(), "email": pg.TEXT(), "total_amount": pg.NUMERIC(),
             "updated_at": TZ}  # fmt: skip
    breaking, undeclared = drift("t", DECLARED, found, pg.dialect())
    assert breaking == [
        "t: declared column(s) not found (renamed or dropped in the source): customer_email"
        " (for customer.email); the table has: order_id, email, total_amount, updated_at"
    ]
    assert undeclared == {"email"}


def test_drift_names_a_type_change_with_the_database_spelling() -> None:
    found = {"order_id": pg.TEXT(), "customer_email": pg.TEXT(), "total_amount": pg.VARCHAR(20),
             "updated_at": pg.TIMESTAMP()}  # fmt: skip
    breaking, _ = drift("t", DECLARED, found, pg.dialect())
    assert breaking == [
        "t: column total_amount is varchar(20) in the database, which no longer fits its"
        " declared type decimal",
        "t: column updated_at is timestamp without time zone in the database, which no longer"
        " fits its declared type timestamp",
    ]


@pytest.mark.parametrize(
    ("value", "declared", "text"),
    [
        (None, "string", None),
        (True, "boolean", "true"),
        (False, "boolean", "false"),
        (42, "integer", "42"),
        (Decimal("10200.00"), "decimal", "10200"),
        (Decimal("89.90"), "decimal", "89.9"),
        (Decimal("-0.50"), "decimal", "-0.5"),
        (Decimal("0.000"), "decimal", "0"),
        (Decimal("1E+20"), "decimal", "100000000000000000000"),
        (1e-07, "decimal", "0.0000001"),
        ("12.3400", "decimal", "12.34"),  # an unconstrained numeric, read as text
        (
            datetime(2026, 6, 30, 10, 0, tzinfo=timezone(timedelta(hours=2))),
            "timestamp",
            "2026-06-30T08:00:00+00:00",
        ),  # fmt: skip
        (
            datetime(2026, 6, 30, 8, 0, 0, 123000, tzinfo=UTC),
            "timestamp",
            "2026-06-30T08:00:00.123000+00:00",
        ),  # fmt: skip
        (date(2026, 6, 30), "string", "2026-06-30"),
        ('{"b": 1, "a": [1, 2]}', "json", '{"a":[1,2],"b":1}'),
        ({"b": 1, "a": "x"}, "json", '{"a":"x","b":1}'),
        (" Ann@X.com ", "string", " Ann@X.com "),  # the extract's rules trim, as for files
    ],
)
def test_as_text_writes_what_a_file_export_would_carry(
    value: Any, declared: str, text: str | None
) -> None:
    assert as_text(value, declared) == text


@pytest.mark.parametrize(
    ("value", "file_text", "declared"),
    [
        (Decimal("89.90"), "89.9", "decimal"),
        (Decimal("10200.00"), "10200", "decimal"),
        (datetime(2026, 6, 30, 1, 9, 27, tzinfo=UTC), "2026-06-30T02:09:27+01:00", "timestamp"),
        (True, "true", "boolean"),
    ],
)
def test_as_text_passes_the_extract_rules_as_the_file_text_does(
    value: Any, file_text: str, declared: str
) -> None:
    spec = _spec("x", declared)
    from_db, from_file = check_value(spec, as_text(value, declared)), check_value(spec, file_text)
    assert from_db is not None and from_file is not None
    if declared == "timestamp":
        assert datetime.fromisoformat(from_db) == datetime.fromisoformat(from_file)
    else:
        assert from_db == from_file


def test_engine_url_reads_airflow_uris_with_the_pinned_driver() -> None:
    url = engine_url("postgres://reader:pw@db.example:5433/shop?__extra__=%7B%7D&sslmode=require")
    assert url.drivername == "postgresql+psycopg2"
    assert dict(url.query) == {"sslmode": "require"}
    assert engine_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"


def test_database_name_shows_no_credentials() -> None:
    url = sa.make_url("postgresql+psycopg2://reader:s3cret@db.example:5433/shop")
    assert database_name(url) == "postgresql://db.example:5433/shop"
