"""The gate's GX suites, proven both ways: good data passes, each kind of bad data fails."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from lifecycle.config import load_lifecycle
from lifecycle.quality import CheckResult, GateReport, load_suite_modules, validate_frame

CFG = load_lifecycle().quality


def _suite(name: str) -> Any:
    module = next(m for m in load_suite_modules() if m.build_suite(CFG).name.startswith(name))
    return module.build_suite(CFG)


def _orders(**overrides: Any) -> pd.DataFrame:
    row = {
        "order_id": "O1", "customer__customer_id": "S1", "customer__email": "a@x.com",
        "customer__phone": None, "customer__crm_contact_id": None, "customer__app_user_id": None,
        "status": "paid", "channel": "web", "currency": "EUR", "total_amount": "12.50",
        "shipping_address__country": "DE", "shipping_address__city": "Berlin",
        "placed_at": "2026-06-30T10:00:00+02:00", "updated_at": "2026-06-30T10:00:00+02:00",
        "_source": "orders", "_file": "f.jsonl", "_line": 1, "_delivery_date": "2026-06-30",
        "_run_id": "r", "_extracted_at": "2026-07-01T00:00:00+00:00",
    }  # fmt: skip
    row.update(overrides)
    return pd.DataFrame([row, {**row, "order_id": "O2"}])


def _failed(results: list[CheckResult]) -> list[str]:
    return [r.check for r in results if not r.passed]


def test_raw_orders_suite_passes_good_orders() -> None:
    assert _failed(validate_frame(_suite("raw__orders"), _orders())) == []


def test_raw_orders_suite_fails_unknown_currency() -> None:
    results = validate_frame(_suite("raw__orders"), _orders(currency="XXX"))
    assert _failed(results) == ["expect_column_values_to_be_in_set(currency)"]


def test_raw_orders_suite_fails_missing_key() -> None:
    results = validate_frame(_suite("raw__orders"), _orders(order_id=None))
    assert _failed(results) == ["expect_column_values_to_not_be_null(order_id)"]


def test_raw_orders_suite_fails_changed_column_set() -> None:
    frame = _orders().rename(columns={"total_amount": "amount"})
    assert _failed(validate_frame(_suite("raw__orders"), frame)) == [
        "expect_table_columns_to_match_set"
    ]


def test_deliveries_suite_fails_a_delivery_over_its_quarantine_limit() -> None:
    frame = pd.DataFrame(
        {"table_key": ["orders.orders", "app.events"], "quarantined": [3, 61],
         "quarantine_limit": [50, 60]}
    )  # fmt: skip
    results = validate_frame(_suite("raw__deliveries"), frame)
    assert _failed(results) == [
        "expect_column_pair_values_a_to_be_greater_than_b(quarantine_limit,quarantined)"
    ]


def test_deliveries_suite_passes_deliveries_within_their_limit() -> None:
    frame = pd.DataFrame(
        {"table_key": ["orders.orders", "app.events"], "quarantined": [5, 0],
         "quarantine_limit": [5, 5]}
    )  # fmt: skip
    assert _failed(validate_frame(_suite("raw__deliveries"), frame)) == []


def test_deliveries_frame_limit_is_share_of_rows_but_at_least_the_allowance(
    tmp_path: Path,
) -> None:
    from lifecycle.config import load_sources
    from lifecycle.extract import partition_dir
    from lifecycle.paths import Home
    from lifecycle.quality import deliveries_frame

    home, sources, day = Home(tmp_path), load_sources(), date(2026, 6, 30)
    for table, read, quarantined in ((sources.tables[0], 1000, 60), (sources.tables[1], 12, 2)):
        folder = partition_dir(home, table, day)
        folder.mkdir(parents=True)
        report = {"table": table.key, "delivery_date": "2026-06-30", "file": "f", "sha256": "x",
                  "read": read, "loaded": read - quarantined, "quarantined": quarantined,
                  "duplicates": 0}  # fmt: skip
        (folder / "_extract.json").write_text(json.dumps(report))

    frame = deliveries_frame(home, sources, day, CFG)

    assert frame[["table_key", "quarantined", "quarantine_limit"]].values.tolist() == [
        ["crm.contacts", 60, 50],
        ["crm.accounts", 2, 5],
    ]


def test_gate_report_summary_names_failed_error_checks_only() -> None:
    report = GateReport(
        (
            CheckResult(
                "raw__orders__critical", "in_set(currency)", "error", "3 unexpected", False
            ),
            CheckResult("dbt", "not_null_x", "warn", "2 failing rows", False),
            CheckResult("dbt", "unique_y", "error", "pass", True),
        )
    )
    assert not report.passed
    assert report.summary() == (
        "gate FAILED: 3 checks, 1 failed, 1 warnings: raw__orders__critical in_set(currency)"
        " (observed 3 unexpected)"
    )


def test_gate_report_passes_with_only_warnings() -> None:
    report = GateReport((CheckResult("s", "c", "warn", "x", False),))
    assert report.passed and len(report.warnings) == 1


def test_volume_suite_flags_a_day_far_outside_the_usual_band() -> None:
    frame = pd.DataFrame(
        {"table_key": ["orders.orders", "app.events", "crm.contacts", "support.tickets"],
         "volume_ratio": [1.3, 10.5, 0.05, None]}
    )  # fmt: skip
    suite = _suite("raw__volume")
    results = validate_frame(suite, frame)
    assert suite.name.endswith("__warning")
    assert [(r.check, r.severity, r.passed) for r in results] == [
        ("expect_column_values_to_be_between(volume_ratio)", "warn", False)
    ]
    assert "2" in results[0].observed  # two deliveries out of the band


def test_volume_suite_passes_usual_days_and_tables_without_history() -> None:
    frame = pd.DataFrame(
        {"table_key": ["orders.orders", "app.events"], "volume_ratio": [0.4, None]}
    )
    assert _failed(validate_frame(_suite("raw__volume"), frame)) == []


def test_deliveries_frame_compares_a_day_with_the_median_of_earlier_days(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from lifecycle.config import load_sources
    from lifecycle.extract import partition_dir
    from lifecycle.paths import Home
    from lifecycle.quality import deliveries_frame

    home, sources, day = Home(tmp_path), load_sources(), date(2026, 6, 30)
    orders, events = sources.tables[3], sources.tables[8]
    history = {orders: [100, 90, 110, 100, 95, 105], events: [50, 60]}  # events: too little
    today = {orders: 1200, events: 55}
    for table in (orders, events):
        for back, read in enumerate([today[table], *history[table]]):
            folder = partition_dir(home, table, day - timedelta(days=back))
            folder.mkdir(parents=True)
            report = {"table": table.key, "delivery_date": str(day - timedelta(days=back)),
                      "file": "f", "sha256": "x", "read": read, "loaded": read,
                      "quarantined": 0, "duplicates": 0}  # fmt: skip
            (folder / "_extract.json").write_text(json.dumps(report))

    frame = deliveries_frame(home, sources, day, CFG).set_index("table_key")

    assert frame.loc[orders.key, "usual_read"] == 100
    assert frame.loc[orders.key, "volume_ratio"] == 12.0
    assert pd.isna(frame.loc[events.key, "volume_ratio"])
