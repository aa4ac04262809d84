"""A second run started by hand while another holds the warehouse is refused at once, through
the real CLI and Airflow, and changes nothing that is published."""

import hashlib
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from lifecycle.paths import ROLES, Home
from lifecycle.publish import publish
from lifecycle.quality import RESULTS_DDL

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)

HOLDER = """
import sys
from datetime import date
from pathlib import Path
from lifecycle.lock import Mode, hold
from lifecycle.paths import Home

with hold(Home(Path(sys.argv[1])), Mode.EXCLUSIVE, task="transform", run_id="by-hand",
          as_of=date(2026, 6, 30)):
    print("held", flush=True)
    sys.stdin.read()
"""


def _serving(home: Home) -> dict[str, str]:
    """Every file and link under serving/: content digest or link target."""
    found = {}
    for folder, _, files in os.walk(home.serving):
        for name in files:
            path = Path(folder, name)
            key = str(path.relative_to(home.serving))
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    found["current ->"] = os.readlink(home.serving_current)
    return found


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """Tiny demo sources, and a publication of the day before already current."""
    from lifecycle.demo import generate

    home = Home(tmp_path)
    generate(home.sources, customers=30, days=3, seed=5, end_date=AS_OF)
    with duckdb.connect(str(home.warehouse)) as con:
        for role in ROLES:
            con.execute(f"create schema publish_{role}")
            con.execute(f"create table publish_{role}.rpt_{role}__t as select 1 as n")
        con.execute("create schema audit")
        con.execute(f"create table audit.quality_results ({RESULTS_DDL})")
    publish(home, "yesterday", AS_OF - timedelta(days=1), gate="passed")
    return home


def test_a_second_run_by_hand_is_refused_while_a_writer_holds_the_warehouse(home: Home) -> None:
    before = _serving(home)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        exe = Path(sys.executable).with_name("lifecycle")
        env = os.environ | {"LIFECYCLE_HOME": str(home.root)}
        started = time.monotonic()
        run = subprocess.run(
            [str(exe), "run", "--as-of", AS_OF.isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        took = time.monotonic() - started
        assert holder.poll() is None, "the holder still runs"
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)

    shown = run.stdout + run.stderr
    print(f"\nlifecycle run refused in {took:.0f} s:\n{shown}")
    assert run.returncode != 0, shown
    assert "another run holds the warehouse: transform of run by-hand (as-of 2026-06-30" in shown
    assert f"pid {holder.pid}" in shown
    assert "nothing new published" in shown
    assert _serving(home) == before
    log = next(home.logs.glob("run_*.log")).read_text()
    assert "AirflowFailException" in log
    assert "up_for_retry" not in log.lower(), "a refused extract is not retried"
