"""Write-audit-publish from a reader's side: a BI session opening a role's serving file in a
loop, in another process, while publications replace it, sees the old or the new state,
never a mix of the two, a missing table or a lock error.

The readers open `serving/marketing.duckdb`, the link through `serving/current` that every
publication switches. The test prints its figures (reads done, inconsistencies seen; `pytest
-s` shows them) and carries them in its assertion messages."""

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lifecycle.paths import ROLES, Home
from lifecycle.publish import publish
from lifecycle.quality import RESULTS_DDL

# Big enough that writing a file takes a while: a non-atomic swap would be caught mid-write.
ROWS = 500_000
READERS = 3

READER = """
import json, os, sys, duckdb
path, out, done = sys.argv[1], sys.argv[2], sys.argv[3]
seen = []
while not os.path.exists(done):
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            tables = sorted(r[0] for r in con.execute("show tables").fetchall())
            a = con.execute("select max(version), count(*) from rpt_marketing__a").fetchall()[0]
            b = con.execute("select max(version), count(*) from rpt_marketing__b").fetchall()[0]
        finally:
            con.close()
        seen.append({"tables": tables, "a": list(a), "b": list(b)})
    except Exception as exc:
        seen.append({"error": f"{type(exc).__name__}: {exc}"})
json.dump(seen, open(out, "w"))
"""


def _stage(home: Home, version: int) -> None:
    """The warehouse's publish schemas at one version (every table says which)."""
    with duckdb.connect(str(home.warehouse)) as con:
        for role in ROLES:
            con.execute(f"create schema if not exists publish_{role}")
        for name in ("a", "b"):
            con.execute(
                f"create or replace table publish_marketing.rpt_marketing__{name} as"
                f" select {version} as version, range as n from range({ROWS + version})"
            )
        for role in ROLES:
            if role != "marketing":
                con.execute(f"create or replace table publish_{role}.rpt_{role}__t as select 1")
        con.execute("create schema if not exists audit")
        con.execute(f"create table if not exists audit.quality_results ({RESULTS_DDL})")


@pytest.mark.parametrize("publications", [10])
def test_a_reader_sees_old_or_new_never_a_mix(tmp_path: Path, publications: int) -> None:
    home = Home(tmp_path)
    day = date(2026, 6, 1)
    _stage(home, 1)
    publish(home, "run1", day, gate="passed")
    outs = [tmp_path / f"seen_{i}.json" for i in range(READERS)]
    done = tmp_path / "done"
    target = home.serving_file("marketing")
    assert target.is_symlink(), "readers open the stable link, not a snapshot file"
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(target), str(out), str(done)])
        for out in outs
    ]
    time.sleep(1.5)  # the readers are looping before the first swap
    for version in range(2, publications + 2):
        _stage(home, version)
        publish(home, f"run{version}", day + timedelta(days=version), gate="passed")
    time.sleep(0.5)
    done.touch()
    assert [r.wait(timeout=120) for r in readers] == [0] * READERS
    seen = [json.loads(out.read_text()) for out in outs]
    problems = [p for reads in seen for p in _inconsistencies(reads)]
    versions = {s["a"][0] for reads in seen for s in reads if "a" in s}
    figures = (
        f"{READERS} readers through {target} -> {os.readlink(target)}: {publications}"
        f" publications, {sum(len(reads) for reads in seen)} reads"
        f" ({', '.join(str(len(reads)) for reads in seen)}), {len(problems)} inconsistencies,"
        f" versions seen {sorted(versions)}"
    )
    print(f"\nreader figures: {figures}")
    assert not problems, f"{figures}; first: {problems[:3]}"
    for reads in seen:
        overlapped = {s["a"][0] for s in reads}
        assert len(overlapped) >= 3, f"{figures}; a reader overlapped too few: {overlapped}"
        assert reads[-1]["a"][0] == publications + 1, figures


def _inconsistencies(seen: list[dict[str, Any]]) -> list[str]:
    """Every read that was not one whole publication, or went back in time."""
    found = []
    last = 0
    for s in seen:
        if "error" in s:
            found.append(f"error: {s['error']}")
        elif s["tables"] != ["rpt_marketing__a", "rpt_marketing__b"]:
            found.append(f"tables: {s}")
        elif s["a"] != s["b"]:
            found.append(f"a mix of two publications: {s}")
        elif s["a"][1] != ROWS + s["a"][0]:
            found.append(f"a half-written table: {s}")
        elif s["a"][0] < last:
            found.append(f"back in time: {last} -> {s['a'][0]}")
        else:
            last = s["a"][0]
    return found
