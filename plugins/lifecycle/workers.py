"""Run one function over many jobs in spawned worker processes, logging as if in-process.

The extract spreads a table's many deliveries (a first run loads two years of daily files)
over the machine's cores. Workers are spawned, not forked: forking an Airflow task process,
which runs threads, is not safe. Their log records travel back over a queue and are handed
to the logger of the same name here, so they land in the task's log in order of arrival. A
worker dies with the process that started it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

J = TypeVar("J")
R = TypeVar("R")


def in_workers(fn: Callable[[J], R], jobs: Sequence[J], workers: int) -> list[R]:
    """`[fn(job) for job in jobs]`, computed by `workers` processes; `fn` and the jobs must
    pickle. The first job to raise stops the rest and raises here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from logging.handlers import QueueListener

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    listener = QueueListener(queue, _ToOwnLogger())
    listener.start()
    try:
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_worker_init, initargs=(queue,)
        ) as pool:
            futures = [pool.submit(fn, job) for job in jobs]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()  # the jobs not started yet
                raise
    finally:
        listener.stop()


class _ToOwnLogger(logging.Handler):
    """Hands a worker's log record to the logger of the same name in this process."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)


def _worker_init(queue: Any) -> None:
    from logging.handlers import QueueHandler

    _die_with_parent()
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(queue)]
    root.setLevel(logging.INFO)


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the process that started it dies
    (a task killed by Airflow or by hand): no orphan goes on writing partitions after the
    run's lock is gone. Elsewhere the worker ends at its next job (its queue is closed)."""
    import ctypes
    import signal
    import sys

    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
