"""Which deliveries an incremental build re-reads (lifecycle.incremental.reprocess_from): the
look-back window, moved back to any older delivery of any raw table that arrived, changed or
was removed since the last build."""

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from lifecycle.incremental import raw_deliveries, record_absorbed, reprocess_from
from lifecycle.paths import Home

AS_OF = date(2026, 6, 30)
LOOKBACK = 7
WINDOW = AS_OF - timedelta(days=LOOKBACK)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("LIFECYCLE_TARGET", "duckdb")
    home = Home(tmp_path / "home")
    for day in range(1, 31):
        for table in ("crm/contacts", "app/events"):
            _deliver(home, table, date(2026, 6, day), sha=f"{table}-{day}")
    record_absorbed(home, AS_OF - timedelta(days=1), None)
    return home


def _deliver(home: Home, table: str, day: date, sha: str) -> Path:
    """A complete raw partition: its data file and the sidecar the extract writes last."""
    folder = home.raw / table / f"delivery_date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.parquet").write_bytes(b"")
    (folder / "_extract.json").write_text(json.dumps({"sha256": sha}), encoding="utf-8")
    return folder


def test_every_raw_table_is_in_the_ledger(home: Home) -> None:
    tables = {table for table, _ in raw_deliveries(home)}
    assert tables == {"crm.contacts", "app.events"}


def test_nothing_changed_rereads_the_look_back_window(home: Home) -> None:
    assert reprocess_from(home, AS_OF, LOOKBACK) == WINDOW


def test_a_corrected_crm_export_moves_the_start_to_its_day(home: Home) -> None:
    _deliver(home, "crm/contacts", date(2026, 6, 3), sha="corrected")
    assert reprocess_from(home, AS_OF, LOOKBACK) == date(2026, 6, 3)


def test_a_late_delivery_moves_the_start_to_its_day(home: Home) -> None:
    _deliver(home, "app/events", date(2026, 5, 20), sha="late")
    assert reprocess_from(home, AS_OF, LOOKBACK) == date(2026, 5, 20)


def test_a_removed_delivery_moves_the_start_to_its_day(home: Home) -> None:
    shutil.rmtree(home.raw / "app/events" / "delivery_date=2026-06-05")
    assert reprocess_from(home, AS_OF, LOOKBACK) == date(2026, 6, 5)
