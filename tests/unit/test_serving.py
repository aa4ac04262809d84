import hashlib
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from lifecycle.paths import ROLES, Home
from lifecycle.publish import publish
from lifecycle.quality import RESULTS_DDL
from lifecycle.serving import current_day, tidy

D1 = date(2026, 6, 29)
D2 = date(2026, 6, 30)


def _stage(home: Home, version: int) -> None:
    home.root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.warehouse)) as con:
        for role in ROLES:
            con.execute(f"create schema if not exists publish_{role}")
            con.execute(
                f"create or replace table publish_{role}.rpt_{role}__t as select {version} as n"
            )
        con.execute("create schema if not exists audit")
        con.execute(f"create table if not exists audit.quality_results ({RESULTS_DDL})")


def _read(home: Home, role: str) -> int:
    with duckdb.connect(str(home.serving_file(role)), read_only=True) as con:
        row = con.execute(f"select n from rpt_{role}__t").fetchone()
    assert row is not None
    return int(row[0])


def _digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    _stage(home, 1)
    publish(home, "run1", D1, gate="passed")
    return home


def test_publish_switches_every_role_through_one_link(home: Home) -> None:
    assert os.readlink(home.serving_current) == f"publications/{D1}.1"
    for role in ROLES:
        assert os.readlink(home.serving_file(role)) == f"current/{role}.duckdb"
    assert os.readlink(home.report_file) == "../current/report.html"
    assert os.readlink(home.serving_history(D1)) == f"../publications/{D1}.1"
    assert current_day(home) == D1

    _stage(home, 2)
    publish(home, "run2", D1, gate="passed")  # the current day again: a new folder

    assert os.readlink(home.serving_current) == f"publications/{D1}.2"
    assert {_read(home, role) for role in ROLES} == {2}


def test_tidy_removes_leftovers_of_killed_runs_and_superseded_publications(home: Home) -> None:
    _stage(home, 2)
    publish(home, "run2", D1, gate="passed")
    publish(home, "run3", D2, gate="passed")
    left = [
        home.publications / f".{D2}.999.tmp",  # an unfinished publication folder
        home.serving / ".current.999.tmp",  # a link about to be switched in
        home.serving / ".sales.duckdb.999.tmp",  # the old layout's temporary snapshot
        home.serving / ".sales.duckdb.999.tmp.wal",  # and DuckDB's log beside it
    ]
    left[0].mkdir()
    (left[0] / "sales.duckdb").write_bytes(b"half")
    left[1].symlink_to(f"publications/{D2}.1")
    left[2].write_bytes(b"half")
    left[3].write_bytes(b"log")

    tidy(home, D2)

    assert not [p for p in left if p.exists() or p.is_symlink()]
    kept = sorted(p.name for p in home.publications.iterdir())
    assert kept == [f"{D1}.2", f"{D2}.1"]  # D1.1 was superseded by the second run of D1
    assert {_read(home, role) for role in ROLES} == {2}


def test_a_folder_named_but_never_linked_is_pruned_or_becomes_a_missing_days_entry(
    home: Home,
) -> None:
    orphan = home.publications / f"{D1}.7"  # a run died between naming and linking
    shutil.copytree(home.publications / f"{D1}.1", orphan)
    lone = home.publications / f"{D2}.1"  # and one whose day has no entry at all
    shutil.copytree(home.publications / f"{D1}.1", lone)

    tidy(home, D1)

    assert not orphan.exists()
    assert os.readlink(home.serving_history(D2)) == f"../publications/{D2}.1"
    assert os.readlink(home.serving_current) == f"publications/{D1}.1"


def test_publish_takes_over_a_home_of_the_layout_before_links(home: Home, tmp_path: Path) -> None:
    # The old layout: regular files in serving/ and history/<as-of>/, copied one by one.
    old = Home(tmp_path / "old")
    shutil.copytree(home.root, old.root, symlinks=False)
    for name in ("current", "publications"):
        path = old.serving / name
        path.unlink() if path.is_symlink() else shutil.rmtree(path)
    assert not any(p.is_symlink() for p in old.serving.rglob("*"))
    files = [old.serving_file(role) for role in ROLES] + [old.report_file]
    before = _digest(files)
    inodes = {p.name: p.stat().st_ino for p in files}

    _stage(old, 0)
    publish(old, "run0", date(2026, 6, 1), gate="passed")  # an older day: current stays

    assert all(p.is_symlink() for p in files)
    assert _digest(files) == before
    assert {p.name: p.stat().st_ino for p in files} == inodes  # the same files, linked
    assert current_day(old) == D1
    assert old.serving_history(D1).is_dir() and not old.serving_history(D1).is_symlink()

    _stage(old, 3)
    publish(old, "run3", D1, gate="passed")  # the current day again: history becomes a link

    assert {_read(old, role) for role in ROLES} == {3}
    assert old.serving_history(D1).is_symlink()
    assert not [p for p in old.serving.rglob("*") if p.name.endswith(".tmp")]
