"""One writer at a time: an advisory lock on `$LIFECYCLE_HOME/warehouse.lock`.

Writers of the warehouse and the serving side (the transform, gate and publish tasks,
`lifecycle dbt`) hold it exclusively; the extract tasks, which run in parallel and write only
their own raw partitions, hold it shared, so they may run together but never while another
run transforms, gates or publishes. Nothing waits: a second writer is refused at once with
an error that names the holder, which each holder writes into the lock file.

The lock is `flock(2)`: the kernel releases it when its file is closed, so a killed run never
leaves a stale lock behind. A stale holder line in the file is only text: a refusal names
only processes that hold a lock on the file now (Linux's /proc/locks; elsewhere, live
processes). The file descriptor is not inherited by child processes (dbt), so only the
process that took the lock holds it. Within one process the lock is re-entrant (`airflow
dags test` runs every task in one process, and publish takes it itself under the task's
hold); it is not meant to be shared between threads.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from lifecycle.paths import Home

BUSY = "another run holds the warehouse"


class Mode(Enum):
    SHARED = fcntl.LOCK_SH
    EXCLUSIVE = fcntl.LOCK_EX


class WarehouseBusy(RuntimeError):
    """The lock is held by another process; the message starts with `BUSY`."""


@dataclass
class _Held:
    fd: int
    mode: Mode
    depth: int


_held: dict[str, _Held] = {}


def _locking_pids(path: Path) -> set[int] | None:
    """Processes holding a flock on `path` now, from Linux's /proc/locks (None elsewhere)."""
    try:
        inode = os.stat(path).st_ino
        table = Path("/proc/locks").read_text(encoding="ascii")
    except OSError:
        return None
    pids = set()
    for line in table.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 3432 fe:00:1234 0 EOF" ("1: -> FLOCK ..." waits)
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
            pids.add(int(fields[4]))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holders(home: Home) -> list[dict[str, Any]]:
    """Who holds the lock now: the lines holders wrote into the lock file, kept only for
    processes that hold a lock on it (on Linux) or at least are alive (elsewhere)."""
    try:
        text = home.lock_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    locking = _locking_pids(home.lock_file)
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        pid = record.get("pid") if isinstance(record, dict) else None
        if not isinstance(pid, int) or record in found:
            continue
        if (pid in locking) if locking is not None else _alive(pid):
            found.append(record)
    recorded = {r["pid"] for r in found}
    found.extend({"pid": pid} for pid in sorted((locking or set()) - recorded))
    return found


def describe(record: dict[str, Any]) -> str:
    if "task" not in record:
        return f"pid {record['pid']} (no record yet)"
    return (
        f"{record.get('task')} of run {record.get('run_id')} (as-of {record.get('as_of')},"
        f" pid {record.get('pid')}, since {record.get('started_at')})"
    )


def _refusal(home: Home, mode: Mode, task: str) -> WarehouseBusy:
    found = holders(home)
    who = "; ".join(describe(r) for r in found) if found else "a process not yet recorded"
    wanted = "exclusively" if mode is Mode.EXCLUSIVE else "shared"
    return WarehouseBusy(
        f"{BUSY}: {who}. {task} needs it {wanted} and does not wait; run it again once that"
        f" run has finished (lock file {home.lock_file})"
    )


@contextmanager
def hold(home: Home, mode: Mode, *, task: str, run_id: str, as_of: date | None) -> Iterator[None]:
    """Hold the warehouse lock for the block, or raise WarehouseBusy at once."""
    key = str(home.lock_file)
    held = _held.get(key)
    if held is not None:
        if held.mode is Mode.SHARED and mode is Mode.EXCLUSIVE:
            raise RuntimeError(
                f"{task}: cannot take the warehouse lock exclusively under a shared hold"
            )
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
        return
    home.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, mode.value | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refusal(home, mode, task) from None
        record = {
            "pid": os.getpid(),
            "run_id": run_id,
            "task": task,
            "as_of": as_of.isoformat() if as_of else None,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),  # for people only
            "mode": mode.name.lower(),
        }
        if mode is Mode.EXCLUSIVE:
            os.ftruncate(fd, 0)  # alone: earlier holders' lines are stale
        # Shared holders append their line (one small O_APPEND write each); the next
        # exclusive holder clears them.
        os.write(fd, (json.dumps(record) + "\n").encode("utf-8"))
        _held[key] = _Held(fd, mode, 1)
        try:
            yield
        finally:
            del _held[key]
            if mode is Mode.EXCLUSIVE:
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock
