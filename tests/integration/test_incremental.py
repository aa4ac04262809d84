"""The incremental path (one delivery day at a time, with an old delivery arriving late and
a backfill of an old day in between) ends exactly where a full refresh over the same raw
zone does; key history survives a full refresh."""

import shutil
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pytest

from lifecycle.config import load_lifecycle, load_sources
from lifecycle.extract import extract_source
from lifecycle.incremental import reprocess_from
from lifecycle.io import table_checksum, warehouse_tables
from lifecycle.paths import Home
from lifecycle.tasks import transform

pytestmark = pytest.mark.slow
FIRST = date(2026, 6, 24)
LAST = date(2026, 6, 28)
LATE_DAY = date(2026, 6, 1)  # delivered only after FIRST + 1, far outside the look-back
# A CRM export delivered only on the last night: no model reads CRM incrementally, but the
# raw zone's delivery counts and quarantined rows do, so it must move reprocess_from too.
LATE_CRM_DAY = date(2026, 6, 3)
# Backfilled after FIRST + 2's night: the next night must catch up on everything delivered
# after it, not only its own look-back window.
BACKFILLED = date(2026, 6, 5)
# Stateful by design: they remember keys and merges across runs, so a full refresh
# keeps them instead of rebuilding them.
STATE_MODELS = {
    "int_customer_keys",
    "int_customer_key_merges",
    "dim_customer_key_merges",
    "rpt_data_team__customer_key_merges",
}
# Kept incrementally with rows of zeros where a day lost its activity; compared through the
# view of its active rows, int_customer_activity_days.
INCREMENTAL_STORES = {"int_customer_activity_history"}
SCHEMAS = ("staging", "intermediate", "marts", "publish_marketing", "publish_data_team")


def _context(day: date, full_refresh: bool = False) -> dict[str, Any]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return {
        "data_interval_start": start,
        "data_interval_end": start + timedelta(days=1),
        "params": {"full_refresh": full_refresh},
    }


def _transform(home: Home, day: date, full_refresh: bool = False) -> None:
    """The DAG's transform task body, for this home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFECYCLE_HOME", str(home.root))
        transform(_context(day, full_refresh))


def _extract(home: Home, day: date) -> None:
    cfg = load_sources()
    for source in cfg.sources:
        extract_source(source.name, day, "test", home, cfg)


def _checksums(home: Home) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            f"{schema}.{name}": table_checksum(con, f"{schema}.{name}")
            for schema in SCHEMAS
            for name in warehouse_tables(con, schema, with_views=True)
            if name not in STATE_MODELS | INCREMENTAL_STORES
        }


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, Home, list[date]]:
    from lifecycle.demo import generate

    nightly = Home(tmp_path_factory.mktemp("incremental"))
    generate(nightly.sources, customers=500, days=60, seed=11, end_date=LAST)
    late_file = nightly.sources / "app" / "events" / f"events_{LATE_DAY}.jsonl"
    held_back = late_file.with_suffix(".held")
    late_file.rename(held_back)
    late_crm = nightly.sources / "crm" / "contacts" / f"contacts_{LATE_CRM_DAY}.csv"
    held_back_crm = late_crm.with_suffix(".held")
    late_crm.rename(held_back_crm)

    starts = []
    lookback = load_lifecycle().rules.late_data_lookback_days
    day = FIRST
    while day <= LAST:
        if day == FIRST + timedelta(days=2):
            held_back.rename(late_file)  # the missing day is finally delivered
        if day == LAST:
            held_back_crm.rename(late_crm)
        _extract(nightly, day)
        starts.append(reprocess_from(nightly, day, lookback))
        _transform(nightly, day)
        if day == FIRST + timedelta(days=2):
            _transform(nightly, BACKFILLED)
        day += timedelta(days=1)

    full = Home(tmp_path_factory.mktemp("full_refresh"))
    shutil.copytree(nightly.sources, full.sources)
    _extract(full, LAST)
    _transform(full, LAST, full_refresh=True)
    return nightly, full, starts


def test_incremental_nights_equal_one_full_refresh(homes: tuple[Home, Home, list[date]]) -> None:
    nightly, full, _ = homes
    incremental, refreshed = _checksums(nightly), _checksums(full)
    assert "staging.base_app__events" in incremental
    assert "intermediate.int_app_user_event_days" in incremental
    assert "marts.fct_customer_stage_spans" in incremental
    assert "intermediate.int_customer_activity_days" in incremental
    differing = sorted(t for t in refreshed if incremental.get(t) != refreshed[t])
    assert not differing, differing
    assert incremental.keys() == refreshed.keys()


def test_each_night_rereads_the_window_and_a_late_old_delivery(
    homes: tuple[Home, Home, list[date]],
) -> None:
    _, _, starts = homes
    lookback = load_lifecycle().rules.late_data_lookback_days
    windows = [FIRST + timedelta(days=i - lookback) for i in range(len(starts))]
    expected = list(windows)
    expected[0] = date(2026, 4, 30)  # first build: nothing absorbed yet, every delivery
    expected[2] = LATE_DAY
    expected[3] = BACKFILLED + timedelta(days=1)  # the first day the backfilled state lacks
    expected[4] = LATE_CRM_DAY
    assert starts == expected


def test_a_full_refresh_keeps_the_customer_key_history(
    homes: tuple[Home, Home, list[date]],
) -> None:
    nightly, _, _ = homes

    def keys(home: Home) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            return con.execute(
                "select customer_id, issued_on from intermediate.int_customer_keys order by 1"
            ).fetchall()

    before = keys(nightly)
    assert {issued for _, issued in before} > {FIRST}, "later nights issue new keys"
    _transform(nightly, LAST, full_refresh=True)
    assert keys(nightly) == before


def test_retired_keys_map_to_the_customer_that_absorbed_them(
    homes: tuple[Home, Home, list[date]],
) -> None:
    nightly, _, _ = homes
    with duckdb.connect(str(nightly.warehouse), read_only=True) as con:
        merges = con.execute(
            "select m.old_customer_id, m.customer_id, k.anchor_record_key, c.customer_id"
            " from marts.dim_customer_key_merges as m"
            " join intermediate.int_customer_keys as k on k.customer_id = m.old_customer_id"
            " left join intermediate.int_customers_matched as c"
            "   on c.record_key = k.anchor_record_key"
        ).fetchall()
        current = {
            r[0] for r in con.execute("select customer_id from marts.dim_customers").fetchall()
        }
    assert merges, "five nights of new records merge some customers on this data"
    for old, new, anchor, now in merges:
        assert old not in current, old
        assert new in current and now == new, (old, anchor, new, now)
