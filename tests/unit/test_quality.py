"""The gate's GX suites, proven both ways: good data passes, each kind of bad data fails."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lifecycle.config import load_lifecycle
from lifecycle.quality import CheckResult, GateReport, load_suite_modules, validate_frame

CFG = load_lifecycle().quality


def _module(name: str) -> Any:
    return next(m for m in load_suite_modules() if m.build_suite(CFG).name == name)


def _suite(name: str) -> Any:
    return _module(name).build_suite(CFG)


def _validate(name: str, frame: pd.DataFrame) -> list[CheckResult]:
    """Validate as the gate does: with the suite's own default severity."""
    module = _module(name)
    return validate_frame(module.build_suite(CFG), frame, module.SEVERITY)


def _deliveries(**columns: list[Any]) -> pd.DataFrame:
    """The deliveries frame's judged columns; clean unless a column is given."""
    rows = len(next(iter(columns.values())))
    base: dict[str, list[Any]] = {
        "table_key": ["orders.orders", "app.events", "crm.contacts"][:rows],
        "quarantined": [0] * rows, "quarantine_limit": [5] * rows,
        "undeclared_columns": [None] * rows, "repeat_of": [None] * rows,
    }  # fmt: skip
    return pd.DataFrame(base | columns)


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
    assert _failed(_validate("raw__orders", _orders())) == []


def test_raw_orders_suite_fails_unknown_currency() -> None:
    results = _validate("raw__orders", _orders(currency="XXX"))
    assert _failed(results) == ["expect_column_values_to_be_in_set(currency)"]


def test_raw_orders_suite_fails_missing_key() -> None:
    results = _validate("raw__orders", _orders(order_id=None))
    assert _failed(results) == ["expect_column_values_to_not_be_null(order_id)"]


def test_raw_orders_suite_fails_changed_column_set() -> None:
    frame = _orders().rename(columns={"total_amount": "amount"})
    assert _failed(_validate("raw__orders", frame)) == ["expect_table_columns_to_match_set"]


def test_deliveries_suite_fails_a_delivery_over_its_quarantine_limit() -> None:
    frame = _deliveries(quarantined=[3, 61], quarantine_limit=[50, 60])
    results = _validate("raw__deliveries", frame)
    assert [(r.check, r.severity) for r in results if not r.passed] == [
        ("expect_column_pair_values_a_to_be_greater_than_b(quarantine_limit,quarantined)",
         "error")
    ]  # fmt: skip


def test_deliveries_suite_passes_deliveries_within_their_limit() -> None:
    frame = _deliveries(quarantined=[5, 0], quarantine_limit=[5, 5])
    assert _failed(_validate("raw__deliveries", frame)) == []


def test_deliveries_suite_warns_of_undeclared_columns_and_a_repeated_file() -> None:
    results = _validate(
        "raw__deliveries",
        _deliveries(undeclared_columns=[None, "coupon_code"], repeat_of=["2026-06-29", None]),
    )
    failed = [(r.check, r.severity) for r in results if not r.passed]
    assert failed == [
        ("expect_column_values_to_be_null(undeclared_columns)", "warn"),
        ("expect_column_values_to_be_null(repeat_of)", "warn"),
    ]
    assert GateReport(tuple(results)).passed  # warnings publish


def test_freshness_suite_flags_a_table_whose_newest_record_is_too_old() -> None:
    frame = pd.DataFrame(
        {"table_key": ["orders.orders", "app.events", "crm.owners"],
         "latest_delivery": ["2026-06-30"] * 3,
         "content_age_days": [0.4, 5.5, 200.0], "max_age_days": [2, 2, None]}
    )  # fmt: skip
    results = _validate("raw__freshness", frame)
    assert [(r.check, r.severity) for r in results if not r.passed] == [
        ("expect_column_pair_values_a_to_be_greater_than_b(max_age_days,content_age_days)",
         "warn")
    ]  # fmt: skip
    assert "1 unexpected" in next(r.observed for r in results if not r.passed)


def test_freshness_suite_passes_fresh_tables_and_flags_one_never_delivered() -> None:
    fresh = pd.DataFrame(
        {"table_key": ["orders.orders", "crm.owners"], "latest_delivery": ["2026-06-30"] * 2,
         "content_age_days": [1.9, 90.0], "max_age_days": [2, None]}
    )  # fmt: skip
    assert _failed(_validate("raw__freshness", fresh)) == []
    never = fresh.assign(latest_delivery=["2026-06-30", None], content_age_days=[1.0, None])
    assert _failed(_validate("raw__freshness", never)) == [
        "expect_column_values_to_not_be_null(latest_delivery)"
    ]


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
            CheckResult("raw__orders", "in_set(currency)", "error", "3 unexpected", False),
            CheckResult("dbt", "not_null_x", "warn", "2 failing rows", False),
            CheckResult("dbt", "unique_y", "error", "pass", True),
        )
    )
    assert not report.passed
    assert report.summary() == (
        "gate FAILED: 3 checks, 1 failed, 1 warnings: raw__orders in_set(currency)"
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
    results = _validate("raw__volume", frame)
    assert [(r.check, r.severity, r.passed) for r in results] == [
        ("expect_column_values_to_be_between(volume_ratio)", "warn", False)
    ]
    assert "2" in results[0].observed  # two deliveries out of the band


def test_volume_suite_passes_usual_days_and_tables_without_history() -> None:
    frame = pd.DataFrame(
        {"table_key": ["orders.orders", "app.events"], "volume_ratio": [0.4, None]}
    )
    assert _failed(_validate("raw__volume", frame)) == []


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


def test_configured_severity_overrides_a_suite_and_one_check() -> None:
    from lifecycle.quality import apply_severity

    checks = [
        CheckResult("raw__volume", "between(volume_ratio)", "warn", "2 unexpected", False),
        CheckResult("raw__orders", "in_set(currency)", "error", "1 unexpected", False),
        CheckResult("raw__orders", "not_null(order_id)", "error", "0 unexpected", True),
    ]
    judged = apply_severity(
        checks, {"raw__volume": "error", "raw__orders.in_set(currency)": "warn"}
    )
    assert [c.severity for c in judged] == ["error", "warn", "error"]
    assert (
        GateReport(tuple(judged))
        .summary()
        .startswith(
            "gate FAILED: 3 checks, 1 failed, 1 warnings: raw__volume between(volume_ratio)"
        )
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"raw__volum": "error"}, r"quality\.severity\.raw__volum: no suite 'raw__volum'"),
        ({"raw__volume": "fatal"}, r"quality\.severity\.raw__volume: 'fatal' is not one of"),
    ],
)
def test_a_severity_override_must_name_a_suite_and_a_severity(
    overrides: dict[str, str], message: str
) -> None:
    from lifecycle.config import ConfigError
    from lifecycle.quality import check_overrides

    suites = [m.build_suite(CFG).name for m in load_suite_modules()]
    check_overrides({"dbt.unique_x": "warn", "raw__volume": "error"}, suites)
    with pytest.raises(ConfigError, match=message):
        check_overrides(overrides, suites)


def test_data_docs_keep_every_run_and_render_an_index(tmp_path: Path) -> None:
    from lifecycle.paths import Home
    from lifecycle.quality import DataDocs

    home = Home(tmp_path)
    good = _deliveries(quarantined=[0, 1])
    bad = _deliveries(quarantined=[0, 9])
    for run, frame in (("2026-06-29 run1", good), ("2026-06-30 run2", bad)):
        docs = DataDocs(home)
        checks = docs.validate(_suite("raw__deliveries"), frame, "error", run)
        if run.endswith("run1"):
            assert not docs.index.exists()  # rendered once, after the run's suites
        assert docs.render() == docs.index
    assert [c.passed for c in checks] == [False, True, True, True]
    assert docs.index.is_file()
    stored = sorted((home.quality / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(stored) == 2
    verdicts = {json.loads(p.read_text())["meta"]["run_id"]["run_name"]:
                json.loads(p.read_text())["success"] for p in stored}  # fmt: skip
    assert verdicts == {"2026-06-29 run1": True, "2026-06-30 run2": False}
    pages = list((docs.index.parent / "validations").rglob("*.html"))
    assert len(pages) == 2
    assert "raw__deliveries" in docs.index.read_text()


def test_a_gate_whose_suite_raises_still_renders_the_suites_validated_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifecycle import quality
    from lifecycle.dbt_runner import DbtOutcome
    from lifecycle.paths import Home

    home = Home(tmp_path)
    read: list[str] = []

    def frame(target: str, *_: Any) -> pd.DataFrame:
        read.append(target)
        if len(read) > 1:
            raise OSError("the second suite's frame cannot be read")
        return _deliveries(quarantined=[0, 1])

    suites = [_module("raw__deliveries"), _module("raw__volume")]
    monkeypatch.setattr(quality, "load_suite_modules", lambda: suites)
    monkeypatch.setattr(quality, "frame_for", frame)
    monkeypatch.setattr(quality, "check_overrides", lambda *_: None)  # overrides name all suites
    monkeypatch.setattr("lifecycle.dbt_runner.run_dbt", lambda *_, **__: DbtOutcome(True))
    monkeypatch.setattr("lifecycle.incremental.built_vars", lambda *_: {})
    with pytest.raises(OSError, match="second suite"):
        quality.run_gate(home, date(2026, 6, 30), "run1", None, CFG)  # type: ignore[arg-type]
    site = home.quality / "gx" / "uncommitted" / "data_docs" / "local_site"
    pages = list((site / "validations" / "raw__deliveries").rglob("*.html"))
    assert (site / "index.html").is_file()
    assert len(pages) == 1


def test_the_gate_reads_the_warehouse_first_then_validates_while_dbt_tests_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt opens a DuckDB warehouse to write even to test, which locks other processes out,
    so the suites' warehouse frames are read before it starts; the suites then validate
    while it runs (a gate that ran them one after the other would make the fake dbt below
    wait in vain). The verdict holds both, dbt's checks first."""
    import threading
    from types import SimpleNamespace

    from lifecycle import quality
    from lifecycle.dbt_runner import DbtOutcome
    from lifecycle.paths import Home

    reads: list[str] = []
    dbt_started, suite_read_during_dbt = threading.Event(), threading.Event()

    def frame(target: str, *_: Any) -> pd.DataFrame:
        if not target.startswith("warehouse:"):
            dbt_started.wait(timeout=20)  # the worker thread may be slow to start
        when = "during" if dbt_started.is_set() else "before"
        reads.append(f"{target} {when} dbt")
        if when == "during":
            suite_read_during_dbt.set()
        return _deliveries(quarantined=[0, 1])

    def run_dbt(*_: Any, **__: Any) -> DbtOutcome:
        dbt_started.set()
        overlapped = suite_read_during_dbt.wait(timeout=20)
        status = "pass" if overlapped else "fail"
        node = {"unique_id": "test.x", "name": "suites_ran_meanwhile", "status": status,
                "message": None, "failures": 0}  # fmt: skip
        return DbtOutcome(True, results=[node])

    deliveries = _module("raw__deliveries")
    from_warehouse = SimpleNamespace(
        TARGET="warehouse:marts.t", SEVERITY="error", build_suite=deliveries.build_suite
    )
    suites = [from_warehouse, _module("raw__volume")]
    monkeypatch.setattr(quality, "load_suite_modules", lambda: suites)
    monkeypatch.setattr(quality, "frame_for", frame)
    monkeypatch.setattr(quality, "check_overrides", lambda *_: None)
    monkeypatch.setattr(quality, "store_results", lambda *_: tmp_path / "results.json")
    monkeypatch.setattr("lifecycle.dbt_runner.run_dbt", run_dbt)
    monkeypatch.setattr("lifecycle.incremental.built_vars", lambda *_: {})
    report = quality.run_gate(Home(tmp_path), date(2026, 6, 30), "run1", None, CFG)  # type: ignore[arg-type]
    assert reads == ["warehouse:marts.t before dbt", "deliveries during dbt"]
    assert report.checks[0].suite == "dbt"
    assert report.checks[0].passed, "the suites did not validate while dbt's tests ran"
    assert {c.suite for c in report.checks[1:]} == {"raw__deliveries", "raw__volume"}
