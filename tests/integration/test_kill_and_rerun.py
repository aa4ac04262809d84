"""A publish killed at any point leaves the current publication entirely the old one, and
running it again gives the new one, with nothing left behind.

The publish runs in a child python whose `os.replace` sends itself SIGKILL on its N-th call
(before or just after doing it): the renames are the only steps that change what a reader
resolves (the report's rename inside the unfinished folder, the folder's rename to its
name, the day's history link, then THE switch of `serving/current`). A real kill, no mock
of publish: whatever the process left on disk is what the next run finds.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.io import table_checksum, warehouse_tables
from lifecycle.paths import ROLES, Home
from lifecycle.publish import publish
from lifecycle.quality import RESULTS_DDL

D1 = date(2026, 6, 29)
D2 = date(2026, 6, 30)
ROWS = 2_000

CHILD = """
import json, os, signal, sys
from datetime import date
from pathlib import Path

root, as_of, run_id, kill_at, when, record = sys.argv[1:7]
kill_at = int(kill_at)
real_replace = os.replace
calls = []

def replace(src, dst, *args, **kwargs):
    calls.append(str(dst))
    with open(record, "a") as fh:
        fh.write(json.dumps(str(dst)) + "\\n")
    if len(calls) == kill_at and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst, *args, **kwargs)
    if len(calls) == kill_at and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
from lifecycle.paths import Home
from lifecycle.publish import publish

publish(Home(Path(root)), run_id, date.fromisoformat(as_of), gate="passed")
"""


def _stage(home: Home, version: int) -> None:
    """The warehouse's publish schemas at one version: every role's table changes."""
    home.root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home.warehouse)) as con:
        for role in ROLES:
            con.execute(f"create schema if not exists publish_{role}")
            con.execute(
                f"create or replace table publish_{role}.rpt_{role}__t as"
                f" select {version} as version, range as n from range({ROWS + version})"
            )
        con.execute("create schema if not exists audit")
        con.execute(f"create table if not exists audit.quality_results ({RESULTS_DDL})")


def _publish_in_child(
    home: Home, as_of: date, run_id: str, kill_at: int = 0, when: str = "before"
) -> tuple[int, list[str]]:
    record = home.root / f"replace_calls_{run_id}_{kill_at}_{when}.jsonl"
    record.unlink(missing_ok=True)
    args = [str(home.root), as_of.isoformat(), run_id, str(kill_at), when, str(record)]
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True)
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    if kill_at == 0:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.returncode, calls


def _state(home: Home) -> dict[str, Any]:
    """What a reader gets through the serving paths: bytes and table checksums per role,
    and the report. Fails if any path resolves into an unfinished (`.`-named) folder."""
    serving = Path(os.path.realpath(home.serving))
    state: dict[str, Any] = {}
    for role in ROLES:
        path = home.serving_file(role)
        resolved = Path(os.path.realpath(path)).relative_to(serving)
        assert not any(part.startswith(".") for part in resolved.parts), resolved
        with duckdb.connect(str(path), read_only=True) as con:
            tables = {t: table_checksum(con, f'"{t}"') for t in warehouse_tables(con, "main")}
        state[role] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "tables": tables}
    state["report"] = hashlib.sha256(home.report_file.read_bytes()).hexdigest()
    return state


def _warehouse_checksums(home: Home) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return {
            role: table_checksum(con, f"publish_{role}.rpt_{role}__t") for role in ROLES
        }  # fmt: skip


def _temps(home: Home) -> list[str]:
    return [
        os.path.join(folder, name)
        for folder, dirs, files in os.walk(home.serving)
        for name in [*dirs, *files]
        if name.endswith((".tmp", ".wal"))
    ]


def _is_the_new_publication(home: Home, state: dict[str, Any], as_of: date) -> bool:
    wanted = _warehouse_checksums(home)
    report = home.report_file.read_text(encoding="utf-8")
    return f"as of {as_of.isoformat()}" in report and all(
        state[role]["tables"][f"rpt_{role}__t"] == wanted[role] for role in ROLES
    )


def _switch_call(home: Home, calls: list[str]) -> int:
    """1-based index of the os.replace call that switches `serving/current`."""
    current = str(home.serving_current)
    assert calls.count(current) == 1, calls
    return calls.index(current) + 1


@pytest.fixture
def published(tmp_path: Path) -> Home:
    """A home with D1 published, and the calls a full publication makes recorded."""
    home = Home(tmp_path)
    _stage(home, 1)
    publish(home, "run1", D1, gate="passed")
    return home


@pytest.mark.parametrize(
    ("as_of", "what"), [(D2, "a new day"), (D1, "the current day again, with new data")]
)
def test_a_killed_publish_leaves_the_old_publication_and_a_rerun_the_new(
    published: Home, as_of: date, what: str
) -> None:
    home = published
    before = _state(home)
    _stage(home, 2)
    # Which rename is the switch, from a rehearsal of the same publication in another home.
    rehearsal = Home(home.root / "rehearsal")
    _stage(rehearsal, 1)
    publish(rehearsal, "run1", D1, gate="passed")
    _stage(rehearsal, 2)
    _, calls = _publish_in_child(rehearsal, as_of, "run2")
    switch = _switch_call(rehearsal, calls)
    assert switch >= 3, calls  # report, folder name and history link come first

    left_behind = []
    for n in range(1, switch + 1):
        code, made = _publish_in_child(home, as_of, "run2", kill_at=n)
        assert code == -signal.SIGKILL and len(made) == n, (n, made)
        assert _state(home) == before, f"{what}: killed at rename {n} ({made[-1]})"
        left_behind += _temps(home)
    assert left_behind, "the kills left temporary files for the next run to ignore"

    code, made = _publish_in_child(home, as_of, "run2", kill_at=switch, when="after")
    assert code == -signal.SIGKILL and made[-1] == str(home.serving_current)
    assert _is_the_new_publication(home, _state(home), as_of), "switched: all new, at once"

    _publish_in_child(home, as_of, "run2")

    after = _state(home)
    assert _is_the_new_publication(home, after, as_of), what
    assert all(after[role]["tables"] != before[role]["tables"] for role in ROLES)
    assert _temps(home) == []
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        current = con.execute(
            "select distinct run_id, as_of_date from audit.publish_log where is_current"
        ).fetchall()
    assert current == [("run2", as_of)]


def test_publishing_the_same_day_twice_gives_identical_checksums(published: Home) -> None:
    publish(published, "run1-again", D1, gate="passed")

    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        rows = con.execute(
            "select run_id, role, table_name, row_count, checksum from audit.publish_log"
            " where as_of_date = ? order by role, table_name, run_id",
            [D1],
        ).fetchall()
    first = [r[1:] for r in rows if r[0] == "run1"]
    again = [r[1:] for r in rows if r[0] == "run1-again"]
    assert len(first) == len(ROLES)
    assert again == first
    assert _temps(published) == []
