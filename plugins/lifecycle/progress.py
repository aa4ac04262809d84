"""Operator-facing progress, one line per step, separate from the full logs.

Tasks run inside Airflow, whose logs are long. Each step also appends one line to the
file named by `LIFECYCLE_PROGRESS_FILE` (set by `lifecycle run`), which the CLI follows
and prints, so the operator sees "extract ... / dbt 12/40 ... / gate ... / publish ...".
Each record carries the time it was written (`at`, seconds since the epoch): telemetry for
`lifecycle bench`, which times the steps inside a task from it; no rule reads it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

log = logging.getLogger("lifecycle.progress")
PROGRESS_ENV = "LIFECYCLE_PROGRESS_FILE"


def emit(stage: str, message: str) -> None:
    log.info("[%s] %s", stage, message)
    target = os.environ.get(PROGRESS_ENV)
    if not target:
        return
    record = {"stage": stage, "message": message, "at": round(time.time(), 3)}
    line = json.dumps(record) + "\n"
    with Path(target).open("a", encoding="utf-8") as fh:
        fh.write(line)


def format_line(raw: str) -> str | None:
    """Render one progress-file line for the terminal; None if it is not a progress record."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return f"  {record['stage']:<8} {record['message']}"
