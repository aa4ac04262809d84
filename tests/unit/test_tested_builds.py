"""Which rows the gate's key tests of the delivery-day incremental models must check
(lifecycle.incremental.tested_from): those delivered from the earliest `reprocess_from` of the
builds since the last build whose every dbt test passed, or every row when no such build is
on record or a full refresh came since."""

from datetime import date
from pathlib import Path

import pytest

from lifecycle.incremental import record_absorbed, record_tested, tested_from, tested_vars
from lifecycle.paths import Home

AS_OF = date(2026, 6, 30)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("LIFECYCLE_TARGET", "duckdb")
    home = Home(tmp_path / "home")
    home.raw.mkdir(parents=True)
    return home


def _build(home: Home, start: date | None, as_of: date = AS_OF) -> None:
    """A build on record, as the transform task leaves it (None: a full refresh)."""
    record_absorbed(home, as_of, start)


def test_every_row_is_tested_until_a_gate_passed(home: Home) -> None:
    assert tested_from(home) is None  # no warehouse yet
    _build(home, None)
    _build(home, date(2026, 6, 16))
    assert tested_from(home) is None
    assert tested_vars(home) == {}


def test_after_a_passed_gate_only_the_next_builds_windows_are_tested(home: Home) -> None:
    _build(home, None)
    record_tested(home)
    _build(home, date(2026, 6, 17))
    assert tested_from(home) == date(2026, 6, 17)
    assert tested_vars(home) == {"lifecycle__tested_from": "2026-06-17"}


def test_a_failed_gate_leaves_its_build_to_the_next_gate(home: Home) -> None:
    _build(home, date(2026, 6, 16))
    record_tested(home)
    _build(home, date(2026, 6, 17))  # its gate failed: nothing recorded
    _build(home, date(2026, 6, 18))
    assert tested_from(home) == date(2026, 6, 17)


def test_a_backfill_since_the_gate_moves_the_start_back(home: Home) -> None:
    _build(home, date(2026, 6, 16))
    record_tested(home)
    _build(home, date(2026, 5, 22), as_of=date(2026, 6, 5))
    _build(home, date(2026, 6, 6))
    assert tested_from(home) == date(2026, 5, 22)


def test_a_full_refresh_since_the_gate_tests_every_row(home: Home) -> None:
    _build(home, date(2026, 6, 16))
    record_tested(home)
    _build(home, None)
    assert tested_from(home) is None


def test_a_gate_run_again_on_a_passed_build_retests_its_window(home: Home) -> None:
    _build(home, date(2026, 6, 16))
    record_tested(home)
    assert tested_from(home) == date(2026, 6, 16)
    record_tested(home)
    assert tested_from(home) == date(2026, 6, 16)
