from datetime import UTC, date, datetime

import pytest

from lifecycle.interval import IntervalError, as_of_for_interval, interval_for_as_of
from lifecycle.orchestrate import logical_date_for


def test_as_of_for_interval_is_the_covered_day() -> None:
    start = datetime(2026, 6, 30, tzinfo=UTC)
    end = datetime(2026, 7, 1, tzinfo=UTC)
    assert as_of_for_interval(start, end) == date(2026, 6, 30)


def test_as_of_for_interval_rejects_a_run_without_interval() -> None:
    with pytest.raises(IntervalError, match="no data interval"):
        as_of_for_interval(None, None)


def test_as_of_for_interval_rejects_zero_width_interval() -> None:
    moment = datetime(2026, 6, 30, tzinfo=UTC)
    with pytest.raises(IntervalError, match="one UTC day"):
        as_of_for_interval(moment, moment)


def test_interval_for_as_of_round_trips() -> None:
    assert as_of_for_interval(*interval_for_as_of(date(2026, 2, 28))) == date(2026, 2, 28)


def test_logical_date_for_is_the_as_of_midnight() -> None:
    assert logical_date_for(date(2026, 6, 30)) == "2026-06-30T00:00:00+00:00"
