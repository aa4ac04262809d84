"""A tool the tests need but the project's venv must not hold (its pins clash, or it is large):
installed from the registry into a venv of its own, once per set of pins."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

log = logging.getLogger(__name__)


def pinned_venv(venv: Path, requirements: Path, command: str, timeout: int) -> Path:
    """The bin folder of `venv`, (re)installed from `requirements` unless its stamp matches
    the pins and `bin/<command>` exists; a failed install fails the test with pip's output."""
    stamp = venv / ".pins"
    pins = requirements.read_text()
    if stamp.is_file() and stamp.read_text() == pins and (venv / "bin" / command).is_file():
        return venv / "bin"
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin/pip"), "install", "-q", "--disable-pip-version-check",
         "-r", str(requirements)],
        capture_output=True, text=True, check=False, timeout=timeout,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(
            f"installing {requirements} into {venv} failed:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    stamp.write_text(pins)
    log.warning("installed %s into %s in %.0f s", requirements, venv, time.monotonic() - started)
    return venv / "bin"
