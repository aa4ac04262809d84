"""Killing an extract mid-way (a real SIGKILL, at a chosen file operation) and running it again
leaves no partial partition and no temporary file read as data: the raw zone ends up exactly as
an uninterrupted extract makes it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from lifecycle.config import load_sources
from lifecycle.extract import extract_source
from lifecycle.paths import Home

DAY = date(2026, 6, 30)
SOURCE = "orders"

# Runs the extract in a child process that kills itself (SIGKILL: no cleanup, no finally)
# at the N-th rename into place, i.e. with temporary files written and not yet renamed.
KILLER = """
import os, signal, sys
from datetime import date
from pathlib import Path
from lifecycle.config import load_sources
from lifecycle.extract import extract_source
from lifecycle.paths import Home

kill_at, calls, real = int(sys.argv[2]), [0], os.replace
def replace(src, dst):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
os.replace = replace
extract_source(sys.argv[3], date.fromisoformat(sys.argv[4]), "killed", Home(Path(sys.argv[1])),
               load_sources())
"""


def _raw_zone(home: Home) -> dict[str, list[tuple[object, ...]]]:
    """Every raw and quarantine partition's rows without the run's lineage stamps."""
    found = {}
    for path in sorted([*home.raw.glob(f"{SOURCE}/*/*/data.parquet"),
                        *home.quarantine.glob(f"{SOURCE}/*/*/data.parquet")]):  # fmt: skip
        rows = duckdb.sql(
            f"select * exclude (_run_id, _extracted_at) from '{path}' order by all"
        ).fetchall()
        found[path.relative_to(home.root).as_posix()] = rows
    return found


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lifecycle.demo import generate

    folder = tmp_path_factory.mktemp("kill-sources")
    generate(folder, customers=200, days=20, seed=5, end_date=DAY)
    return folder


@pytest.fixture(scope="module")
def clean(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("clean"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_SOURCES", str(sources))
        extract_source(SOURCE, DAY, "clean", home, load_sources())
    return home


@pytest.mark.parametrize("kill_at", [1, 2, 3, 14, 40])
def test_a_killed_extract_rerun_gives_the_uninterrupted_result(
    sources: Path, clean: Home, tmp_path: Path, kill_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFECYCLE_SOURCES", str(sources))
    home = Home(tmp_path / "home")
    # One process: the renames counted are the extract's own (workers: the test below).
    env = os.environ | {"LIFECYCLE_SOURCES": str(sources), "LIFECYCLE_EXTRACT_WORKERS": "1"}
    child = subprocess.run(
        [sys.executable, "-c", KILLER, str(home.root), str(kill_at), SOURCE, DAY.isoformat()],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert child.returncode == -9, child.stderr  # it really was killed mid-way
    assert list(home.raw.rglob(".*.tmp")), "the kill left no temporary file to clean up"

    extract_source(SOURCE, DAY, "rerun", home, load_sources())

    assert not list(home.root.rglob("*.tmp"))
    assert _raw_zone(home) == _raw_zone(clean)
    partitions = sorted(p.parent for p in home.raw.glob(f"{SOURCE}/*/*/data.parquet"))
    assert all((p / "_extract.json").is_file() for p in partitions)


# Runs the extract with two worker processes and prints the process id of each worker as it
# starts, for the test to kill the extract (the workers' parent) while they write partitions.
PARALLEL = """
import os, sys
from datetime import date
from pathlib import Path
from lifecycle.config import load_sources
from lifecycle.extract import extract_source
from lifecycle.paths import Home

extract_source(sys.argv[2], date.fromisoformat(sys.argv[3]), "killed", Home(Path(sys.argv[1])),
               load_sources())
"""


def test_workers_die_with_a_killed_extract_and_the_rerun_gives_the_uninterrupted_result(
    sources: Path, clean: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import time

    import psutil

    monkeypatch.setenv("LIFECYCLE_SOURCES", str(sources))
    home = Home(tmp_path / "home")
    env = os.environ | {"LIFECYCLE_SOURCES": str(sources), "LIFECYCLE_EXTRACT_WORKERS": "2"}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARALLEL, str(home.root), SOURCE, DAY.isoformat()], env=env
    )
    deadline = time.monotonic() + 60
    while len(list(home.raw.glob(f"{SOURCE}/*/*/_extract.json"))) < 3:
        assert parent.poll() is None, "the extract ended before it could be killed"
        assert time.monotonic() < deadline, "no partition written within a minute"
        time.sleep(0.02)
    workers = psutil.Process(parent.pid).children(recursive=True)
    assert workers, "the extract started no worker processes"
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    def running(process: psutil.Process) -> bool:  # a zombie is dead, only not reaped yet
        try:
            return process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    stop = time.monotonic() + 1
    while any(running(w) for w in workers) and time.monotonic() < stop:
        time.sleep(0.02)
    assert not [w for w in workers if running(w)], "workers outlived the killed extract"
    written = sorted(home.raw.rglob("*"))
    time.sleep(0.5)
    assert sorted(home.raw.rglob("*")) == written, "a partition was written after the kill"

    extract_source(SOURCE, DAY, "rerun", home, load_sources())

    assert not list(home.root.rglob("*.tmp"))
    assert _raw_zone(home) == _raw_zone(clean)
