"""Staging against the generator's ground truth: every planted email and phone variant
standardizes to the person's one value; timestamps land in UTC; amounts convert."""

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from lifecycle.config import load_sources
from lifecycle.dbt_runner import run_dbt
from lifecycle.extract import extract_source
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
END = date(2026, 6, 30)
AS_OF = date(2026, 6, 25)  # the raw zone holds deliveries up to END
MODELS = {
    "contacts": ("stg_crm__contacts", "contact_id"),
    "orders": ("stg_orders__orders", "order_id"),
    "tickets": ("stg_support__tickets", "ticket_id"),
    "events": ("stg_app__events", "event_id"),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, duckdb.DuckDBPyConnection]:
    from lifecycle.demo import generate

    home = Home(tmp_path_factory.mktemp("staging"))
    generate(home.sources, customers=800, days=60, seed=3, end_date=END)
    cfg = load_sources()
    for source in cfg.sources:
        extract_source(source.name, END, "test", home, cfg)
    outcome = run_dbt(["build", "--select", "+path:models/staging"], AS_OF, home)
    assert outcome.success, outcome.failures
    con = duckdb.connect(str(home.warehouse), read_only=True)
    con.execute(
        "create temp table truth as select * from read_csv("
        f"'{home.sources / '_truth' / 'records.csv'}', all_varchar = true)"
    )
    return home, con


def _expected(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict[str, set[str]]]:
    """Per record id, every expected value over its versions (a contact may change phone)."""
    expected: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"email": set(), "phone": set()})
    rows = con.execute(
        'select record_id, expected_email, expected_phone from truth where "table" = ?', [table]
    ).fetchall()
    for record_id, email, phone in rows:
        expected[record_id]["email"].add(email or "")
        expected[record_id]["phone"].add(phone or "")
    return expected


@pytest.mark.parametrize("table", sorted(MODELS))
def test_staging_standardizes_every_planted_variant(
    warehouse: tuple[Home, duckdb.DuckDBPyConnection], table: str
) -> None:
    _, con = warehouse
    model, key = MODELS[table]
    expected = _expected(con, table)
    got = con.execute(f"select {key}, email, phone from staging.{model}").fetchall()
    checked, wrong = 0, []
    for record_id, email, phone in got:
        if record_id not in expected:
            continue  # events without identity (logins, sessions)
        checked += 1
        want = expected[record_id]
        if (email or "") not in want["email"] or (phone or "") not in want["phone"]:
            wrong.append((record_id, email, phone, want))
    assert checked > 50, f"{table}: only {checked} staged records have ground truth"
    assert wrong == [], f"{table}: {len(wrong)} records standardized wrongly, e.g. {wrong[:3]}"


def test_staging_variants_of_one_person_collapse_to_one_email(
    warehouse: tuple[Home, duckdb.DuckDBPyConnection],
) -> None:
    _, con = warehouse
    variants = con.execute(
        """
        select truth.person_id, count(distinct truth.raw_email), count(distinct s.email)
        from truth
        inner join staging.stg_orders__orders as s on s.order_id = truth.record_id
        where truth."table" = 'orders' and truth.expected_email <> ''
        group by truth.person_id
        having count(distinct truth.raw_email) > 1
        """
    ).fetchall()
    assert variants, "the generator planted no email variants"
    assert all(distinct_clean == 1 for _, _, distinct_clean in variants)


def test_staging_converts_local_times_to_utc(
    warehouse: tuple[Home, duckdb.DuckDBPyConnection],
) -> None:
    home, con = warehouse
    raw = home.raw / "orders" / "orders"
    order_id, placed = con.execute(
        f"select order_id, placed_at from read_parquet('{raw}/*/data.parquet',"
        " hive_partitioning = false) where placed_at like '%+09:00' limit 1"
    ).fetchall()[0]
    local = datetime.fromisoformat(placed)
    staged = con.execute(
        "select placed_at from staging.stg_orders__orders where order_id = ?", [order_id]
    ).fetchall()[0][0]
    assert staged == (local.replace(tzinfo=None) - local.utcoffset())  # type: ignore[operator]


def test_staging_converts_amounts_with_the_month_rate(
    warehouse: tuple[Home, duckdb.DuckDBPyConnection],
) -> None:
    _, con = warehouse
    rows: list[Any] = con.execute(
        """
        select o.total_amount, o.total_amount_reporting, r.usd_per_unit
        from staging.stg_orders__orders as o
        inner join reference.currency_rates as r
            on r.currency = o.currency
            and r.rate_month = cast(date_trunc('month', o.placed_at) as date)
        where o.currency = 'EUR'
        limit 50
        """
    ).fetchall()
    assert rows
    for amount, reporting, rate in rows:
        assert abs(float(reporting) - float(amount) * float(rate)) <= 0.01


def test_staging_reads_no_delivery_after_the_as_of_date(
    warehouse: tuple[Home, duckdb.DuckDBPyConnection],
) -> None:
    home, con = warehouse
    assert (home.raw / "app" / "events" / f"delivery_date={END}").is_dir()
    latest = con.execute("select max(delivery_date) from staging.stg_app__events").fetchall()[0][0]
    assert latest == AS_OF
