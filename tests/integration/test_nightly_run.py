"""The whole nightly run through real Airflow (`airflow dags test`), dbt, GX and publish."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.orchestrate import run_day
from lifecycle.paths import ROLES, Home

pytestmark = pytest.mark.slow
FIRST = date(2026, 6, 29)
SECOND = date(2026, 6, 30)


def _lifecycle(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lifecycle")
    env = os.environ | {"LIFECYCLE_HOME": str(home.root)}
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=False)


def _serving_digest(home: Home) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.serving.glob("*.duckdb"))
    }


def _with_unknown_currency(line: str) -> str:
    """An order line whose currency no rate exists for (malformed lines stay as they are)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return line
    record["currency"] = "XXX"
    return json.dumps(record)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, bool, Path, str]:
    from lifecycle.demo import generate

    home = Home(tmp_path_factory.mktemp("nightly"))
    generate(home.sources, customers=400, days=60, seed=11, end_date=SECOND)
    mp = pytest.MonkeyPatch()
    mp.setenv("LIFECYCLE_HOME", str(home.root))
    import io
    from contextlib import redirect_stdout

    shown = io.StringIO()
    with redirect_stdout(shown):
        ok, log_path = run_day(FIRST, home)
    mp.undo()
    return home, ok, log_path, shown.getvalue()


# Tables that are empty on a first night by definition: no key can have been retired yet.
MAY_BE_EMPTY = {"data_team.rpt_data_team__customer_key_merges"}


def test_nightly_run_publishes_every_role(first_run: tuple[Home, bool, Path, str]) -> None:
    home, ok, log_path, _ = first_run
    assert ok, log_path.read_text()[-3000:]
    for role in ROLES:
        with duckdb.connect(str(home.serving_file(role)), read_only=True) as con:
            tables = [r[0] for r in con.execute("show tables").fetchall()]
            assert tables, role
            for name in tables:
                rows = con.execute(f'select count(*) from "{name}"').fetchall()[0][0]
                assert rows > 0 or f"{role}.{name}" in MAY_BE_EMPTY, f"{role}.{name} is empty"


def test_nightly_run_shows_progress_stage_by_stage(first_run: tuple[Home, bool, Path, str]) -> None:
    _, _, log_path, shown = first_run
    for stage in ("extract", "dbt", "gate", "publish"):
        assert f"  {stage} " in shown, f"no {stage} progress in:\n{shown}"
    assert "orders.orders" in shown and "loaded" in shown
    assert str(log_path) in shown
    assert "[DAG TEST]" not in shown  # Airflow's own log goes to the file only


def test_status_json_reports_the_publication(first_run: tuple[Home, bool, Path, str]) -> None:
    home, _, _, _ = first_run
    result = _lifecycle(home, "status", "--json")
    assert result.returncode == 0, result.stderr
    info: dict[str, Any] = json.loads(result.stdout)
    assert info["as_of"] == FIRST.isoformat()
    assert info["gate"] == "passed"
    assert info["tables"]
    assert all(rows > 0 for name, rows in info["tables"].items() if name not in MAY_BE_EMPTY)
    assert info["freshness"]["orders.orders"]["latest_delivery"] == FIRST.isoformat()


def test_failed_gate_keeps_the_earlier_publication_byte_identical(
    first_run: tuple[Home, bool, Path, str],
) -> None:
    home, ok, _, _ = first_run
    assert ok
    before = _serving_digest(home)
    orders = home.sources / f"orders/orders/orders_{SECOND.isoformat()}.jsonl"
    orders.write_text(
        "".join(_with_unknown_currency(line) + "\n" for line in orders.read_text().splitlines())
    )

    ok2, log_path = run_day(SECOND, home)

    assert not ok2
    log_text = log_path.read_text()
    assert "gate FAILED" in log_text
    # Every order of the day is quarantined at extract (unknown currency), far over the limit.
    assert (
        "raw__deliveries expect_column_pair_values_a_to_be_greater_than_b"
        "(quarantine_limit,quarantined)" in log_text
    )
    assert _serving_digest(home) == before
    info = json.loads(_lifecycle(home, "status", "--json").stdout)
    assert info["as_of"] == FIRST.isoformat()

    # The first night's dbt tests all passed, so this gate checked only the ids of the events
    # the second build re-read (lifecycle.incremental.tested_from), against every event.
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tested = con.execute("select count(*) from audit.tested_builds").fetchone()
        start = con.execute(
            "select reprocess_from from audit.incremental_builds order by built_at desc limit 1"
        ).fetchone()
    assert tested is not None and tested[0] >= 1
    assert start is not None and start[0] is not None
    key_test = "unique_base_app__events_event_id.sql"
    compiled = next((home.dbt_target / "compiled").rglob(key_test)).read_text()
    assert f"delivery_date >= cast('{start[0].isoformat()}' as date)" in compiled
