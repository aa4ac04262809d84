"""The extract against the generator's ground truth: every planted defect is accounted for."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from lifecycle.config import load_sources
from lifecycle.extract import read_report
from lifecycle.paths import Home

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def extracted(load_home: Callable[..., tuple[Home, dict[str, Any]]]) -> tuple[Home, dict[str, Any]]:
    return load_home("extract", customers=600, days=45, seed=7, end=END)


def test_extract_counts_match_planted_defects_per_table(
    extracted: tuple[Home, dict[str, Any]],
) -> None:
    home, manifest = extracted
    for table in load_sources().tables:
        truth = manifest["tables"][table.key]
        reports = [read_report(home, table, date.fromisoformat(d)) for d in truth["by_day"]]
        assert all(r is not None for r in reports), (
            f"{table.key}: a delivered day was not extracted"
        )
        got = {
            "read": sum(r.read for r in reports if r),
            "quarantined": sum(r.quarantined for r in reports if r),
            "duplicates": sum(r.duplicates for r in reports if r),
        }
        want = {
            "read": truth["records_written"],
            "quarantined": truth["malformed"] + truth["impossible"],
            "duplicates": truth["exact_duplicates"],
        }
        assert got == want, table.key


def test_extract_counts_add_up_in_every_partition(extracted: tuple[Home, dict[str, Any]]) -> None:
    home, manifest = extracted
    for table in load_sources().tables:
        for day in manifest["tables"][table.key]["by_day"]:
            report = read_report(home, table, date.fromisoformat(day))
            assert report is not None and report.adds_up(), (table.key, day)


def test_extract_first_run_catches_up_every_delivered_day(
    extracted: tuple[Home, dict[str, Any]],
) -> None:
    home, _ = extracted
    days = sorted(p.name for p in (home.raw / "orders" / "orders").iterdir())
    assert len(days) == 45
    assert days[-1] == "delivery_date=2026-06-30"


def test_extract_plants_were_actually_exercised(extracted: tuple[Home, dict[str, Any]]) -> None:
    _, manifest = extracted
    tables = manifest["tables"]
    assert tables["orders.orders"]["malformed"] > 0
    assert tables["app.events"]["exact_duplicates"] > 0
    assert sum(t["impossible"] for t in tables.values()) > 0


def test_extract_manifest_is_not_read_by_the_pipeline(
    extracted: tuple[Home, dict[str, Any]],
) -> None:
    home, _ = extracted
    files = {json.loads(p.read_text())["file"] for p in home.raw.rglob("_extract.json")}
    assert not any(name.startswith("_truth") for name in files)
    assert not any(Path(name).parts[0] == "_truth" for name in files)
