"""The bad-input catalogue through whole nightly runs (real Airflow, dbt, GX, publish).

Night 1 is clean. Night 2's deliveries carry the bad inputs a run survives: rows to
quarantine (unknown currency, a timestamp from the future, a conflicting version of a key,
a wrong type, a malformed JSON line), a day with zero events, a ticket file delivered
again, a CRM file with an extra column. The run publishes, the data team's tables hold the
exact counts, and the warnings are in the stored gate results. Night 3's order file is cut
mid-row: the run stops before publishing and night 2's publication stays byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.config import SourceConfig, TableConfig, load_lifecycle, load_sources
from lifecycle.extract import extract_delivery
from lifecycle.orchestrate import run_day
from lifecycle.paths import Home


def _source_of(table: TableConfig) -> SourceConfig:
    return load_sources().source(table.source)


pytestmark = pytest.mark.slow
FIRST, SECOND, THIRD = date(2026, 6, 29), date(2026, 6, 30), date(2026, 7, 1)
SOURCES = load_sources()


def _table(key: str) -> Any:
    return next(t for t in SOURCES.tables if t.key == key)


def _file(home: Home, key: str, day: date) -> Path:
    return _table(key).file_for(home.sources, day)


def _digest(home: Home) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.serving.glob("*.duckdb"))
    }


def _rules(home: Home, key: str, day: date) -> Counter[tuple[str | None, str]]:
    """(column, rule) -> rows the extract quarantines from this delivery."""
    folder = home.quarantine / key.replace(".", "/") / f"delivery_date={day.isoformat()}"
    rows = duckdb.sql(f"select column_name, rule from '{folder}/data.parquet'").fetchall()
    return Counter((c, r) for c, r in rows)


def _baseline(home: Home, key: str, day: date, scratch: Path) -> Counter[tuple[str | None, str]]:
    """What the untouched delivery quarantines on its own (the demo plants defects too)."""
    other = Home(scratch)
    target = _table(key).file_for(other.sources, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_file(home, key, day), target)
    extract_delivery(
        other,
        _source_of(_table(key)),
        _table(key),
        day,
        "baseline",
        datetime(2026, 7, 1, tzinfo=UTC),
    )
    return _rules(other, key, day)


def _records(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _first_valid(lines: list[str]) -> dict[str, Any]:
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("currency") in ("USD", "EUR"):
            return record
    raise AssertionError("no valid record")


def _plant_second_night(home: Home, scratch: Path) -> dict[str, Counter[tuple[str | None, str]]]:
    """Write night 2's bad inputs; returns the quarantine expected per table."""
    expected = {
        key: _baseline(home, key, SECOND, scratch / key)
        for key in ("orders.orders", "orders.line_items")
    }

    orders = _file(home, "orders.orders", SECOND)
    lines = _records(orders)
    order = _first_valid(lines)
    lines += [
        json.dumps(order | {"order_id": "PLANT-CUR", "currency": "XBT"}),
        json.dumps(order | {"order_id": "PLANT-FUT", "updated_at": "2026-07-02T09:00:00+00:00"}),
        json.dumps(order | {"total_amount": round(float(order["total_amount"]) + 10, 2)}),
    ]
    orders.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    expected["orders.orders"] += Counter(
        {("currency", "unknown_currency"): 1, ("updated_at", "in_the_future"): 1,
         ("order_id", "conflicting_version"): 1}
    )  # fmt: skip

    items = _file(home, "orders.line_items", SECOND)
    lines = _records(items)
    item = json.loads(next(line for line in lines if '"quantity": 1' in line))
    lines += [json.dumps(item | {"line_item_id": "PLANT-QTY", "quantity": "two"}), '{"line_it']
    items.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    expected["orders.line_items"] += Counter(
        {("quantity", "not_an_integer"): 1, (None, "malformed_json"): 1}
    )

    _file(home, "app.events", SECOND).write_bytes(b"")  # a day with zero events
    shutil.copyfile(
        _file(home, "support.tickets", FIRST), _file(home, "support.tickets", SECOND)
    )  # yesterday's file again
    contacts = _file(home, "crm.contacts", SECOND)
    header, *rows = _records(contacts)
    contacts.write_text(
        "".join(line + "\n" for line in [header + ",Region", *(r + ",north" for r in rows)]),
        encoding="utf-8",
    )
    return expected


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from lifecycle.demo import generate

    home = Home(tmp_path_factory.mktemp("bad-inputs"))
    generate(home.sources, customers=300, days=45, seed=23, end_date=THIRD)
    mp = pytest.MonkeyPatch()
    mp.setenv("LIFECYCLE_HOME", str(home.root))
    try:
        ok1, log1 = run_day(FIRST, home)
        assert ok1, log1.read_text()[-3000:]
        assert len(_records(_file(home, "support.tickets", FIRST))) > 1
        expected = _plant_second_night(home, tmp_path_factory.mktemp("baseline"))
        ok2, log2 = run_day(SECOND, home)
        published = _digest(home)
        orders = _file(home, "orders.orders", THIRD)
        text = orders.read_text(encoding="utf-8")
        orders.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])
        ok3, log3 = run_day(THIRD, home)
    finally:
        mp.undo()
    return {"home": home, "expected": expected, "second": (ok2, log2),
            "published": published, "third": (ok3, log3)}  # fmt: skip


def _data_team(home: Home, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home.serving_file("data_team")), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_night_with_survivable_bad_inputs_publishes(nights: dict[str, Any]) -> None:
    ok, log = nights["second"]
    assert ok, log.read_text()[-4000:]
    assert (
        _data_team(nights["home"], "select max(as_of_date) from publish_log where is_current")[0][0]
        == SECOND
    )


@pytest.mark.parametrize("key", ["orders.orders", "orders.line_items"])
def test_quarantined_rows_are_counted_exactly_per_column_and_rule(
    nights: dict[str, Any], key: str
) -> None:
    home = nights["home"]
    source, table = key.split(".")
    published = _data_team(
        home,
        "select column_name, rule, quarantined_rows from rpt_data_team__quarantine_summary"
        f" where source_system = '{source}' and source_table = '{table}'"
        f" and delivery_date = '{SECOND}'",
    )
    expected = {(c or "(whole row)", r): n for (c, r), n in nights["expected"][key].items()}
    assert {(c, r): n for c, r, n in published} == expected


def test_counts_add_up_for_every_delivery_of_the_night(nights: dict[str, Any]) -> None:
    rows = _data_team(
        nights["home"],
        "select table_key, rows_read, rows_loaded, rows_quarantined, rows_duplicate,"
        f" undeclared_columns, repeat_of from raw_deliveries where delivery_date = '{SECOND}'",
    )
    by_table = {r[0]: r[1:] for r in rows}
    assert len(by_table) == len(SOURCES.tables)
    for key, (read, loaded, quarantined, dups, _, _) in by_table.items():
        assert read == loaded + quarantined + dups, key
    lines = len(_records(_file(nights["home"], "orders.orders", SECOND)))
    assert by_table["orders.orders"][0] == lines
    assert by_table["app.events"][:4] == (0, 0, 0, 0)
    assert by_table["crm.contacts"][4] == "Region"
    assert by_table["support.tickets"][5] == FIRST.isoformat()


def test_warnings_are_stored_and_the_gate_passed(nights: dict[str, Any]) -> None:
    rows = _data_team(
        nights["home"],
        "select suite, check_name, severity, observed from quality_results"
        f" where as_of_date = '{SECOND}' and not passed",
    )
    failed = {(suite, check, severity) for suite, check, severity, _ in rows}
    assert failed >= {
        ("raw__volume", "expect_column_values_to_be_between(volume_ratio)", "warn"),
        ("raw__deliveries", "expect_column_values_to_be_null(repeat_of)", "warn"),
        ("raw__deliveries", "expect_column_values_to_be_null(undeclared_columns)", "warn"),
    }
    assert all(severity == "warn" for _, _, severity in failed), rows
    docs = nights["home"].quality / "gx" / "uncommitted" / "data_docs" / "local_site"
    assert (docs / "index.html").is_file()
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("lifecycle")), "status"],
        env=os.environ | {"LIFECYCLE_HOME": str(nights["home"].root)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "gate warning: raw__deliveries expect_column_values_to_be_null(repeat_of)" in shown
    assert f"data docs: {docs / 'index.html'}" in shown


def test_a_repeated_file_counts_nothing_twice(nights: dict[str, Any]) -> None:
    home = nights["home"]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        staged = con.execute("select count(*) from staging.stg_support__tickets").fetchall()
        raw = con.execute(
            "select count(distinct id) from read_parquet("
            f"'{home.raw}/support/tickets/*/data.parquet', hive_partitioning = false)"
            f" where _delivery_date <= '{SECOND}'"
        ).fetchall()
    assert staged == raw


def test_the_accepted_currencies_gate_the_extract(nights: dict[str, Any]) -> None:
    """The quarantined order is the unknown currency's, and no staged order carries it."""
    home = nights["home"]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        currencies = {r[0] for r in con.execute(
            "select distinct currency from staging.stg_orders__orders").fetchall()}  # fmt: skip
    assert currencies <= set(load_lifecycle().quality.currencies)


def test_a_truncated_file_stops_the_run_before_publishing(nights: dict[str, Any]) -> None:
    ok, log = nights["third"]
    assert not ok
    text = log.read_text()
    assert "orders.orders: orders/orders/orders_2026-07-01.jsonl line" in text
    assert "the file ends mid-row" in text
    home = nights["home"]
    assert _digest(home) == nights["published"]
    assert (
        _data_team(home, "select max(as_of_date) from publish_log where is_current")[0][0] == SECOND
    )
