"""The raw zone as tables, for a warehouse that cannot read Parquet (the `postgres` target).

dbt on DuckDB reads the raw zone's Parquet directly (`external_location` of the sources);
dbt-postgres cannot, so before dbt runs, every raw partition is copied into
`raw_<source>.<table>` and every quarantine partition into `raw_quarantine.rows`, which the
same dbt sources resolve to on PostgreSQL (their `schema`). The tables hold what DuckDB's
`read_parquet(..., union_by_name = true)` reads: every `data.parquet` of the table, text
columns plus `_line` as bigint, a column missing from an older partition null.

Only what changed is copied: the ledger `audit.raw_loads` keeps the sha256 of each partition
file loaded, and a partition is replaced (its delivery day's rows deleted, the file copied)
when its file's sha256 differs or it is new; a partition gone from the raw zone is deleted.
The ledger also keeps each file's stamp (size, modification time, inode): a file whose stamp
is unchanged is not hashed again, so a night does not read the whole raw zone. The extract
writes every partition file anew and renames it into place, so a rewritten file always has a
new inode and time.
The file's own checksum, not the sidecar's (`_extract.json` holds the *source* file's
sha256): a re-extraction of the same source file writes new lineage (`_run_id`) and, after a
rule change, new quarantine rows, and the tables must follow. Everything is one transaction:
dbt sees the raw zone before or after the load, never half of it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecycle.extract import LINEAGE_COLUMNS, PARTITION, QUARANTINE_COLUMNS
from lifecycle.readers.files import file_stamp

if TYPE_CHECKING:
    from pathlib import Path

    from lifecycle.config import SourcesConfig, TableConfig
    from lifecycle.paths import Home
    from lifecycle.warehouse import Warehouse

log = logging.getLogger(__name__)
LEDGER = "audit.raw_loads"
LEDGER_DDL = (
    "table_key varchar, delivery_date varchar, sha256 varchar, row_count bigint, file_stamp varchar"
)
QUARANTINE_TABLE = "raw_quarantine.rows"
QUARANTINE_KEY = "_quarantine"


@dataclass(frozen=True)
class RawLoadReport:
    loaded: int  # partitions copied (new or changed)
    rows: int  # rows they hold
    unchanged: int
    removed: int

    def line(self) -> str:
        return (
            f"raw zone -> warehouse tables: {self.loaded} partition(s) copied ({self.rows:,}"
            f" rows), {self.unchanged} unchanged, {self.removed} removed"
        )


def raw_table(table: TableConfig) -> str:
    """Where a raw table lives in the warehouse (the dbt source's schema and identifier)."""
    return f"raw_{table.source}.{table.name}"


def _ddl(names: list[str]) -> str:
    return ", ".join(f'"{n}" {"bigint" if n == "_line" else "varchar"}' for n in names)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _partitions(folder: Path) -> dict[str, Path]:
    """Delivery day -> partition file, as DuckDB's glob `*/data.parquet` finds them."""
    return {
        path.parent.name.split("=", 1)[1]: path
        for path in sorted(folder.glob(f"{PARTITION}=*/data.parquet"))
    }


def _ensure_table(wh: Warehouse, qualified: str, names: list[str]) -> set[str]:
    """Create the table (declared columns) if missing; its columns now."""
    wh.create_table(qualified, _ddl(names))
    schema, name = qualified.split(".")
    wh.execute(f'create index if not exists "{name}__delivery" on {qualified} (_delivery_date)')
    rows = wh.query(
        "select column_name from information_schema.columns"
        " where table_schema = ? and table_name = ?",
        [schema, name],
    )
    return {str(r[0]) for r in rows}


def _copy_partition(wh: Warehouse, qualified: str, columns: set[str], path: Path) -> int:
    """Append one Parquet file; a column the table lacks is added first (union by name)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pq.read_table(path)
    for name in data.column_names:
        if name not in columns:
            kind = "bigint" if pa.types.is_integer(data.schema.field(name).type) else "varchar"
            wh.execute(f'alter table {qualified} add column "{name}" {kind}')
            columns.add(name)
    wh.copy_arrow(qualified, data)
    return int(data.num_rows)


def load_raw_zone(wh: Warehouse, home: Home, sources: SourcesConfig) -> RawLoadReport:
    """Bring the raw tables in line with the raw zone on disk, in one transaction."""
    loaded = rows = unchanged = removed = 0
    with wh.transaction():
        wh.create_table(LEDGER, LEDGER_DDL)
        # A ledger written before stamps were kept gains the column.
        wh.execute(f"alter table {LEDGER} add column if not exists file_stamp varchar")
        recorded = wh.query(f"select table_key, delivery_date, sha256, file_stamp from {LEDGER}")
        ledger = {(str(t), str(d)): str(s) for t, d, s, _ in recorded}
        stamps = {(str(t), str(d)): st for t, d, _, st in recorded}
        quarantine_columns = _ensure_table(wh, QUARANTINE_TABLE, list(QUARANTINE_COLUMNS))
        for table in sources.tables:
            qualified = raw_table(table)
            names = [c.name for c in table.columns] + list(LINEAGE_COLUMNS)
            columns = _ensure_table(wh, qualified, names)
            for kind, folder, target, cols, where in (
                ("data", home.raw / table.source / table.name, qualified, columns,
                 "_delivery_date = ?"),
                ("quarantine", home.quarantine / table.source / table.name, QUARANTINE_TABLE,
                 quarantine_columns, "_source = ? and _table = ? and _delivery_date = ?"),
            ):  # fmt: skip
                key = table.key if kind == "data" else f"{QUARANTINE_KEY}.{table.key}"
                match = [] if kind == "data" else [table.source, table.name]
                on_disk = _partitions(folder)
                for (ledger_key, day), _ in list(ledger.items()):
                    if ledger_key == key and day not in on_disk:
                        wh.execute(f"delete from {target} where {where}", [*match, day])
                        wh.execute(
                            f"delete from {LEDGER} where table_key = ? and delivery_date = ?",
                            [key, day],
                        )
                        removed += 1
                for day, path in on_disk.items():
                    stamp = file_stamp(path, racy_ok=True)
                    if stamps.get((key, day)) == stamp:
                        unchanged += 1
                        continue
                    sha = file_sha256(path)
                    if ledger.get((key, day)) == sha:
                        wh.execute(
                            f"update {LEDGER} set file_stamp = ?"
                            " where table_key = ? and delivery_date = ?",
                            [stamp, key, day],
                        )
                        unchanged += 1
                        continue
                    wh.execute(f"delete from {target} where {where}", [*match, day])
                    count = _copy_partition(wh, target, cols, path)
                    wh.execute(
                        f"delete from {LEDGER} where table_key = ? and delivery_date = ?",
                        [key, day],
                    )
                    wh.execute(
                        f"insert into {LEDGER} values (?, ?, ?, ?, ?)",
                        [key, day, sha, count, stamp],
                    )
                    loaded += 1
                    rows += count
    report = RawLoadReport(loaded, rows, unchanged, removed)
    log.info(report.line())
    return report
