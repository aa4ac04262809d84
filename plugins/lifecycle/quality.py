"""The quality gate: dbt tests plus Great Expectations suites, stored, then judged.

GX runs on its pandas path over frames read from DuckDB: its SQL path on DuckDB returns
empty metrics (DESIGN.md, "Facts measured here"), so a SQL-path gate would reject good data.
Suites live in `expectations/<layer>__<subject>.py`; each exposes `TARGET` (what frame it
validates) and `build_suite(cfg)`. A suite named `...__critical` stops publication when it
fails; `...__warning` only reports.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from lifecycle import progress
from lifecycle.paths import REPO_ROOT

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path
    from types import ModuleType

    import pandas as pd

    from lifecycle.config import QualityConfig, SourcesConfig
    from lifecycle.dbt_runner import DbtOutcome
    from lifecycle.paths import Home

log = logging.getLogger(__name__)
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
RESULTS_TABLE = "audit.quality_results"
RESULTS_DDL = (
    "run_id varchar, as_of_date date, suite varchar, check_name varchar, severity varchar,"
    " observed varchar, passed boolean"
)


class GateFailed(RuntimeError):
    """At least one error-severity check failed; the message names them."""


@dataclass(frozen=True)
class CheckResult:
    suite: str
    check: str
    severity: str  # "error" stops publication, "warn" only reports
    observed: str
    passed: bool


@dataclass(frozen=True)
class GateReport:
    checks: tuple[CheckResult, ...]

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed and c.severity == "error")

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed and c.severity == "warn")

    @property
    def passed(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        text = (
            f"gate {verdict}: {len(self.checks)} checks, {len(self.failed)} failed,"
            f" {len(self.warnings)} warnings"
        )
        if self.failed:
            text += ": " + "; ".join(
                f"{c.suite} {c.check} (observed {c.observed})" for c in self.failed
            )
        return text


def load_suite_modules(directory: Path = EXPECTATIONS_DIR) -> list[ModuleType]:
    modules = []
    for path in sorted(directory.glob("*__*.py")):
        spec = importlib.util.spec_from_file_location(f"expectations.{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def deliveries_frame(
    home: Home, sources: SourcesConfig, as_of: date, cfg: QualityConfig
) -> pd.DataFrame:
    """One row per source table: the extract's counts for the as-of day's delivery, and how
    many quarantined rows it may have: the configured share of what was read, but never
    fewer than the allowance (one bad row in a delivery of ten is not a broken source).
    `volume_ratio` compares the rows read with the median of the table's deliveries in the
    previous `volume_history_days` days (None until there are `volume_min_history`)."""
    import math
    import statistics
    from datetime import timedelta

    import pandas as pd

    from lifecycle.extract import read_report

    rows = []
    for table in sources.tables:
        report = read_report(home, table, as_of)
        if report is None:
            continue
        share = report.quarantined / report.read if report.read else 0.0
        limit = max(
            math.ceil(cfg.max_quarantine_share * report.read), cfg.quarantine_allowance_rows
        )
        earlier = [
            r.read
            for back in range(1, cfg.volume_history_days + 1)
            if (r := read_report(home, table, as_of - timedelta(days=back))) is not None
        ]
        usual = statistics.median(earlier) if len(earlier) >= cfg.volume_min_history else None
        rows.append(
            {**asdict(report), "table_key": table.key, "quarantine_share": share,
             "quarantine_limit": limit, "usual_read": usual,
             "volume_ratio": report.read / usual if usual else None}
        )  # fmt: skip
    return pd.DataFrame(rows)


def frame_for(
    target: str, home: Home, sources: SourcesConfig, as_of: date, cfg: QualityConfig
) -> pd.DataFrame:
    from lifecycle.io import raw_delivery_frame

    if target == "deliveries":
        return deliveries_frame(home, sources, as_of, cfg)
    if target.startswith("raw:"):
        key = target.removeprefix("raw:")
        table = next(t for t in sources.tables if t.key == key)
        return raw_delivery_frame(home, table, as_of)
    if target.startswith("warehouse:"):
        # A query (`{as_of}` is the run's as-of date, ISO) or a bare `schema.table`.
        from lifecycle.io import connect

        query = target.removeprefix("warehouse:").replace("{as_of}", as_of.isoformat())
        if not query.lstrip().lower().startswith(("select", "with")):
            query = f"select * from {query}"
        with connect(home.warehouse, read_only=True) as con:
            return con.sql(query).df()
    raise ValueError(f"unknown expectation target {target!r}")


def _observed(result: dict[str, Any]) -> str:
    if "observed_value" in result:
        return json.dumps(result["observed_value"], default=str)[:200]
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list") or []
        return f"{result['unexpected_count']} unexpected, e.g. {sample[:3]}"[:200]
    return ""


def validate_frame(suite: Any, frame: pd.DataFrame) -> list[CheckResult]:
    """Validate a pandas frame with GX; one CheckResult per expectation."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("lifecycle").add_dataframe_asset(suite.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    severity = "warn" if suite.name.endswith("__warning") else "error"
    checks = []
    for res in batch.validate(suite).results:
        config = res.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or ",".join(
            str(kwargs[k]) for k in ("column_A", "column_B") if kwargs.get(k)
        )
        name = config.type + (f"({column})" if column else "")
        checks.append(
            CheckResult(suite.name, name, severity, _observed(res.result), bool(res.success))
        )
    return checks


def dbt_checks(outcome: DbtOutcome) -> list[CheckResult]:
    checks = []
    for node in outcome.results:
        status = node["status"]
        observed = f"{node['failures']} failing rows" if node["failures"] else status
        checks.append(
            CheckResult(
                suite="dbt",
                check=node["name"],
                severity="warn" if status == "warn" else "error",
                observed=observed,
                passed=status in ("pass", "success"),
            )
        )
    return checks


def store_results(home: Home, run_id: str, as_of: date, report: GateReport) -> Path:
    """Keep every check's result: a JSON file per run and rows in the warehouse."""
    from lifecycle.io import append_rows, connect

    home.quality.mkdir(parents=True, exist_ok=True)
    safe_run = run_id.replace(":", "_").replace("+", "_")
    path = home.quality / f"results_{as_of.isoformat()}_{safe_run}.json"
    payload = {"run_id": run_id, "as_of": as_of.isoformat(), "passed": report.passed,
               "checks": [asdict(c) for c in report.checks]}  # fmt: skip
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    rows = [
        (run_id, as_of, c.suite, c.check, c.severity, c.observed, c.passed) for c in report.checks
    ]
    with connect(home.warehouse) as con:
        append_rows(con, RESULTS_TABLE, RESULTS_DDL, [])
        con.execute(f"delete from {RESULTS_TABLE} where run_id = ?", [run_id])
        append_rows(con, RESULTS_TABLE, RESULTS_DDL, rows)
    return path


def run_gate(
    home: Home, as_of: date, run_id: str, sources: SourcesConfig, cfg: QualityConfig
) -> GateReport:
    """Run every check, store the results, and return the verdict (the caller stops on it)."""
    from lifecycle.dbt_runner import run_dbt

    progress.emit("gate", "dbt tests (only those that do not pass are listed) ...")
    checks = dbt_checks(run_dbt(["test"], as_of, home, stage="gate", quiet_passes=True))
    progress.emit("gate", f"dbt: {sum(c.passed for c in checks)}/{len(checks)} tests passed")
    for module in load_suite_modules():
        suite = module.build_suite(cfg)
        frame = frame_for(module.TARGET, home, sources, as_of, cfg)
        results = validate_frame(suite, frame)
        bad = sum(not r.passed for r in results)
        progress.emit(
            "gate",
            f"{suite.name}: {len(results) - bad}/{len(results)} passed ({len(frame):,} rows)",
        )
        checks.extend(results)
    report = GateReport(tuple(checks))
    path = store_results(home, run_id, as_of, report)
    progress.emit("gate", f"{report.summary()} (results: {path})")
    return report
