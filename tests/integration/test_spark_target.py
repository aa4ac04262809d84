"""The same dbt project on a distributed engine: Spark, through dbt-spark's `session` method
(a local Spark in dbt's own process, `local[2]`; a cluster differs only in the profile).

dbt-spark and pyspark (the pins of deploy/spark/requirements.txt) are installed once into
`.venv-spark/` at the repository root and reused while its stamp matches the pins; the
runner (lifecycle.dbt_runner) runs that venv's dbt for LIFECYCLE_TARGET=spark.

One raw zone is built on DuckDB and on Spark, two nights each. Three days before the as-of
day: the incremental models and what they read (their first, full build). The as-of day: the
staging, customer (intermediate/customers, marts/core) and lifecycle (marts/lifecycle) models
and everything they read, the incremental models taking their incremental path (on Spark:
delivery-day partitions dropped and appended, delete+insert through a staging table;
dbt_project/macros/spark.sql). On this data a customer merges into another between the two
nights, so the delete+insert models must keep a retired key.

Spark's tables are dumped to Parquet by tests/integration/spark_dump.py (run by the Spark
venv's Python) and every table's rows are compared with DuckDB's by the engine-independent
checksum (lifecycle.checksum); the comparison and the wall times are written to
`$LIFECYCLE_HOME/engine_comparison.txt`. dbt's data and unit tests are not run on Spark here
(the DuckDB and PostgreSQL suites run them); the tables they check are compared instead.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pinned_venv import pinned_venv

from lifecycle.build import NO_TESTS
from lifecycle.checksum import TableChecksum, rows_checksum
from lifecycle.cli import main as lifecycle_main
from lifecycle.dbt_runner import SPARK_VENV, DbtOutcome, dbt_executable, run_dbt
from lifecycle.paths import REPO_ROOT, Home
from lifecycle.warehouse import open_warehouse

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

AS_OF = date(2026, 6, 30)
REQUIREMENTS = REPO_ROOT / "deploy" / "spark" / "requirements.txt"
DUMP = Path(__file__).with_name("spark_dump.py")
# The staging, customer and lifecycle models, and what they read (the `+`): seeds, the app
# activity models and fct_churn_by_period (dim_customers reads it).
SELECT = (
    "path:models/staging",
    "+path:models/intermediate/customers",
    "+path:models/marts/core",
    "+path:models/marts/lifecycle",
)
# The first night builds only the incremental models and what they read (their first,
# full build); the second builds the selection, the incremental models taking their
# incremental path, and everything downstream reading them.
FIRST_NIGHT = ("+config.materialized:incremental",)
FIRST_DAY = AS_OF - timedelta(days=3)
SCHEMAS = ("reference", "staging", "intermediate", "marts")
ENGINES = ("duckdb", "spark")


def spark_python() -> Path:
    """The Python of the Spark venv (`make spark` installs the same), installed once per set
    of pins."""
    return pinned_venv(SPARK_VENV, REQUIREMENTS, "dbt", timeout=1200) / "python"


@dataclass
class Engines:
    home: Home
    first_night: dict[str, int]  # engine -> exit code of `lifecycle dbt` on the first day
    nights: dict[str, DbtOutcome]  # engine -> the as-of day's build
    tables: dict[str, dict[str, TableChecksum]]  # schema.table -> engine -> checksum
    dump: Path  # Spark's tables as Parquet, one folder per schema.table
    seconds: dict[str, float] = field(default_factory=dict)  # phase -> wall time


def _duckdb_checksums(home: Home) -> dict[str, TableChecksum]:
    found = {}
    with open_warehouse(home, read_only=True, target="duckdb") as wh:
        for schema in SCHEMAS:
            for name in wh.tables(schema, views=True):
                found[f"{schema}.{name}"] = rows_checksum(
                    *wh.fetch(f"select * from {schema}.{name}")
                )
    return found


def _spark_checksums(home: Home, python: Path) -> dict[str, TableChecksum]:
    out = home.root / "spark_dump"
    done = subprocess.run(
        [str(python), str(DUMP), str(out), *SCHEMAS],
        env={**os.environ, "LIFECYCLE_HOME": str(home.root)},
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = {}
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        table = pq.read_table(folder)
        rows = [tuple(row.values()) for row in table.to_pylist()]
        found[folder.name] = rows_checksum(table.column_names, rows)
    return found


def _comparison(tables: dict[str, dict[str, TableChecksum]]) -> str:
    lines = [f"{'table':<48} {'duckdb':>7} {'spark':>7}  checksum"]
    for name, by_engine in sorted(tables.items()):
        d, s = by_engine.get("duckdb"), by_engine.get("spark")
        verdict = "same" if d == s else "DIFFERS" if d and s else "one engine only"
        lines.append(f"{name:<48} {d.rows if d else '-':>7} {s.rows if s else '-':>7}  {verdict}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def engines(load_home: Callable[..., tuple[Home, Any]]) -> Iterator[Engines]:
    started = time.monotonic()
    python = spark_python()
    seconds = {"install": time.monotonic() - started}
    home, _ = load_home("spark_target", customers=200, days=45, seed=9, end=AS_OF)
    first_night, nights = {}, {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(home.root))
        for target in ENGINES:
            mp.setenv("LIFECYCLE_TARGET", target)
            began = time.monotonic()
            # The operator's command; on Spark it declares the raw zone's tables first.
            first_night[target] = lifecycle_main(
                ["dbt", "--as-of", FIRST_DAY.isoformat(), "--",
                 "build", "--select", *FIRST_NIGHT, "--exclude", *NO_TESTS]
            )  # fmt: skip
            # The runner itself, for the nodes' results (the raw zone's tables read their
            # folders, so they need no new declaration for a later day).
            nights[target] = run_dbt(
                ["build", "--select", *SELECT, "--exclude", *NO_TESTS], AS_OF, home
            )
            seconds[f"{target} build"] = time.monotonic() - began
    began = time.monotonic()
    tables: dict[str, dict[str, TableChecksum]] = {}
    for target, found in (
        ("duckdb", _duckdb_checksums(home)),
        ("spark", _spark_checksums(home, python)),
    ):
        for name, checksum in found.items():
            tables.setdefault(name, {})[target] = checksum
    seconds["compare"] = time.monotonic() - began
    seconds["total"] = time.monotonic() - started
    timing = ", ".join(f"{phase} {took:.0f} s" for phase, took in seconds.items())
    (home.root / "engine_comparison.txt").write_text(
        _comparison(tables) + f"\nwall time: {timing}\n", encoding="utf-8"
    )
    log.warning("spark target: %s", timing)
    yield Engines(home, first_night, nights, tables, home.root / "spark_dump", seconds)


def test_the_runner_runs_dbt_spark_from_its_own_venv(engines: Engines) -> None:
    assert dbt_executable("spark") == SPARK_VENV / "bin" / "dbt"
    assert dbt_executable("duckdb") == Path(sys.executable).with_name("dbt")


def test_every_selected_model_builds_on_both_engines(engines: Engines) -> None:
    assert engines.first_night == {"duckdb": 0, "spark": 0}
    for outcome in engines.nights.values():
        assert outcome.success, "\n".join(outcome.failures)
    duck = {r["unique_id"]: r["status"] for r in engines.nights["duckdb"].results}
    spark = {r["unique_id"]: r["status"] for r in engines.nights["spark"].results}
    assert spark == duck
    assert set(spark.values()) == {"success"}
    models = {u.split(".")[-1] for u in spark if u.startswith("model.")}
    assert {
        "stg_crm__contacts", "stg_orders__orders", "stg_app__events", "int_customers_matched",
        "int_customer_keys", "dim_customers", "fct_orders", "fct_customer_stage_spans",
        "fct_stage_transitions", "fct_stage_counts_daily",
    } <= models  # fmt: skip


def test_every_table_has_the_same_rows_and_content_on_both_engines(engines: Engines) -> None:
    tables = engines.tables
    assert all(set(by_engine) == set(ENGINES) for by_engine in tables.values()), _comparison(tables)
    differ = {
        name for name, by_engine in tables.items() if by_engine["duckdb"] != by_engine["spark"]
    }
    assert differ == set(), _comparison(tables)
    built = {
        r["unique_id"].split(".")[-1]
        for r in engines.nights["spark"].results
        if r["unique_id"].startswith(("model.", "seed."))
    }
    assert {name.split(".")[1] for name in tables} == built
    assert tables["marts.dim_customers"]["spark"].rows > 200
    assert tables["staging.base_app__events"]["spark"].rows > 1000


def test_nothing_spark_writes_lands_outside_the_home(engines: Engines) -> None:
    spark = engines.home.root / "spark"
    assert (spark / "metastore_db").is_dir() and (spark / "warehouse").is_dir()
    assert (spark / "derby.log").is_file()
    strays = ("metastore_db", "spark-warehouse", "derby.log")
    assert [
        p for p in strays if (REPO_ROOT / p).exists() or (REPO_ROOT / "dbt_project" / p).exists()
    ] == []


def test_the_delivery_day_models_are_partitioned_by_delivery_day_on_spark(
    engines: Engines,
) -> None:
    warehouse = engines.home.root / "spark" / "warehouse"
    for table in (
        "staging.db/base_app__events",
        "staging.db/base_orders__order_versions",
        "staging.db/base_orders__line_item_versions",
        "intermediate.db/int_app_user_event_days",
    ):
        days = sorted(p.name for p in (warehouse / table).glob("delivery_date=*"))
        assert days[-1] == f"delivery_date={AS_OF}", table
        assert len(days) >= 40, table
    # Refunds are rare at 200 customers: a few delivery days hold any.
    refunds = list((warehouse / "staging.db/base_orders__refund_versions").glob("delivery_date=*"))
    assert len(refunds) >= 3


def _spark_rows(engines: Engines, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(engines.dump / table).to_pylist()
    return rows


def test_the_second_night_took_the_incremental_path_on_spark(engines: Engines) -> None:
    keys = _spark_rows(engines, "intermediate.int_customer_keys")
    merges = _spark_rows(engines, "intermediate.int_customer_key_merges")
    current = {r["customer_id"] for r in _spark_rows(engines, "marts.dim_customers")}
    # Keys issued on the first night keep their day; the retired key of a merge is kept.
    assert {r["issued_on"] for r in keys} == {FIRST_DAY, AS_OF}
    assert merges and all(r["merged_on"] == AS_OF for r in merges)
    retired = {r["customer_id"] for r in keys} - current
    assert retired == {r["old_customer_id"] for r in merges}
