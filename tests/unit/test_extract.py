import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from lifecycle.config import SourceConfig, SourcesConfig, TableConfig, load_sources
from lifecycle.extract import (
    days_to_extract,
    extract_delivery,
    extract_source,
    partition_dir,
    quarantine_dir,
)
from lifecycle.paths import Home
from lifecycle.readers import ExtractError, MissingDelivery


def _source_of(table: TableConfig) -> SourceConfig:
    return load_sources().source(table.source)


DAY = date(2026, 6, 30)
EARLIER = date(2026, 6, 29)  # a delivery before the as-of day
ORDER = {
    "order_id": "O1",
    "customer": {"customer_id": "S1", "email": "a@x.com"},
    "status": "paid",
    "currency": "EUR",
    "total_amount": 12.5,
    "placed_at": "2026-06-30T10:00:00+02:00",
    "updated_at": "2026-06-30T10:00:00+02:00",
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.delenv("LIFECYCLE_SOURCES", raising=False)
    return Home(tmp_path)


@pytest.fixture
def cfg() -> SourcesConfig:
    return load_sources()


def _orders(cfg: SourcesConfig):  # type: ignore[no-untyped-def]
    return cfg.source("orders").tables[0]


def write_orders(home: Home, day: date, lines: list[str]) -> Path:
    path = home.sources / f"orders/orders/orders_{day.isoformat()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_extract_file_counts_add_up_and_quarantine_names_the_rule(
    home: Home, cfg: SourcesConfig
) -> None:
    good = json.dumps(ORDER)
    negative = json.dumps(ORDER | {"order_id": "O2", "total_amount": -3})
    write_orders(home, DAY, [good, good, negative, '{"order_id": "O3", "sta'])

    report = extract_delivery(
        home, _source_of(_orders(cfg)), _orders(cfg), DAY, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )

    assert (report.read, report.loaded, report.quarantined, report.duplicates) == (4, 1, 2, 1)
    folder = quarantine_dir(home, _orders(cfg), DAY)
    quarantined = duckdb.sql(
        f"select _line, column_name, reason from '{folder}/data.parquet' order by _line"
    ).fetchall()
    assert quarantined[0] == (3, "total_amount", "-3 is below the minimum 0")
    assert quarantined[1][0] == 4 and quarantined[1][2].startswith("malformed JSON")


def test_extract_file_keeps_different_versions_of_a_key(home: Home, cfg: SourcesConfig) -> None:
    newer = ORDER | {"status": "shipped", "updated_at": "2026-06-30T12:00:00+02:00"}
    write_orders(home, DAY, [json.dumps(ORDER), json.dumps(newer)])

    report = extract_delivery(
        home, _source_of(_orders(cfg)), _orders(cfg), DAY, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )

    assert (report.loaded, report.duplicates) == (2, 0)


def test_extract_file_writes_text_columns_with_lineage(home: Home, cfg: SourcesConfig) -> None:
    write_orders(home, DAY, [json.dumps(ORDER)])
    extract_delivery(
        home, _source_of(_orders(cfg)), _orders(cfg), DAY, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )

    row = duckdb.sql(
        "select customer__email, total_amount, _file, _line, _delivery_date, _run_id"
        f" from '{partition_dir(home, _orders(cfg), DAY)}/data.parquet'"
    ).fetchall()[0]
    assert row == (
        "a@x.com",
        "12.5",
        "orders/orders/orders_2026-06-30.jsonl",
        1,
        "2026-06-30",
        "run1",
    )


def test_extract_file_rerun_replaces_the_partition_and_leaves_no_temp_file(
    home: Home, cfg: SourcesConfig
) -> None:
    write_orders(home, DAY, [json.dumps(ORDER), json.dumps(ORDER | {"order_id": "O2"})])
    extract_delivery(
        home, _source_of(_orders(cfg)), _orders(cfg), DAY, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )
    write_orders(home, DAY, [json.dumps(ORDER)])

    report = extract_delivery(
        home, _source_of(_orders(cfg)), _orders(cfg), DAY, "run2", datetime(2026, 7, 2, tzinfo=UTC)
    )

    folder = partition_dir(home, _orders(cfg), DAY)
    assert report.loaded == 1
    assert duckdb.sql(f"select count(*) from '{folder}/data.parquet'").fetchall() == [(1,)]
    assert sorted(p.name for p in folder.iterdir()) == ["_extract.json", "data.parquet"]


def test_extract_file_missing_file_names_table_and_path(home: Home, cfg: SourcesConfig) -> None:
    missing = r"orders\.orders: source file missing for 2026-06-30"
    with pytest.raises(MissingDelivery, match=missing):
        extract_delivery(
            home,
            _source_of(_orders(cfg)),
            _orders(cfg),
            DAY,
            "run1",
            datetime(2026, 7, 1, tzinfo=UTC),
        )


def test_extract_file_csv_header_missing_column_is_named(home: Home, cfg: SourcesConfig) -> None:
    owners = cfg.source("crm").tables[2]
    path = owners.file_for(home.sources, DAY)
    path.parent.mkdir(parents=True)
    path.write_text(
        "Id,Name,Email,Team,LastModifiedDate\nOW-1,Ann,a@x.com,emea,2026-06-30T00:00:00Z\n"
    )

    with pytest.raises(
        ExtractError, match=r"crm\.owners: .*line 1: header lacks declared column\(s\) IsActive"
    ):
        extract_delivery(
            home, _source_of(owners), owners, DAY, "run1", datetime(2026, 7, 1, tzinfo=UTC)
        )


def test_extract_file_csv_row_with_wrong_field_count_is_quarantined(
    home: Home, cfg: SourcesConfig
) -> None:
    owners = cfg.source("crm").tables[2]
    path = owners.file_for(home.sources, DAY)
    path.parent.mkdir(parents=True)
    path.write_text(
        "Id,Name,Email,Team,IsActive,LastModifiedDate\n"
        "OW-1,Ann,a@x.com,emea,true,2026-06-30T00:00:00Z\n"
        "OW-2,Bob,b@x.com,emea\n"
    )

    report = extract_delivery(
        home, _source_of(owners), owners, DAY, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )

    assert (report.read, report.loaded, report.quarantined) == (2, 1, 1)


def test_days_to_extract_catches_up_missing_days_and_skips_done_ones(
    home: Home, cfg: SourcesConfig
) -> None:
    table = _orders(cfg)
    for day in (date(2026, 6, 28), date(2026, 6, 29), DAY, date(2026, 7, 1)):
        write_orders(home, day, [json.dumps(ORDER)])
    extract_delivery(
        home, _source_of(table), table, date(2026, 6, 28), "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )

    assert days_to_extract(home, _source_of(table), table, DAY) == [date(2026, 6, 29), DAY]


def test_days_to_extract_redoes_a_day_whose_file_changed(home: Home, cfg: SourcesConfig) -> None:
    table = _orders(cfg)
    earlier = date(2026, 6, 29)
    write_orders(home, earlier, [json.dumps(ORDER)])
    write_orders(home, DAY, [json.dumps(ORDER)])
    extract_delivery(
        home, _source_of(table), table, earlier, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )
    write_orders(home, earlier, [json.dumps(ORDER | {"status": "shipped"})])

    assert days_to_extract(home, _source_of(table), table, DAY) == [earlier, DAY]


def _age(path: Path, seconds: int = 60) -> None:
    """Back-date a file's modification time (a file delivered earlier than the extract)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


def _sidecar(home: Home, table: TableConfig, day: date) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (partition_dir(home, table, day) / "_extract.json").read_text(encoding="utf-8")
    )
    return loaded


def _no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path) -> str:
        raise AssertionError(f"{path} was hashed")

    monkeypatch.setattr("lifecycle.readers.files.file_checksum", refuse)


def _extracted_earlier(home: Home, table: TableConfig, age_seconds: int = 0) -> Path:
    """An earlier day's orders file (back-dated by `age_seconds`, if any), extracted, beside
    an as-of day's file not yet extracted; the earlier file's path."""
    path = write_orders(home, EARLIER, [json.dumps(ORDER)])
    if age_seconds:
        _age(path, age_seconds)
    write_orders(home, DAY, [json.dumps(ORDER)])
    extract_delivery(
        home, _source_of(table), table, EARLIER, "run1", datetime(2026, 7, 1, tzinfo=UTC)
    )
    return path


def test_days_to_extract_does_not_read_an_unchanged_stamped_file_again(
    home: Home, cfg: SourcesConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _orders(cfg)
    _extracted_earlier(home, table, age_seconds=60)
    assert str(_sidecar(home, table, EARLIER)["source_stamp"]).startswith("size=")
    _no_hashing(monkeypatch)

    assert days_to_extract(home, _source_of(table), table, DAY) == [DAY]


def test_days_to_extract_hashes_a_file_whose_stamp_changed(home: Home, cfg: SourcesConfig) -> None:
    table = _orders(cfg)
    path = _extracted_earlier(home, table, age_seconds=120)
    # Same size, other bytes, an older time than the stamp's: only the time tells.
    path.write_text(path.read_text().replace('"paid"', '"sent"'))
    _age(path, 60)

    assert days_to_extract(home, _source_of(table), table, DAY) == [EARLIER, DAY]


def test_a_file_extracted_right_after_it_was_written_is_stamped_once_it_is_found_unchanged(
    home: Home, cfg: SourcesConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _orders(cfg)
    path = _extracted_earlier(home, table)
    # Modified within the timestamp's resolution of the read: no stamp can be trusted yet.
    assert _sidecar(home, table, EARLIER)["source_stamp"] is None
    assert days_to_extract(home, _source_of(table), table, DAY) == [DAY]
    assert _sidecar(home, table, EARLIER)["source_stamp"] is None

    _age(path)
    assert days_to_extract(home, _source_of(table), table, DAY) == [DAY]  # hashed, stamped
    assert _sidecar(home, table, EARLIER)["run_id"] == "run1"
    _no_hashing(monkeypatch)
    assert days_to_extract(home, _source_of(table), table, DAY) == [DAY]


def test_extract_source_covers_every_table_of_the_source(home: Home, cfg: SourcesConfig) -> None:
    write_orders(home, DAY, [json.dumps(ORDER)])
    for name in ("line_items", "refunds"):
        path = home.sources / f"orders/{name}/{name}_{DAY.isoformat()}.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("")

    reports = extract_source("orders", DAY, "run1", home, cfg)

    assert [(r.table, r.loaded) for r in reports] == [
        ("orders.orders", 1),
        ("orders.line_items", 0),
        ("orders.refunds", 0),
    ]


def _partitions(home: Home) -> dict[str, object]:
    """Every raw and quarantine partition's content and sidecar, less the run's own stamps
    and the source files' (their inodes differ between homes)."""
    found: dict[str, object] = {}
    for path in sorted(home.root.glob("raw/**/data.parquet")):
        rows = duckdb.sql(
            f"select * exclude (_run_id, _extracted_at) from read_parquet('{path}')"
        ).fetchall()
        found[str(path.relative_to(home.root))] = rows
    for path in sorted(home.root.glob("raw/**/_extract.json")):
        sidecar = json.loads(path.read_text())
        sidecar.pop("run_id")
        sidecar.pop("source_stamp")
        found[str(path.relative_to(home.root))] = sidecar
    return found


def test_extract_source_in_worker_processes_writes_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifecycle.demo import generate
    from lifecycle.extract import PARALLEL_MIN_DAYS

    monkeypatch.delenv("LIFECYCLE_SOURCES", raising=False)
    days = PARALLEL_MIN_DAYS + 4
    generate(tmp_path / "one" / "sources", customers=150, days=days, seed=3, end_date=DAY)
    # A file delivered again, byte for byte, three days later: a repeat found across workers.
    events = tmp_path / "one" / "sources" / "app" / "events"
    repeated = (events / "events_2026-06-20.jsonl").read_bytes()
    (events / "events_2026-06-23.jsonl").write_bytes(repeated)
    import shutil

    shutil.copytree(tmp_path / "one" / "sources", tmp_path / "two" / "sources")
    cfg = load_sources()
    results = {}
    for name, workers in (("one", "1"), ("two", "2")):
        monkeypatch.setenv("LIFECYCLE_EXTRACT_WORKERS", workers)
        home = Home(tmp_path / name)
        reports = [r for s in cfg.sources for r in extract_source(s.name, DAY, name, home, cfg)]
        assert len(reports) == days * len(cfg.tables)
        results[name] = (_partitions(home), [replace(r, source_stamp=None) for r in reports])
    assert results["one"] == results["two"]
    by_day = {(r.table, r.delivery_date): r for r in results["two"][1]}
    assert by_day["app.events", "2026-06-23"].repeat_of == "2026-06-20"
    assert by_day["app.events", "2026-06-20"].repeat_of is None
