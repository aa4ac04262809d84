"""The nightly DAG's timetable: one UTC day per run, and the logical date is that day.

Airflow's `CronDataIntervalTimetable` gives scheduled and backfill runs with logical date D
the interval [D, D+1), but infers a manual run's interval as the last complete one before
its logical date, [D-1, D). `airflow dags test DAG D` is such a manual run, so the two kinds
of run disagreed on what logical date D means, and a backfill of D re-ran a manual run of
D-1 that held the same logical date. Here a manual run whose logical date is a midnight
covers that day too, so every run of logical date D has as-of date D; a manual run
triggered "now" (not at midnight) still covers the last complete day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.plugins_manager import AirflowPlugin
from airflow.timetables.base import DataInterval
from airflow.timetables.interval import CronDataIntervalTimetable

if TYPE_CHECKING:
    from pendulum import DateTime


class DailyAsOfTimetable(CronDataIntervalTimetable):
    """Daily UTC intervals; a manual run at midnight D covers [D, D+1)."""

    def __init__(self) -> None:
        super().__init__("0 0 * * *", timezone="UTC")

    def serialize(self) -> dict[str, object]:
        return {}

    @classmethod
    def deserialize(cls, data: dict[str, object]) -> DailyAsOfTimetable:
        return cls()

    @property
    def summary(self) -> str:
        return "daily at 00:00 UTC, run D covers day D"

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        start = self._align_to_prev(run_after)
        if start == run_after:
            return DataInterval(start=start, end=self._get_next(start))
        return super().infer_manual_data_interval(run_after=run_after)


class LifecycleTimetablePlugin(AirflowPlugin):
    """Registers the timetable so serialized DAGs can be read back (entry point in pyproject)."""

    name = "lifecycle_timetables"
    timetables = [DailyAsOfTimetable]
