"""Backfill through Airflow's own backfill: a past day re-run gives exactly what its nightly
run published, and never moves the current publication backwards."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from lifecycle.orchestrate import backfill, run_day
from lifecycle.paths import ROLES, Home

pytestmark = pytest.mark.slow
D = date(2026, 6, 27)
LAST = date(2026, 6, 30)


def _checksums(home: Home, as_of: date) -> list[dict[str, tuple[int, str]]]:
    """Per publication of the day (oldest first): table -> (rows, checksum)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "select cast(published_at as varchar), role || '.' || table_name, row_count, checksum"
            " from audit.publish_log where as_of_date = ? order by published_at",
            [as_of],
        ).fetchall()
    runs: dict[str, dict[str, tuple[int, str]]] = {}
    # A re-run of a day may reuse its Airflow run id; each publication has its own time.
    for published_at, table, count, checksum in rows:
        runs.setdefault(published_at, {})[table] = (count, checksum)
    return list(runs.values())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    from lifecycle.demo import generate

    home = Home(tmp_path_factory.mktemp("backfill"))
    generate(home.sources, customers=300, days=40, seed=21, end_date=LAST)
    ok, log_path = run_day(D, home)
    assert ok, log_path.read_text()[-3000:]
    ok, log_path = backfill(date(2026, 6, 28), LAST, home)
    assert ok, log_path.read_text()[-3000:]
    ok, log_path = backfill(D, D, home)
    assert ok, log_path.read_text()[-3000:]
    return home


def test_backfill_of_a_past_day_reproduces_its_nightly_publication(home: Home) -> None:
    nightly, rerun = _checksums(home, D)
    assert {name.split(".")[0] for name in nightly} == set(ROLES)
    assert rerun == nightly


def test_backfill_publishes_each_day_of_the_range(home: Home) -> None:
    for day in (date(2026, 6, 28), date(2026, 6, 29), LAST):
        assert len(_checksums(home, day)) == 1, day
        assert (home.serving_history(day) / "executive.duckdb").is_file()


def test_backfill_of_an_old_day_leaves_the_newest_day_current(home: Home) -> None:
    exe = Path(sys.executable).with_name("lifecycle")
    env = os.environ | {"LIFECYCLE_HOME": str(home.root)}
    out = subprocess.run([str(exe), "status", "--json"], env=env, capture_output=True, text=True)
    assert json.loads(out.stdout)["as_of"] == LAST.isoformat()
    with duckdb.connect(str(home.serving_file("executive")), read_only=True) as con:
        assert con.execute("select as_of_date from rpt_executive__customer_health").fetchall() == [
            (LAST,)
        ]
