from lifecycle.config import ColumnSpec
from lifecycle.parsing import Rejection, check_value, flatten, validate_row

AMOUNT = ColumnSpec("total_amount", "decimal", required=True, min=0, max=1000)
PLACED = ColumnSpec("placed_at", "timestamp", required=True, min_year=2015)
STATUS = ColumnSpec("status", "string", values=("paid", "shipped"))


def test_check_value_keeps_decimal_text() -> None:
    assert check_value(AMOUNT, 12.5) == "12.5"


def test_validate_row_rejects_negative_amount_naming_column_and_rule() -> None:
    result = validate_row([AMOUNT], {"total_amount": -3})
    assert result == Rejection("total_amount", "-3 is below the minimum 0", "below_minimum")


def test_validate_row_rejects_unparseable_number() -> None:
    result = validate_row([AMOUNT], {"total_amount": "12.3.4"})
    assert isinstance(result, Rejection)
    assert result.reason == "'12.3.4' is not a number"


def test_validate_row_rejects_timestamp_without_offset() -> None:
    result = validate_row([PLACED], {"placed_at": "2026-03-04T10:22:00"})
    assert isinstance(result, Rejection) and "no UTC offset" in result.reason


def test_validate_row_rejects_timestamp_before_company_existed() -> None:
    result = validate_row([PLACED], {"placed_at": "1970-01-01T00:00:00Z"})
    assert isinstance(result, Rejection) and "before 2015" in result.reason


def test_validate_row_accepts_salesforce_offset_without_colon() -> None:
    assert validate_row([PLACED], {"placed_at": "2026-03-04T10:22:00.000+0000"}) == (
        "2026-03-04T10:22:00.000+0000",
    )


def test_validate_row_rejects_value_outside_allowed_set() -> None:
    result = validate_row([STATUS], {"status": "lost"})
    assert result == Rejection("status", "'lost' is not one of paid, shipped", "value_not_allowed")


def test_validate_row_rejects_missing_required_value() -> None:
    assert validate_row([AMOUNT], {"total_amount": "  "}) == Rejection(
        "total_amount", "required value is missing", "required_missing"
    )


def test_flatten_joins_nested_keys_with_dots() -> None:
    assert flatten({"a": 1, "customer": {"email": "x", "geo": {"cc": "DE"}}}) == {
        "a": 1,
        "customer.email": "x",
        "customer.geo.cc": "DE",
    }
