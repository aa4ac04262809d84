"""The warehouse lock across real processes: each holder is a child python holding it."""

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from lifecycle import tasks
from lifecycle.lock import BUSY, Mode, WarehouseBusy, hold, holders
from lifecycle.paths import Home

AS_OF = date(2026, 6, 30)

HOLDER = """
import sys
from datetime import date
from pathlib import Path
from lifecycle.lock import Mode, WarehouseBusy, hold
from lifecycle.paths import Home

root, mode, task, run_id = sys.argv[1:5]
try:
    with hold(Home(Path(root)), Mode[mode], task=task, run_id=run_id, as_of=date(2026, 6, 30)):
        print("held", flush=True)
        sys.stdin.read()  # hold until the test closes stdin (or kills us)
except WarehouseBusy as exc:
    print(exc, flush=True)
    sys.exit(3)
"""


class Holder:
    """A child process that takes the lock and keeps it until released or killed."""

    def __init__(self, home: Home, mode: Mode, task: str, run_id: str = "run-A") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(home.root), mode.name, task, run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.first_line = self.proc.stdout.readline().strip()

    @property
    def holds(self) -> bool:
        return self.first_line == "held"

    def release(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)

    def kill(self) -> int:
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(timeout=30)  # reaped: no zombie looks alive


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


@pytest.fixture
def started(home: Home) -> Iterator[list[Holder]]:
    children: list[Holder] = []
    yield children
    for child in children:
        if child.proc.poll() is None:
            child.kill()


def _start(
    started: list[Holder], home: Home, mode: Mode, task: str, run_id: str = "run-A"
) -> Holder:
    child = Holder(home, mode, task, run_id)
    started.append(child)
    return child


def test_hold_exclusive_refuses_a_second_writer_and_names_the_holder(
    home: Home, started: list[Holder]
) -> None:
    child = _start(started, home, Mode.EXCLUSIVE, "transform")
    assert child.holds, child.first_line

    with (
        pytest.raises(WarehouseBusy) as refused,
        hold(home, Mode.EXCLUSIVE, task="publish", run_id="run-B", as_of=AS_OF),
    ):
        pytest.fail("a second writer got the lock")

    message = str(refused.value)
    assert message.startswith(
        f"{BUSY}: transform of run run-A (as-of 2026-06-30, pid {child.proc.pid},"
    )
    assert str(home.lock_file) in message


def test_hold_exclusive_refuses_an_extract(home: Home, started: list[Holder]) -> None:
    assert _start(started, home, Mode.EXCLUSIVE, "publish").holds

    with (
        pytest.raises(WarehouseBusy, match=f"^{BUSY}: publish of run run-A"),
        hold(home, Mode.SHARED, task="extract crm", run_id="run-B", as_of=AS_OF),
    ):
        pass


def test_hold_shared_lets_extracts_run_together_but_refuses_a_writer(
    home: Home, started: list[Holder]
) -> None:
    crm = _start(started, home, Mode.SHARED, "extract crm")
    orders = _start(started, home, Mode.SHARED, "extract orders")
    assert crm.holds and orders.holds

    with hold(home, Mode.SHARED, task="extract app", run_id="run-A", as_of=AS_OF):
        assert {h["task"] for h in holders(home)} == {
            "extract crm",
            "extract orders",
            "extract app",
        }
    with pytest.raises(WarehouseBusy) as refused:  # noqa: SIM117
        with hold(home, Mode.EXCLUSIVE, task="transform", run_id="run-B", as_of=AS_OF):
            pass

    message = str(refused.value)
    assert message.startswith(BUSY)
    assert f"extract crm of run run-A (as-of 2026-06-30, pid {crm.proc.pid}" in message
    assert f"extract orders of run run-A (as-of 2026-06-30, pid {orders.proc.pid}" in message
    assert "extract app" not in message  # released: its line is left, but it holds nothing


def test_hold_is_freed_when_its_holder_is_killed(home: Home, started: list[Holder]) -> None:
    child = _start(started, home, Mode.EXCLUSIVE, "transform")
    assert child.holds
    assert _start(started, home, Mode.SHARED, "extract crm", "run-B").first_line.startswith(BUSY)

    assert child.kill() == -signal.SIGKILL

    # No stale lock: the next run's writer and extracts get it at once.
    with hold(home, Mode.EXCLUSIVE, task="transform", run_id="run-B", as_of=AS_OF):
        assert [h["task"] for h in holders(home)] == ["transform"]
    follower = _start(started, home, Mode.SHARED, "extract crm", "run-C")
    assert follower.holds, follower.first_line
    assert follower.release() == 0


def test_hold_is_released_at_the_end_of_the_block(home: Home, started: list[Holder]) -> None:
    with hold(home, Mode.EXCLUSIVE, task="publish", run_id="run-A", as_of=AS_OF):
        assert _start(started, home, Mode.EXCLUSIVE, "publish", "run-B").first_line.startswith(BUSY)

    after = _start(started, home, Mode.EXCLUSIVE, "publish", "run-C")
    assert after.holds, after.first_line
    assert after.release() == 0
    assert home.lock_file.read_text() == ""  # an exclusive holder leaves no line behind


def test_hold_is_reentrant_within_a_process(home: Home) -> None:
    with hold(home, Mode.EXCLUSIVE, task="publish", run_id="run-A", as_of=AS_OF):
        with hold(home, Mode.EXCLUSIVE, task="publish", run_id="run-A", as_of=AS_OF):
            pass
        with hold(home, Mode.SHARED, task="extract", run_id="run-A", as_of=AS_OF):
            pass
    with (
        hold(home, Mode.SHARED, task="extract", run_id="run-A", as_of=AS_OF),
        pytest.raises(RuntimeError, match="exclusively under a shared hold"),
        hold(home, Mode.EXCLUSIVE, task="transform", run_id="run-A", as_of=AS_OF),
    ):
        pass


def _context(as_of: date) -> dict[str, object]:
    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    return {"data_interval_start": start, "data_interval_end": start + timedelta(days=1),
            "run_id": "run-B"}  # fmt: skip


@pytest.mark.parametrize("task", ["extract", "transform", "gate", "publish"])
def test_a_task_refused_the_lock_fails_without_retry(
    home: Home, started: list[Holder], monkeypatch: pytest.MonkeyPatch, task: str
) -> None:
    monkeypatch.setenv("LIFECYCLE_HOME", str(home.root))
    assert _start(started, home, Mode.EXCLUSIVE, "transform").holds
    body = getattr(tasks, task)
    args = ("crm",) if task == "extract" else ()

    with pytest.raises(AirflowFailException, match=f"^{BUSY}: transform of run run-A"):
        body(*args, _context(AS_OF))


def test_an_extract_keeps_its_retries_for_other_errors(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIFECYCLE_HOME", str(home.root))

    def flaky(*args: object) -> None:
        raise OSError("connection reset")

    monkeypatch.setattr("lifecycle.extract.extract_source", flaky)
    with pytest.raises(OSError, match="connection reset"):  # not AirflowFailException
        tasks.extract("crm", _context(AS_OF))
    with hold(home, Mode.EXCLUSIVE, task="transform", run_id="run-B", as_of=AS_OF):
        pass  # and the extract let go of the lock
