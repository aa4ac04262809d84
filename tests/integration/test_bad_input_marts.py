"""Bad input the platform keeps but must not count: an app event delivered 20 days after it
happened, an order naming a CRM contact no one has, and a refund and a line item for an order
no one has, written into the generated demo files of the as-of day before extracting. The data
team's tables count exactly these; revenue and customers move only by the real order, against
a build of the same sources without them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.build import build_warehouse
from lifecycle.config import load_lifecycle
from lifecycle.dbt_runner import DbtOutcome
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
LATE_EVENT_DAY = AS_OF - timedelta(days=20)
LATE_EVENT = "planted-late-login-1"
ORDER = "SO-PLANTED-1"
SHOP_CUSTOMER = "SHOP-PLANTED-1"
UNKNOWN_CONTACT = "003PLANTED0000001"
ORDER_AMOUNT = Decimal("123.45")
NO_SUCH_ORDER = "SO-NO-SUCH-ORDER"
ORPHAN_REFUND = "RF-PLANTED-1"
ORPHAN_LINE = "LI-PLANTED-1"
DEMO = {"customers": 300, "days": 60, "seed": 5, "end": AS_OF}


def _append(path: Path, row: dict[str, Any]) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + json.dumps(row) + "\n", encoding="utf-8")


def _plant(sources: Path) -> None:
    """Extra lines in the as-of day's files: one late login of an existing app user, one
    order naming an unknown CRM contact, a refund and a line item of an unknown order."""
    events = sources / "app" / "events" / f"events_{AS_OF}.jsonl"
    login = next(
        row
        for row in map(json.loads, events.read_text(encoding="utf-8").splitlines())
        if row["event"] == "login"
    )
    late = dict(login, message_id=LATE_EVENT, timestamp=f"{LATE_EVENT_DAY}T12:00:00Z")
    _append(events, late | {"received_at": f"{AS_OF}T01:00:00Z"})
    _append(
        sources / "orders" / "orders" / f"orders_{AS_OF}.jsonl",
        {
            "order_id": ORDER,
            "customer": {
                "customer_id": SHOP_CUSTOMER,
                "email": "planted.buyer@example.org",
                "phone": None,
                "crm_contact_id": UNKNOWN_CONTACT,
                "app_user_id": None,
            },
            "status": "paid",
            "channel": "sales",
            "currency": "USD",
            "total_amount": float(ORDER_AMOUNT),
            "shipping_address": {"country": "US", "city": "Boston"},
            "placed_at": f"{AS_OF}T10:00:00Z",
            "updated_at": f"{AS_OF}T10:00:00Z",
        },
    )
    _append(
        sources / "orders" / "refunds" / f"refunds_{AS_OF}.jsonl",
        {
            "refund_id": ORPHAN_REFUND,
            "order_id": NO_SUCH_ORDER,
            "amount": 500.0,
            "currency": "USD",
            "reason": "damaged",
            "refunded_at": f"{AS_OF}T11:00:00Z",
        },
    )
    _append(
        sources / "orders" / "line_items" / f"line_items_{AS_OF}.jsonl",
        {
            "line_item_id": ORPHAN_LINE,
            "order_id": NO_SUCH_ORDER,
            "sku": "SKU-10027",
            "product_name": "Wool Coat",
            "category": "Apparel",
            "quantity": 3,
            "unit_price": 228.99,
            "currency": "USD",
            "updated_at": f"{AS_OF}T11:00:00Z",
        },
    )


@dataclass(frozen=True)
class Built:
    outcome: DbtOutcome
    # The planted warehouse, with the unplanted one attached as `baseline`.
    con: duckdb.DuckDBPyConnection
    planted: str  # the planted warehouse's catalog name


@pytest.fixture(scope="module")
def built(load_home: Callable[..., tuple[Home, Any]]) -> Iterator[Built]:
    planted, _ = load_home("bad_input", plant=_plant, **DEMO)
    baseline, _ = load_home("bad_input_baseline", **DEMO)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(planted.root))
        outcome = build_warehouse(planted, AS_OF, with_tests=True)
        mp.setenv("LIFECYCLE_HOME", str(baseline.root))
        assert build_warehouse(baseline, AS_OF).success
    con = duckdb.connect(str(planted.warehouse), read_only=True)
    con.execute(f"attach '{baseline.warehouse}' as baseline (read_only)")
    yield Built(outcome, con, _one(con, "select current_database()")[0])
    con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()


def test_build_passes_and_only_warns_about_the_orphan_rows(built: Built) -> None:
    statuses = {r["name"]: r["status"] for r in built.outcome.results}
    warned = sorted(name for name, status in statuses.items() if status == "warn")

    assert built.outcome.success, "\n".join(built.outcome.failures)
    assert warned == [
        "relationships_stg_orders__line_items_order_id__order_id__ref_stg_orders__orders_",
        "relationships_stg_orders__refunds_order_id__order_id__ref_stg_orders__orders_",
    ]


def test_late_event_is_counted_for_its_delivery_day_and_not_applied(built: Built) -> None:
    lookback = load_lifecycle().rules.late_data_lookback_days
    base_delivered, base_applied = _one(
        built.con,
        "select events_delivered, events_applied from baseline.marts.fct_late_app_events"
        f" where delivery_date = '{AS_OF}'",
    )

    late_days = built.con.execute(
        "select * from publish_data_team.rpt_data_team__late_app_events where events_too_late > 0"
    ).fetchall()
    mart_days = built.con.execute(
        "select * from marts.fct_late_app_events where events_too_late > 0"
    ).fetchall()

    assert lookback < 20
    assert late_days == [
        (AS_OF, base_delivered + 1, base_applied, 1, 0, LATE_EVENT_DAY, lookback, AS_OF)
    ]
    assert mart_days == late_days
    assert _one(
        built.con,
        "select event_date, delivery_date from staging.stg_app__events"
        f" where event_id = '{LATE_EVENT}'",
    ) == (LATE_EVENT_DAY, AS_OF)


def _activity_of_app_user(built: Built, db: str, user: str) -> list[Any]:
    return built.con.execute(
        f"""
        select activity.activity_date, activity.app_events
        from {db}.intermediate.int_customer_activity_days as activity
        inner join {db}.intermediate.int_customers_matched as matched
            on activity.customer_id = matched.customer_id
        where matched.source_system = 'app' and matched.record_id = ?
        order by activity.activity_date
        """,
        [user],
    ).fetchall()


def test_late_event_leaves_its_users_activity_as_without_it(built: Built) -> None:
    user = _one(
        built.con,
        f"select app_user_id from staging.stg_app__events where event_id = '{LATE_EVENT}'",
    )[0]

    planted = _activity_of_app_user(built, built.planted, user)
    baseline = _activity_of_app_user(built, "baseline", user)

    assert planted
    assert planted == baseline


def test_unresolved_references_are_exactly_the_planted_ones(built: Built) -> None:
    columns = (
        "source_table, reference_column, delivery_date, unresolved_rows,"
        " example_record_id, example_reference_id"
    )

    published = built.con.execute(
        f"select {columns} from publish_data_team.rpt_data_team__unresolved_references"
        " where unresolved_rows > 0 order by 1, 2"
    ).fetchall()
    mart = built.con.execute(
        f"select {columns} from marts.fct_unresolved_references"
        " where unresolved_rows > 0 order by 1, 2"
    ).fetchall()
    baseline = _one(
        built.con, "select sum(unresolved_rows) from baseline.marts.fct_unresolved_references"
    )[0]

    assert published == [
        ("line_items", "order_id", AS_OF, 1, ORPHAN_LINE, NO_SUCH_ORDER),
        ("orders", "customer.crm_contact_id", AS_OF, 1, ORDER, UNKNOWN_CONTACT),
        ("refunds", "order_id", AS_OF, 1, ORPHAN_REFUND, NO_SUCH_ORDER),
    ]
    assert mart == published
    assert baseline == 0


def _totals(built: Built, db: str) -> tuple[Any, ...]:
    return _one(
        built.con,
        f"""
        select
            (select count(*) from {db}.marts.dim_customers),
            (select count(*) from {db}.marts.fct_orders),
            (select sum(net_usd) from {db}.marts.fct_orders),
            (select sum(refunded_usd) from {db}.marts.fct_orders),
            (select sum(line_count) from {db}.marts.fct_orders),
            (select sum(item_count) from {db}.marts.fct_orders),
            (select sum(net_revenue_usd)
                from {db}.publish_operations.rpt_operations__daily_kpis),
            (select net_revenue_to_date_usd
                from {db}.publish_executive.rpt_executive__customer_health)
        """,
    )


def test_orphan_rows_add_no_revenue_and_no_customer_the_order_adds_its_own(
    built: Built,
) -> None:
    customers, orders, net, refunded, lines, items, daily, to_date = _totals(built, built.planted)
    b_customers, b_orders, b_net, b_refunded, b_lines, b_items, b_daily, b_to_date = _totals(
        built, "baseline"
    )
    records = built.con.execute(
        """
        select matched.source_system, matched.record_id
        from marts.fct_orders as orders
        inner join intermediate.int_customers_matched as matched
            on orders.customer_id = matched.customer_id
        where orders.order_id = ?
        """,
        [ORDER],
    ).fetchall()

    assert (customers, orders) == (b_customers + 1, b_orders + 1)
    assert (net, daily, to_date) == (
        b_net + ORDER_AMOUNT,
        b_daily + ORDER_AMOUNT,
        b_to_date + ORDER_AMOUNT,
    )
    assert (refunded, lines, items) == (b_refunded, b_lines, b_items)
    assert records == [("orders", SHOP_CUSTOMER)]
