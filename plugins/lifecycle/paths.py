"""Where everything a run writes lives: one home folder, `LIFECYCLE_HOME`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLES = (
    "marketing",
    "sales",
    "operations",
    "product",
    "customer_service",
    "executive",
    "data_team",
)


@dataclass(frozen=True)
class Home:
    """The layout under `LIFECYCLE_HOME` (see DESIGN.md, "The operator's contract")."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        default = REPO_ROOT / ".lifecycle"
        return cls(Path(os.environ.get("LIFECYCLE_HOME", default)).resolve())

    @property
    def sources(self) -> Path:
        """Source exports; `LIFECYCLE_SOURCES` points elsewhere for real systems."""
        override = os.environ.get("LIFECYCLE_SOURCES")
        return Path(override).resolve() if override else self.root / "sources"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def quarantine(self) -> Path:
        return self.raw / "_quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "serving"

    @property
    def lock_file(self) -> Path:
        """The advisory lock of the one writer at a time (lifecycle.lock)."""
        return self.root / "warehouse.lock"

    @property
    def quality(self) -> Path:
        return self.root / "quality"

    @property
    def airflow(self) -> Path:
        return self.root / "airflow"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    def serving_file(self, role: str) -> Path:
        """A role's current snapshot: a stable link to `current/<role>.duckdb`."""
        return self.serving / f"{role}.duckdb"

    @property
    def serving_current(self) -> Path:
        """The link switched by publish: `current -> publications/<as-of>.<n>`."""
        return self.serving / "current"

    @property
    def publications(self) -> Path:
        """Every kept publication, one folder each, never changed once written."""
        return self.serving / "publications"

    def serving_history(self, as_of: date) -> Path:
        """Where the publication of one as-of day is kept."""
        return self.serving / "history" / as_of.isoformat()

    @property
    def report_file(self) -> Path:
        """The current publication's HTML report (opens from disk, no server)."""
        return self.serving / "report" / "index.html"

    def report_history(self, as_of: date) -> Path:
        """The HTML report of one as-of day's publication, beside its snapshots."""
        return self.serving_history(as_of) / "report.html"
