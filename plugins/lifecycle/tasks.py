"""Task bodies of the nightly DAG: Airflow context in, one plugin call, something small out.

Kept apart from the DAG file so the DAG parses without importing dbt, GX or pandas.
Every body holds the warehouse lock (lifecycle.lock): the extracts shared, the writers
(transform, gate, publish) exclusively. A task that finds it taken by another run fails at
once, without retries.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lifecycle.interval import as_of_for_interval
from lifecycle.lock import Mode, WarehouseBusy, hold
from lifecycle.paths import Home

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

log = logging.getLogger(__name__)


def _as_of(context: dict[str, Any]) -> date:
    return as_of_for_interval(context.get("data_interval_start"), context.get("data_interval_end"))


def _run_id(context: dict[str, Any]) -> str:
    return str(context.get("run_id") or "manual")


@contextmanager
def _locked(context: dict[str, Any], task: str, mode: Mode) -> Iterator[Home]:
    """The task's hold on the warehouse lock; refused -> AirflowFailException (no retry)."""
    from airflow.sdk.exceptions import AirflowFailException

    from lifecycle import progress

    home = Home.from_env()
    try:
        with hold(home, mode, task=task, run_id=_run_id(context), as_of=_as_of(context)):
            yield home
    except WarehouseBusy as exc:
        progress.emit("lock", str(exc))
        raise AirflowFailException(str(exc)) from exc


def source_names() -> list[str]:
    from lifecycle.config import load_sources

    return [s.name for s in load_sources().sources]


def extract(source: str, context: dict[str, Any]) -> dict[str, int]:
    """Extract one source. A delivery that cannot be read (empty, truncated, wrong header
    or encoding) and a warehouse held by another run fail at once: retrying cannot help. A
    file not there yet and other errors (I/O, network) are left to the task's retries."""
    from airflow.sdk.exceptions import AirflowFailException

    from lifecycle.config import load_sources
    from lifecycle.extract import extract_source
    from lifecycle.readers import ExtractError

    with _locked(context, f"extract {source}", Mode.SHARED) as home:
        try:
            reports = extract_source(source, _as_of(context), _run_id(context), home,
                                     load_sources())  # fmt: skip
        except ExtractError as exc:
            raise AirflowFailException(str(exc)) from exc
    return {
        "partitions": len(reports),
        "read": sum(r.read for r in reports),
        "loaded": sum(r.loaded for r in reports),
        "quarantined": sum(r.quarantined for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
    }


def transform(context: dict[str, Any]) -> dict[str, int]:
    """Build the warehouse (lifecycle.build): dbt, the CLV fit, dbt downstream of it.

    Incremental by default; the DAG param `full_refresh` rebuilds the incremental event
    models from every delivery instead (same result; state models are kept).
    """
    from lifecycle.build import build_warehouse
    from lifecycle.dbt_runner import DbtError

    full_refresh = bool((context.get("params") or {}).get("full_refresh"))
    with _locked(context, "transform", Mode.EXCLUSIVE) as home:
        outcome = build_warehouse(home, _as_of(context), full_refresh=full_refresh)
    if not outcome.success:
        raise DbtError("dbt build failed: " + "; ".join(outcome.failures))
    return {"nodes": len(outcome.results)}


def gate(context: dict[str, Any]) -> dict[str, int]:
    """Judge the build; a failure is final (no retry), and nothing is published."""
    from airflow.sdk.exceptions import AirflowFailException

    from lifecycle.config import load_lifecycle, load_sources
    from lifecycle.quality import run_gate

    with _locked(context, "gate", Mode.EXCLUSIVE) as home:
        report = run_gate(home, _as_of(context), _run_id(context), load_sources(),
                          load_lifecycle().quality)  # fmt: skip
    for check in report.failed:
        log.error(
            "gate check failed: %s %s (observed %s)", check.suite, check.check, check.observed
        )
    if not report.passed:
        raise AirflowFailException(report.summary())
    return {"checks": len(report.checks), "warnings": len(report.warnings)}


def publish(context: dict[str, Any]) -> dict[str, int]:
    """Publish the gated role tables: DuckDB snapshot files (lifecycle.publish), or on the
    PostgreSQL target role schemas swapped in one transaction (lifecycle.publish_pg)."""
    from lifecycle.publish import publish as publish_snapshots
    from lifecycle.publish_pg import publish_postgres
    from lifecycle.target import warehouse_target

    publish_now = publish_postgres if warehouse_target() == "postgres" else publish_snapshots
    with _locked(context, "publish", Mode.EXCLUSIVE) as home:
        done = publish_now(home, _run_id(context), _as_of(context), gate="passed")
    return {"tables": len(done), "rows": sum(t.row_count for t in done)}
