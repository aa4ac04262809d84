"""Staging reads only what was delivered by the as-of date, even when the raw zone holds
later deliveries: the basis of a backfill reproducing its nightly run."""

from datetime import date

import duckdb
import pytest

from lifecycle.config import load_sources
from lifecycle.dbt_runner import run_dbt
from lifecycle.extract import extract_source
from lifecycle.paths import Home

pytestmark = pytest.mark.slow
END = date(2026, 6, 30)
AS_OF = date(2026, 6, 25)  # the raw zone holds deliveries up to END


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    from lifecycle.demo import generate

    home = Home(tmp_path_factory.mktemp("as_of"))
    generate(home.sources, customers=300, days=40, seed=3, end_date=END)
    cfg = load_sources()
    for source in cfg.sources:
        extract_source(source.name, END, "test", home, cfg)
    outcome = run_dbt(
        ["build", "--select", "+path:models/staging", "--indirect-selection", "cautious"],
        AS_OF,
        home,
    )
    assert outcome.success, outcome.failures
    return home


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("stg_app__events", "received_at"),
        ("stg_orders__orders", "updated_at"),
        ("stg_support__tickets", "updated_at"),
        ("stg_crm__contacts", "updated_at"),
    ],
)
def test_staging_reads_no_delivery_after_the_as_of_date(
    home: Home, model: str, column: str
) -> None:
    assert (home.raw / "app" / "events" / f"delivery_date={END}").is_dir()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        latest = con.execute(f"select max(cast({column} as date)) from staging.{model}").fetchall()
    assert latest[0][0] == AS_OF
