"""The dbt project on generated demo data: one `dbt build` (seeds, models, data and unit
tests), then its output checked against the generator's ground truth and the raw zone."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pytest

from lifecycle.build import build_warehouse
from lifecycle.dbt_runner import DBT_PROJECT, DbtOutcome
from lifecycle.paths import ROLES, Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
PERSONAL_ROLES = ("marketing", "sales", "customer_service")
# Of marketing, only the audience of customers who consented holds personal data.
MARKETING_PERSONAL_TABLE = "rpt_marketing__contactable_audience"
PERSONAL_COLUMNS = {"email", "phone", "first_name", "last_name", "requester_name"}
EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class Staged:
    """How one truth table maps to its staging model and its raw-zone table."""

    model: str
    key: str
    raw: str
    raw_key: str
    raw_email: str
    raw_phone: str
    # Order of versions, best first: staging keeps the first (same rule, written again here).
    version_order: str


STAGED: dict[str, Staged] = {
    "contacts": Staged(
        "stg_crm__contacts", "contact_id", "crm/contacts", "id", "email", "phone",
        "cast(last_modified_date as timestamptz) desc, _delivery_date desc, _line desc",
    ),
    "orders": Staged(
        "stg_orders__orders", "order_id", "orders/orders", "order_id",
        "customer__email", "customer__phone",
        "cast(updated_at as timestamptz) desc, _delivery_date desc, _line desc",
    ),
    "tickets": Staged(
        "stg_support__tickets", "ticket_id", "support/tickets", "id",
        "requester_email", "requester_phone",
        "cast(updated_at as timestamptz) desc, _delivery_date desc, _line desc",
    ),
    "events": Staged(
        "stg_app__events", "event_id", "app/events", "message_id",
        "traits__email", "traits__phone",
        "_delivery_date, _line",  # events never change: the first delivery is kept
    ),
}  # fmt: skip
STAGING_KEYS = {
    "stg_crm__contacts": "contact_id",
    "stg_crm__accounts": "account_id",
    "stg_crm__owners": "owner_id",
    "stg_orders__orders": "order_id",
    "stg_orders__line_items": "line_item_id",
    "stg_orders__refunds": "refund_id",
    "stg_support__tickets": "ticket_id",
    "stg_support__satisfaction_ratings": "rating_id",
    "stg_app__events": "event_id",
}


@dataclass(frozen=True)
class Built:
    home: Home
    outcome: DbtOutcome
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def built(load_home: Callable[..., tuple[Home, Any]]) -> Iterator[Built]:
    home, _ = load_home("dbt_models", customers=800, days=90, seed=7, end=AS_OF)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(home.root))
        outcome = build_warehouse(home, AS_OF, with_tests=True)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    con.execute(
        "create temp table truth as select * from read_csv("
        f"'{home.sources / '_truth' / 'records.csv'}', all_varchar = true)"
    )
    yield Built(home, outcome, con)
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    return con.execute(sql, params or []).fetchall()


def _raw_glob(home: Home, table: str) -> str:
    return f"read_parquet('{home.raw / table}/*/data.parquet', union_by_name = true)"


def test_dbt_build_succeeds_with_no_failing_test(built: Built) -> None:
    outcome = built.outcome
    kinds = {r["unique_id"].split(".")[0] for r in outcome.results}
    assert outcome.success, "\n".join(outcome.failures)
    assert outcome.failures == []
    assert {"seed", "model", "test", "unit_test"} <= kinds
    assert sum(r["unique_id"].startswith("model.") for r in outcome.results) >= 20


def _expected_latest(built: Built, table: str) -> dict[str, tuple[str, str]]:
    """Per record: the truth's email/phone for the raw version staging must keep.

    The latest raw version is picked here independently (same rule as staging), then
    matched to the truth row with the same raw email and phone (truth lists every version).
    """
    spec = STAGED[table]
    rows = _rows(
        built.con,
        f"""
        with raw as (
            select
                {spec.raw_key} as record_id,
                coalesce(trim({spec.raw_email}), '') as raw_email,
                coalesce(trim({spec.raw_phone}), '') as raw_phone,
                row_number() over (
                    partition by {spec.raw_key} order by {spec.version_order}
                ) as version_rank
            from {_raw_glob(built.home, spec.raw)}
            where _delivery_date <= ?
        )
        select distinct
            raw.record_id,
            coalesce(truth.expected_email, ''),
            coalesce(truth.expected_phone, '')
        from raw
        inner join truth
            on truth."table" = ?
            and truth.record_id = raw.record_id
            and coalesce(trim(truth.raw_email), '') = raw.raw_email
            and coalesce(trim(truth.raw_phone), '') = raw.raw_phone
        where raw.version_rank = 1
        """,
        [AS_OF.isoformat(), table],
    )
    expected: dict[str, tuple[str, str]] = {}
    for record_id, email, phone in rows:
        assert record_id not in expected, f"{table} {record_id}: truth is ambiguous"
        expected[record_id] = (email, phone)
    return expected


@pytest.mark.parametrize("table", sorted(STAGED))
def test_staging_standardizes_every_planted_variant_to_the_truth(built: Built, table: str) -> None:
    spec = STAGED[table]
    truth_sql = 'select record_id from truth where "table" = ?'
    truth_ids = {r[0] for r in _rows(built.con, truth_sql, [table])}
    expected = _expected_latest(built, table)
    staged = {
        record_id: (email or "", phone or "")
        for record_id, email, phone in _rows(
            built.con, f"select {spec.key}, email, phone from staging.{spec.model}"
        )
    }
    missing = sorted(truth_ids - staged.keys())
    unmatched = sorted((truth_ids & staged.keys()) - expected.keys())
    wrong: dict[str, list[tuple[str, list[str], str, str]]] = {"email": [], "phone": []}
    for record_id, want in sorted(expected.items()):
        got = staged[record_id]
        for index, field in enumerate(("email", "phone")):
            if got[index] != want[index]:
                raw = _raw_spellings(built, table, record_id, field)
                wrong[field].append((record_id, raw, got[index], want[index]))
    assert len(truth_ids) > 50, f"{table}: the truth holds only {len(truth_ids)} records"
    assert missing == [], f"{table}: {len(missing)} truth records not staged, e.g. {missing[:5]}"
    assert unmatched == [], (
        f"{table}: {len(unmatched)} staged records whose latest raw version is not in the"
        f" truth, e.g. {unmatched[:5]}"
    )
    for field, bad in wrong.items():
        assert bad == [], (
            f"{table}: {len(bad)} {field}s differ from the truth"
            f" (record, raw spellings, staged, expected), e.g. {bad[:5]}"
        )


def _raw_spellings(built: Built, table: str, record_id: str, field: str) -> list[str]:
    """Every raw spelling of a record's email or phone (for failure messages only)."""
    column = "raw_email" if field == "email" else "raw_phone"
    sql = f'select distinct {column} from truth where "table" = ? and record_id = ?'
    return [r[0] for r in _rows(built.con, sql, [table, record_id])]


def test_staging_standardizes_the_planted_variants_of_one_person_to_one_value(
    built: Built,
) -> None:
    people = _rows(
        built.con,
        """
        select truth.person_id, count(distinct truth.raw_email), count(distinct s.email)
        from truth
        inner join staging.stg_crm__contacts as s on s.contact_id = truth.record_id
        where truth."table" = 'contacts' and truth.expected_email is not null
        group by truth.person_id
        union all
        select truth.person_id, count(distinct truth.raw_email), count(distinct s.email)
        from truth
        inner join staging.stg_orders__orders as s on s.order_id = truth.record_id
        where truth."table" = 'orders' and truth.expected_email is not null
        group by truth.person_id
        """,
    )
    varied = [p for p in people if p[1] > 1]
    assert len(varied) > 20, "the generator planted too few spelling variants"
    assert [p for p in varied if p[2] != 1] == []


@pytest.mark.parametrize("model", sorted(STAGING_KEYS))
def test_staging_key_is_unique_and_present(built: Built, model: str) -> None:
    key = STAGING_KEYS[model]
    rows, keys, nulls = _rows(
        built.con,
        f"select count(*), count(distinct {key}), count(*) - count({key}) from staging.{model}",
    )[0]
    assert rows > 0, f"{model} is empty"
    assert (keys, nulls) == (rows, 0), f"{model}: {rows} rows, {keys} distinct keys, {nulls} null"


def test_staging_converts_local_order_times_to_utc(built: Built) -> None:
    spec = STAGED["orders"]
    raw = dict(
        _rows(
            built.con,
            f"""
            select order_id, placed_at from (
                select order_id, placed_at, row_number() over (
                    partition by order_id order by {spec.version_order}) as version_rank
                from {_raw_glob(built.home, spec.raw)}
            ) where version_rank = 1
            """,
        )
    )
    staged = dict(_rows(built.con, "select order_id, placed_at from staging.stg_orders__orders"))
    plus_nine = [oid for oid, text in raw.items() if text.endswith("+09:00")]
    assert plus_nine, "no order placed at +09:00 in the demo data"
    oid = plus_nine[0]
    local = datetime.fromisoformat(raw[oid])
    assert staged[oid] == local.replace(tzinfo=None) - local.utcoffset(), (  # type: ignore[operator]
        f"{oid}: {raw[oid]} staged as {staged[oid]}, expected 9 hours earlier"
    )
    wrong = [
        (oid, text, staged[oid])
        for oid, text in raw.items()
        if staged[oid] != datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
    ]
    assert wrong == [], f"{len(wrong)} orders not in UTC, e.g. {wrong[:5]}"


def _seed_rates() -> dict[tuple[str, str], Decimal]:
    path = DBT_PROJECT / "seeds" / "currency_rates.csv"
    with path.open(encoding="utf-8") as handle:
        return {
            (row["rate_month"][:7], row["currency"]): Decimal(row["usd_per_unit"])
            for row in csv.DictReader(handle)
        }


def test_amounts_in_usd_use_the_rate_of_the_month_placed(built: Built) -> None:
    rates = _seed_rates()
    orders = _rows(
        built.con,
        "select order_id, currency, placed_at, total_amount, total_amount_usd"
        " from staging.stg_orders__orders",
    )
    currencies = {currency for _, currency, _, _, _ in orders}
    assert {"USD", "EUR", "JPY"} <= currencies
    wrong = []
    for order_id, currency, placed_at, amount, amount_usd in orders:
        rate = rates[(placed_at.strftime("%Y-%m"), currency)]
        want = (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if amount_usd is None or abs(amount_usd - want) > Decimal("0.01"):
            wrong.append((order_id, currency, placed_at, amount, amount_usd, want))
    assert wrong == [], f"{len(wrong)} USD amounts off the month's rate, e.g. {wrong[:5]}"


def test_a_fully_refunded_order_nets_to_zero(built: Built) -> None:
    rows = _rows(
        built.con,
        "select order_id, net_usd from marts.fct_orders"
        " where is_revenue and refunded_amount = total_amount",
    )
    assert rows, "no fully refunded order in the demo data"
    assert [r for r in rows if r[1] != 0] == []


def _publish_tables(built: Built) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for schema, name in _rows(
        built.con,
        "select schema_name, table_name from duckdb_tables()"
        " where schema_name like 'publish_%' order by 1, 2",
    ):
        tables.setdefault(schema, []).append(name)
    return tables


def test_every_role_has_its_own_publish_schema_with_filled_tables(built: Built) -> None:
    tables = _publish_tables(built)
    assert sorted(tables) == sorted(f"publish_{role}" for role in ROLES)
    for role in ROLES:
        names = tables[f"publish_{role}"]
        assert names and all(n.startswith(f"rpt_{role}__") for n in names), (role, names)
        for name in names:
            if name == "rpt_data_team__customer_key_merges":
                continue  # one build: no key can have been retired yet
            count = _rows(built.con, f"select count(*) from publish_{role}.{name}")[0][0]
            assert count > 0, f"publish_{role}.{name} is empty"


def test_personal_data_is_published_only_to_roles_that_contact_people(
    built: Built,
) -> None:
    leaks, emails_seen = [], set()
    for schema, names in _publish_tables(built).items():
        role = schema.removeprefix("publish_")
        for name in names:
            columns = _rows(
                built.con,
                "select column_name, data_type from duckdb_columns()"
                " where schema_name = ? and table_name = ?",
                [schema, name],
            )
            for column, data_type in columns:
                if data_type != "VARCHAR":
                    continue
                values = [
                    v for (v,) in _rows(built.con, f"select distinct {column} from {schema}.{name}")
                ]
                allowed = role in PERSONAL_ROLES and (
                    role != "marketing" or name == MARKETING_PERSONAL_TABLE
                )
                if any(v and EMAIL_LIKE.fullmatch(v) for v in values):
                    emails_seen.add(role)
                    if not allowed:
                        leaks.append(f"{schema}.{name}.{column} holds emails")
                if column in PERSONAL_COLUMNS and not allowed:
                    leaks.append(f"{schema}.{name}.{column} is personal data")
    assert leaks == []
    assert emails_seen == set(PERSONAL_ROLES)


def test_marketing_audience_holds_only_customers_with_consent_and_all_of_them(
    built: Built,
) -> None:
    without_consent = _rows(
        built.con,
        """
        select audience.customer_id
        from publish_marketing.rpt_marketing__contactable_audience as audience
        inner join marts.dim_customers as customers
            on audience.customer_id = customers.customer_id
        where not customers.has_email_consent or customers.email is null
        """,
    )
    consenting = {
        r[0]
        for r in _rows(
            built.con,
            "select customer_id from marts.dim_customers"
            " where has_email_consent and email is not null",
        )
    }
    opted_out = _rows(
        built.con, "select count(*) from marts.dim_customers where not has_email_consent"
    )[0][0]
    audience = {
        r[0]
        for r in _rows(
            built.con,
            "select customer_id from publish_marketing.rpt_marketing__contactable_audience",
        )
    }
    assert opted_out > 0, "the demo data has no customer without consent"
    assert without_consent == []
    assert audience == consenting


def test_sales_list_covers_every_crm_owned_customer_once_in_call_order(built: Built) -> None:
    crm_owned = {
        r[0]
        for r in _rows(
            built.con, "select customer_id from marts.dim_customers where contact_id is not null"
        )
    }
    listed = _rows(
        built.con,
        "select customer_id, call_priority, next_best_action"
        " from publish_sales.rpt_sales__customer_priorities order by call_priority",
    )
    ids = [r[0] for r in listed]
    assert len(ids) == len(set(ids))
    assert set(ids) == crm_owned
    assert [r[1] for r in listed] == list(range(1, len(listed) + 1))
    order = ["call_to_save", "win_back_offer", "onboarding_call", "upsell",
             "first_purchase_offer", "no_action"]  # fmt: skip
    ranks = [order.index(r[2]) for r in listed]
    assert ranks == sorted(ranks), "call order does not follow the next best action"


def test_next_best_action_rule_passes_its_unit_test(built: Built) -> None:
    unit_tests = {
        r["unique_id"].split(".")[-1]: r["status"]
        for r in built.outcome.results
        if r["unique_id"].startswith("unit_test.") and "next_best_action" in r["unique_id"]
    }
    assert unit_tests == {"test_fct_customer_next_best_action_takes_the_first_fitting_rule": "pass"}


CHECKED_DAY = date(2026, 5, 31)
STAGE_COUNT_SQL = """
    select stage, count(*) from marts.fct_customer_stage_spans
    where valid_from <= ? and valid_to > ?
    group by stage
"""
STAGES = ("prospect", "new", "active", "reactivated", "at_risk", "churned")


def _stage_counts_from_spans(built: Built, day: date) -> dict[str, int]:
    counts = dict(_rows(built.con, STAGE_COUNT_SQL, [day, day]))
    return {stage: counts.get(stage, 0) for stage in STAGES}


def test_executive_stage_counts_over_time_equal_the_spans_at_period_end(built: Built) -> None:
    columns = ", ".join(f"stage_{s}_customers" for s in STAGES)
    month = _rows(
        built.con,
        f"select snapshot_date, {columns} from publish_executive.rpt_executive__health_over_time"
        " where period_grain = 'month' and period_start = '2026-05-01'",
    )
    current = _rows(
        built.con,
        f"select snapshot_date, {columns} from publish_executive.rpt_executive__health_over_time"
        " where period_grain = 'week' and not is_complete",
    )
    assert month and month[0][0] == CHECKED_DAY
    assert dict(zip(STAGES, month[0][1:], strict=True)) == _stage_counts_from_spans(
        built, CHECKED_DAY
    )
    assert current and current[0][0] == AS_OF
    assert dict(zip(STAGES, current[0][1:], strict=True)) == _stage_counts_from_spans(built, AS_OF)
    assert (
        sum(_stage_counts_from_spans(built, AS_OF).values())
        == _rows(
            built.con, "select customers from publish_executive.rpt_executive__customer_health"
        )[0][0]
    )


def test_operations_daily_stage_counts_equal_the_spans_and_add_up(built: Built) -> None:
    columns = ", ".join(f"stage_{s}_customers" for s in STAGES)
    row = _rows(
        built.con,
        f"select {columns}, active_customers from publish_operations.rpt_operations__daily_kpis"
        " where kpi_date = ?",
        [CHECKED_DAY],
    )[0]
    by_stage = dict(zip(STAGES, row[:-1], strict=True))
    assert by_stage == _stage_counts_from_spans(built, CHECKED_DAY)
    assert row[-1] == sum(by_stage[s] for s in ("new", "active", "reactivated", "at_risk"))


def test_product_funnel_is_the_marts_funnel(built: Built) -> None:
    sql = (
        "select cohort, step_order, step_name, customers, customers_lost from {}"
        " order by cohort, step_order"
    )
    published = _rows(built.con, sql.format("publish_product.rpt_product__activation_funnel"))
    assert published
    assert published == _rows(built.con, sql.format("marts.fct_activation_funnel"))
    assert {r[2] for r in published} == {
        "sign_up", "first_login", "first_key_action", "third_use", "first_purchase"
    }  # fmt: skip


def test_customer_service_lists_every_scored_customer_with_open_or_bad_tickets(
    built: Built,
) -> None:
    expected = {
        r[0]
        for r in _rows(
            built.con,
            "select customer_id from marts.fct_churn_risk_scores"
            " where open_ticket_points > 0 or low_csat_points > 0",
        )
    }
    listed = _rows(
        built.con,
        "select customer_id, risk_level from"
        " publish_customer_service.rpt_customer_service__customers_needing_care"
        " order by care_priority",
    )
    levels = [{"high": 0, "medium": 1, "low": 2}[r[1]] for r in listed]
    assert expected, "no scored customer with an open ticket or a low CSAT in the demo data"
    assert {r[0] for r in listed} == expected
    assert levels == sorted(levels)


def test_data_team_freshness_counts_the_raw_delivery_of_the_as_of_day(built: Built) -> None:
    freshness = _rows(
        built.con,
        "select latest_delivery_date, days_behind, latest_delivery_rows"
        " from publish_data_team.rpt_data_team__source_freshness"
        " where source_system = 'orders' and source_table = 'orders'",
    )
    raw_rows = _rows(
        built.con,
        f"select count(*) from {_raw_glob(built.home, 'orders/orders')} where _delivery_date = ?",
        [AS_OF.isoformat()],
    )[0][0]
    tables = _rows(
        built.con, "select count(*) from publish_data_team.rpt_data_team__source_freshness"
    )[0][0]
    assert tables == 9
    assert freshness == [(AS_OF, 0, raw_rows)]
