"""Nightly customer-lifecycle run.

Extract the four sources (one task each, in parallel) into the raw zone, build the
warehouse (dbt, the predictive-CLV fit, dbt downstream of it: lifecycle.build), gate it
(dbt tests and Great Expectations), and only then publish the role tables. Every run
covers one UTC day, its as-of date, which is also its logical date
(`lifecycle.timetable`, `lifecycle.interval`). Extraction retries; the gate never does.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, Param, dag, task

from lifecycle.paths import ROLES
from lifecycle.timetable import DailyAsOfTimetable

POOL = "lifecycle_warehouse"


@dag(
    schedule=DailyAsOfTimetable(),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["lifecycle"],
    doc_md=__doc__,
    default_args={"retries": 0},
    params={
        "full_refresh": Param(
            False,
            type="boolean",
            description="Rebuild the incremental event models from every delivery"
            " (same result as the incremental path; for after a code or config change).",
        )
    },
)
def lifecycle_daily() -> None:
    @task
    def list_sources() -> list[str]:
        from lifecycle.tasks import source_names

        return source_names()

    @task(retries=2, retry_delay=pendulum.duration(minutes=2), map_index_template="{{ source }}")
    def extract(source: str, **context: Any) -> dict[str, int]:
        from lifecycle.tasks import extract

        return extract(source, context)

    @task(pool=POOL)
    def transform(**context: Any) -> dict[str, int]:
        from lifecycle.tasks import transform

        return transform(context)

    @task(pool=POOL)
    def gate(**context: Any) -> dict[str, int]:
        from lifecycle.tasks import gate

        return gate(context)

    @task(pool=POOL, outlets=[Asset(f"lifecycle://serving/{role}") for role in ROLES])
    def publish(**context: Any) -> dict[str, int]:
        from lifecycle.tasks import publish

        return publish(context)

    extracted = extract.expand(source=list_sources())
    extracted >> transform() >> gate() >> publish()


lifecycle_daily()
