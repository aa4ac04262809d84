"""The benchmark's two instruments: the memory of a process tree, and the floor query.

`TreeRss` samples, in a thread, the resident memory (RSS) summed over every descendant of a
process (by default the calling one, which is left out: it only watches). Airflow runs dbt as a
child process, and the nightly run is `airflow dags test` run as a child of the bench, so the
sum over the tree is what the machine must hold. A sum of RSS counts pages that processes share
(shared libraries) once per process: it is an upper bound, as an operator's `top` would show.
Spikes shorter than the sampling interval can be missed.

`floor_*` is the hardware floor of issue 9: one DuckDB query that reads every column of every
loaded raw partition once and writes one aggregate row per customer key of each raw table
(rows, bytes of text, newest cursor) into a new DuckDB file. No pipeline can build the
warehouse from the raw zone faster than it can read the raw zone once; the ratio of the dbt
stage to this query says how far the models are from that. Quarantined rows (rejects, under
1% of the input) are left out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from types import TracebackType

    from lifecycle.config import SourcesConfig

# The column that names the customer (or the record that leads to one) in each demo table;
# any other table is grouped by its primary key. The floor does not resolve identities
# across systems: that is the pipeline's work, not a read of the input.
FLOOR_KEYS = {
    "app.events": "user_id",
    "orders.orders": "customer__customer_id",
    "orders.line_items": "order_id",
    "orders.refunds": "order_id",
    "support.tickets": "requester_email",
    "support.satisfaction_ratings": "ticket_id",
}
FLOOR_TABLE = "floor_per_customer"


def process_label(proc: psutil.Process) -> str:
    """What a process is, for the reader: `dbt build`, `airflow dags`, `java`, ..."""
    import os

    try:
        args = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "?"
    if not args:
        return "?"
    names = [os.path.basename(a) for a in args]
    if names[0].startswith("python") and len(names) > 1:
        rest = [a for a in names[1:] if a not in ("-B", "-u", "-E", "-s", "-I", "-O")]
        if rest and rest[0] in ("-c", "-m"):
            return "python " + " ".join(rest[:2]) if rest[0] == "-m" else "python -c"
        names = rest or names[:1]  # the script a python interpreter runs
    return " ".join(names[:2])


def tree_rss(root: int, include_root: bool = False) -> dict[int, int]:
    """Bytes resident per process (pid) in the tree under `root` (its descendants, and
    itself if asked)."""
    try:
        top = psutil.Process(root)
        procs = top.children(recursive=True)
    except psutil.NoSuchProcess:
        return {}
    if include_root:
        procs.append(top)
    found = {}
    for proc in procs:
        try:
            found[proc.pid] = int(proc.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # ended between the listing and the reading
    return found


class TreeRss:
    """Context manager: samples the tree's RSS every `interval` seconds while it is open.

    `samples` holds (epoch seconds, bytes summed over the tree); `peak` is the largest,
    `peak_between` the largest within a time window (a stage of the run), and `by_process`
    the largest RSS each kind of process reached (`process_label`).
    """

    def __init__(self, root: int | None = None, interval: float = 0.1, include_root: bool = False):
        import os

        self.root = os.getpid() if root is None else root
        self.interval = interval
        self.include_root = include_root
        self.samples: list[tuple[float, int]] = []
        self.by_process: dict[str, int] = {}
        self._labels: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tree-rss", daemon=True)

    def _sample(self) -> None:
        per_pid = tree_rss(self.root, self.include_root)
        self.samples.append((time.time(), sum(per_pid.values())))
        for pid, rss in per_pid.items():
            label = self._labels.get(pid)
            if label is None:
                try:
                    label = process_label(psutil.Process(pid))
                except psutil.NoSuchProcess:
                    continue
                self._labels[pid] = label
            self.by_process[label] = max(rss, self.by_process.get(label, 0))

    def _loop(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    def peak_between(self, start: float, end: float) -> int | None:
        inside = [rss for at, rss in self.samples if start <= at <= end]
        return max(inside) if inside else None


@dataclass(frozen=True)
class FloorSpec:
    """One raw table for the floor: its name, its partitions (a glob), key and cursor columns."""

    table_key: str
    pattern: str
    key_column: str
    cursor_column: str


@dataclass(frozen=True)
class FloorResult:
    seconds: float
    rows_read: int
    keys_written: int
    bytes_read: int
    tables: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "rows_read": self.rows_read,
            "keys_written": self.keys_written,
            "text_bytes_read": self.bytes_read,
            "tables": self.tables,
            "rows_per_s": self.rows_read / self.seconds if self.seconds > 0 else None,
        }


def floor_specs(raw: Path, cfg: SourcesConfig) -> list[FloorSpec]:
    """A spec for every configured table with at least one loaded partition under `raw`."""
    from lifecycle.config import raw_name
    from lifecycle.extract import PARTITION

    specs = []
    for table in cfg.tables:
        folder = raw / table.source / table.name
        if not any(folder.glob(f"{PARTITION}=*/data.parquet")):
            continue
        key = FLOOR_KEYS.get(table.key, raw_name(table.primary_key))
        specs.append(
            FloorSpec(
                table.key,
                str(folder / f"{PARTITION}=*" / "data.parquet"),
                key,
                raw_name(table.cursor),
            )  # fmt: skip
        )
    return specs


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def floor_select(spec: FloorSpec, columns: Sequence[str]) -> str:
    """One table's part of the floor: every column read, one row per key."""
    scan = (
        f"read_parquet({_literal(spec.pattern)}, hive_partitioning = false, union_by_name = true)"
    )
    width = " + ".join(f"coalesce(strlen(cast({_quote(c)} as varchar)), 0)" for c in columns)
    return (
        f"select {_literal(spec.table_key)} as table_key,"
        f" cast({_quote(spec.key_column)} as varchar) as customer_key,"
        f" count(*) as row_count, sum({width or '0'}) as text_bytes,"
        f" max({_quote(spec.cursor_column)}) as last_cursor"
        f" from {scan} group by {_quote(spec.key_column)}"
    )


def run_floor(specs: Sequence[FloorSpec], out_db: Path) -> FloorResult:
    """Time the floor query into a new DuckDB file at `out_db` (replaced if it exists)."""
    import duckdb

    if not specs:
        raise ValueError("the floor needs at least one raw table with partitions")
    out_db.unlink(missing_ok=True)
    for stale in out_db.parent.glob(out_db.name + ".wal"):
        stale.unlink()
    started = time.perf_counter()
    con = duckdb.connect(str(out_db))
    try:
        parts = []
        for spec in specs:
            scan = f"select * from read_parquet({_literal(spec.pattern)}, union_by_name = true,"
            described = con.execute(f"describe {scan} hive_partitioning = false)").fetchall()
            parts.append(floor_select(spec, [str(row[0]) for row in described]))
        con.execute(f"create table {FLOOR_TABLE} as " + "\nunion all\n".join(parts))
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
        keys, rows, width = con.execute(
            f"select count(*), sum(row_count), sum(text_bytes) from {FLOOR_TABLE}"
        ).fetchone() or (0, 0, 0)
    finally:
        con.close()
    return FloorResult(seconds, int(rows or 0), int(keys or 0), int(width or 0), len(specs))
