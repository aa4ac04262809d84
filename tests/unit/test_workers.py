import logging

import pytest

from lifecycle.workers import in_workers


def square_and_log(n: int) -> int:
    logging.getLogger("lifecycle.test_workers").info("squared %d", n)
    if n < 0:
        raise ValueError(f"negative: {n}")
    return n * n


def test_in_workers_returns_the_results_in_job_order_and_relays_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="lifecycle.test_workers"):
        assert in_workers(square_and_log, list(range(10)), workers=2) == [n * n for n in range(10)]
    assert sorted(r.getMessage() for r in caplog.records if r.name == "lifecycle.test_workers") == [
        f"squared {n}" for n in sorted(range(10), key=str)
    ]


def test_in_workers_raises_the_first_failing_job_s_error() -> None:
    with pytest.raises(ValueError, match="negative: -1"):
        in_workers(square_and_log, [1, 2, -1, 3], workers=2)
