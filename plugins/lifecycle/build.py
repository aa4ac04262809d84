"""Build the warehouse for one as-of day: the one sequence the DAG, the CLI and the tests run.

0. on the `postgres` target (lifecycle.target), the raw zone's changed partitions are copied
   into the warehouse's `raw_<source>` tables (lifecycle.raw_load), which dbt reads there
   instead of the Parquet files;
1. dbt builds every model except those downstream of the `predictions` source, with the
   incremental event models re-reading deliveries from `reprocess_from` (or everything on a
   full refresh);
2. `lifecycle.predict` fits predictive CLV on the orders just built and writes the
   `predictions` tables;
3. dbt builds the models downstream of the predictions;
4. the raw deliveries now absorbed and the build's as-of date are recorded for the next
   incremental run (lifecycle.incremental), and the extract's counts per delivery
   (`audit.raw_deliveries`) for the data team.

Tests are left to the gate unless `with_tests` (a development build).

On the `spark` target only dbt runs (`lifecycle dbt`; the Python steps need DuckDB or
PostgreSQL, lifecycle.target): Spark reads the raw zone's files in place, through tables that
`register_raw_zone` declares in its metastore before dbt reads them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from lifecycle import progress
from lifecycle.dbt_runner import DbtError, DbtOutcome, run_dbt

if TYPE_CHECKING:
    from lifecycle.paths import Home

PREDICTIONS = "source:predictions+"
NO_TESTS = ("resource_type:test", "resource_type:unit_test")
# dbt commands that read the dbt sources, before which Spark needs the raw zone declared.
READS_SOURCES = ("build", "run", "test")


def register_raw_zone(home: Home, as_of: date) -> None:
    """On Spark: (re)declare one table per raw source table over its Parquet folder (the dbt
    macro register_raw_zone), where the sources read them; the files stay in place."""
    outcome = run_dbt(["run-operation", "register_raw_zone"], as_of, home, stage="raw")
    if not outcome.success:
        raise DbtError("declaring the raw zone's tables on Spark failed: see the log")
    progress.emit("raw", "the raw zone's tables are declared on Spark")


def build_warehouse(
    home: Home, as_of: date, *, full_refresh: bool = False, with_tests: bool = False
) -> DbtOutcome:
    """Run the build; a failed dbt step stops it (the outcome says which nodes failed)."""
    from lifecycle.config import load_lifecycle, load_sources
    from lifecycle.incremental import has_build_record, incremental_vars, record_absorbed
    from lifecycle.predict import predict_customer_value
    from lifecycle.status import record_deliveries
    from lifecycle.target import require_warehouse_target, warehouse_target

    require_warehouse_target(warehouse_target(), "the nightly build (dbt, the CLV fit, dbt)")
    settings = load_lifecycle()
    if warehouse_target() == "postgres":
        from lifecycle.raw_load import load_raw_zone
        from lifecycle.warehouse import open_warehouse

        with open_warehouse(home) as wh:
            progress.emit("load", load_raw_zone(wh, home, load_sources()).line())
    skip = () if with_tests else NO_TESTS
    extra: dict[str, Any] = {}
    refresh: list[str] = []
    if not full_refresh and not has_build_record(home):
        full_refresh = True
        progress.emit("dbt", "no earlier build on record: every delivery is read")
    if full_refresh:
        refresh = ["--full-refresh"]
        progress.emit("dbt", f"building the warehouse for as-of {as_of} (full refresh)")
    else:
        extra.update(incremental_vars(home, as_of, settings.rules.late_data_lookback_days))
        start = extra["lifecycle__reprocess_from"]
        progress.emit(
            "dbt", f"building the warehouse for as-of {as_of} (deliveries from {start} re-read)"
        )
    first = run_dbt(
        ["build", *refresh, "--exclude", PREDICTIONS, *skip], as_of, home, dbt_vars=extra
    )
    if not first.success:
        return first
    progress.emit("predict", f"fitting predictive CLV on the orders as of {as_of}")
    report = predict_customer_value(home, as_of, settings.clv)
    progress.emit("predict", report.line())
    args = ["build", *refresh, "--select", PREDICTIONS]
    second = run_dbt([*args, "--exclude", *skip] if skip else args, as_of, home, dbt_vars=extra)
    outcome = DbtOutcome(
        success=second.success,
        failures=first.failures + second.failures,
        results=first.results + second.results,
    )
    if outcome.success:
        reprocessed = extra.get("lifecycle__reprocess_from")
        record_absorbed(home, as_of, date.fromisoformat(reprocessed) if reprocessed else None)
        record_deliveries(home, load_sources(), as_of)
    return outcome
