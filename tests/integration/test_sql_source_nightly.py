"""The nightly DAG through real Airflow with the order system read from PostgreSQL (kind
`sql`): the orders reach the published tables the same way exported files do."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
import yaml

from lifecycle.demo.orders_db import load_days
from lifecycle.orchestrate import run_day
from lifecycle.paths import REPO_ROOT, Home
from lifecycle.pgserver import create_database

pytestmark = pytest.mark.slow
END = date(2026, 6, 30)
DAYS = 30


def _config_with_sql_orders(path: Path, start: date) -> Path:
    """config/sources.yml with its `orders` source replaced by the worked sql example's."""
    base = yaml.safe_load((REPO_ROOT / "config" / "sources.yml").read_text(encoding="utf-8"))
    example = yaml.safe_load(
        (REPO_ROOT / "config" / "examples" / "sources.sql.yml").read_text(encoding="utf-8")
    )
    base["sources"]["orders"] = example["sources"]["orders"] | {"start": start}
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return path


def test_a_nightly_run_reads_orders_from_postgresql(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifecycle.demo import generate

    home = Home(tmp_path / "home")
    monkeypatch.delenv("LIFECYCLE_SOURCES_CONFIG", raising=False)
    generate(home.sources, customers=300, days=DAYS, seed=7, end_date=END)
    uri = create_database(pg_server, "shop_nightly")
    load_days(uri, home.sources, through=END)
    for name in ("orders", "line_items", "refunds"):  # the files must not be what is read
        for path in (home.sources / "orders" / name).glob("*.jsonl"):
            path.unlink()
    start = END - timedelta(days=DAYS - 1)
    config = _config_with_sql_orders(tmp_path / "sources.yml", start)
    monkeypatch.setenv("LIFECYCLE_SOURCES_CONFIG", str(config))
    monkeypatch.setenv("AIRFLOW_CONN_ORDERS_DB", uri)
    monkeypatch.setenv("LIFECYCLE_HOME", str(home.root))

    ok, log = run_day(END, home)

    assert ok, log.read_text()[-4000:]
    with sa.create_engine(uri).connect() as conn:
        in_db = {r[0] for r in conn.execute(sa.text("select order_id from orders.orders"))}
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        staged = {r[0] for r in con.execute("select order_id from staging.stg_orders__orders")
                  .fetchall()}  # fmt: skip
        lineage = con.execute(
            "select distinct _file like 'postgresql://%' from read_parquet("
            f"'{home.raw}/orders/orders/*/data.parquet', hive_partitioning = false)"
        ).fetchall()
        quarantined = {r[0] for r in con.execute(
            "select json_extract_string(raw_record, '$.order_id') from read_parquet("
            f"'{home.quarantine}/orders/orders/*/data.parquet', hive_partitioning = false)"
        ).fetchall()}  # fmt: skip
    assert lineage == [(True,)]
    assert staged and staged <= in_db
    assert in_db - staged <= quarantined  # every order not staged was refused by a named rule
    with duckdb.connect(str(home.serving_file("executive")), read_only=True) as con:
        published = con.execute("select count(*) from rpt_executive__customer_health")
        assert published.fetchall()[0][0] > 0
