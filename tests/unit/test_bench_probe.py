"""The benchmark's instruments: a process tree's memory, and the floor query."""

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle.bench_probe import FLOOR_TABLE, FloorSpec, TreeRss, floor_select, run_floor

MIB = 1024**2


def test_tree_rss_sees_the_memory_of_a_child_and_its_child() -> None:
    # A child that starts a grandchild holding 200 MiB: the tree's sum must include it.
    hold = "b = bytearray(200 * 1024 * 1024); import time; time.sleep(3)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {hold!r}])"
    with TreeRss(interval=0.05) as rss:
        subprocess.run([sys.executable, "-c", parent], check=True)
    assert rss.peak >= 200 * MIB
    assert max(rss.by_process.values()) >= 200 * MIB


def test_tree_rss_leaves_out_the_watching_process() -> None:
    ballast = bytearray(300 * MIB)
    with TreeRss(interval=0.05) as rss:
        time.sleep(0.2)
    assert len(ballast) and rss.peak < 100 * MIB


def test_peak_between_takes_only_the_samples_in_the_window() -> None:
    rss = TreeRss()
    rss.samples = [(1.0, 10), (2.0, 50), (3.0, 20), (4.0, 90)]

    assert rss.peak_between(1.5, 3.5) == 50
    assert rss.peak_between(5.0, 6.0) is None
    assert rss.peak == 90


def _partition(root: Path, day: str, frame: pd.DataFrame) -> None:
    folder = root / f"delivery_date={day}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "data.parquet")


def _expected(key: str, frame: pd.DataFrame, column: str, cursor: str) -> dict[tuple, tuple]:
    """The floor's aggregate computed with pandas: rows, text bytes, newest cursor per key."""
    width = sum(frame[c].astype("string").str.len().fillna(0) for c in frame.columns)
    found = {}
    for value, part in frame.assign(width=width).groupby(column, dropna=False):
        found[(key, None if pd.isna(value) else value)] = (
            len(part), int(part["width"].sum()), part[cursor].max(),
        )  # fmt: skip
    return found


def test_run_floor_writes_one_aggregate_per_customer_key_as_pandas_computes_it(
    tmp_path: Path,
) -> None:
    events = [
        pd.DataFrame({"user_id": ["u1", "u2", "u1"],
                      "ts": ["2026-01-01", "2026-01-01", "2026-01-02"],
                      "kind": ["login", "session", None], "_line": [1, 2, 3]}),
        pd.DataFrame({"user_id": ["u2", None], "ts": ["2026-01-03", "2026-01-02"],
                      "kind": ["login", "login"], "_line": [1, 2]}),
    ]  # fmt: skip
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer": ["c1", "c1"],
                           "updated": ["2026-01-05", "2026-01-04"], "_line": [1, 2]})  # fmt: skip
    for day, frame in zip(["2026-01-01", "2026-01-02"], events, strict=True):
        _partition(tmp_path / "raw" / "app" / "events", day, frame)
    _partition(tmp_path / "raw" / "orders" / "orders", "2026-01-05", orders)
    specs = [
        FloorSpec("app.events", str(tmp_path / "raw/app/events/delivery_date=*/data.parquet"),
                  "user_id", "ts"),
        FloorSpec("orders.orders", str(tmp_path / "raw/orders/orders/delivery_date=*/data.parquet"),
                  "customer", "updated"),
    ]  # fmt: skip

    result = run_floor(specs, tmp_path / "floor.duckdb")

    with duckdb.connect(str(tmp_path / "floor.duckdb"), read_only=True) as con:
        rows = con.execute(f"select * from {FLOOR_TABLE}").fetchall()
    got = {(t, k): (n, width, last) for t, k, n, width, last in rows}
    want = _expected("app.events", pd.concat(events, ignore_index=True), "user_id", "ts")
    want |= _expected("orders.orders", orders, "customer", "updated")
    assert got == want
    # two rows: user id 2 + date 10 + _line 1 each, and one "login"
    assert got[("app.events", "u1")] == (2, 2 * (2 + 10 + 1) + 5, "2026-01-02")
    assert (result.rows_read, result.keys_written, result.tables) == (7, 4, 2)
    assert result.bytes_read == sum(width for _, width, _ in want.values())


def test_floor_select_reads_every_column_it_is_given() -> None:
    sql = floor_select(FloorSpec("t.x", "/r/*.parquet", "k", "c"), ["k", "c", 'odd"name'])

    for column in ('"k"', '"c"', '"odd""name"'):
        assert f"cast({column} as varchar)" in sql
    assert sql.endswith('group by "k"')


def test_process_label_names_the_script_a_python_interpreter_runs() -> None:
    from unittest import mock

    from lifecycle.bench_probe import process_label

    def label(args: list[str]) -> str:
        proc = mock.Mock()
        proc.cmdline.return_value = args
        return process_label(proc)

    assert label(["/venv/bin/python3", "/venv/bin/dbt", "build", "--select", "x"]) == "dbt build"
    assert label(["/venv/bin/python3", "-B", "-c", "print(1)"]) == "python -c"
    assert label(["python", "-m", "lifecycle.cli", "generate"]) == "python -m lifecycle.cli"
    assert label([]) == "?"
