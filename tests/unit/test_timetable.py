import pendulum

from lifecycle.interval import as_of_for_interval
from lifecycle.timetable import DailyAsOfTimetable

UTC = pendulum.UTC


def test_manual_run_at_midnight_covers_that_day_like_a_backfill_run() -> None:
    interval = DailyAsOfTimetable().infer_manual_data_interval(
        run_after=pendulum.datetime(2026, 6, 30, tz=UTC)
    )
    assert as_of_for_interval(interval.start, interval.end).isoformat() == "2026-06-30"


def test_manual_run_triggered_during_a_day_covers_the_last_complete_day() -> None:
    interval = DailyAsOfTimetable().infer_manual_data_interval(
        run_after=pendulum.datetime(2026, 6, 30, 16, 5, tz=UTC)
    )
    assert (interval.start, interval.end) == (
        pendulum.datetime(2026, 6, 29, tz=UTC),
        pendulum.datetime(2026, 6, 30, tz=UTC),
    )


def test_timetable_read_back_from_serialization_keeps_the_manual_rule() -> None:
    table = DailyAsOfTimetable.deserialize(DailyAsOfTimetable().serialize())
    interval = table.infer_manual_data_interval(run_after=pendulum.datetime(2026, 6, 30, tz=UTC))
    assert interval.start == pendulum.datetime(2026, 6, 30, tz=UTC)
