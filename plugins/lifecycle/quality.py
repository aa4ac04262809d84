"""The quality gate: dbt tests plus Great Expectations suites, stored, then judged.

GX runs on its pandas path over frames read from DuckDB: its SQL path on DuckDB returns
empty metrics (DESIGN.md, "Facts measured here"), so a SQL-path gate would reject good data.
Suites live in `expectations/<layer>__<subject>.py`; each exposes `TARGET` (what frame it
validates), `SEVERITY` (its checks' default) and `build_suite(cfg)`.

Every check has a severity: `error` stops publication, `warn` publishes and reports. It is,
in order of precedence: config/lifecycle.yml `quality.severity` for `<suite>.<check>` or
`<suite>`, the expectation's `meta: {severity: ...}`, the suite's `SEVERITY`. dbt tests are
suite `dbt`, their check the test's name, their default dbt's own (`warn` or `error`).

Each nightly gate runs its suites as GX checkpoints in a file-backed GX project under
`quality/gx/`, whose validation results accumulate and are rendered as GX Data Docs
(`quality/gx/uncommitted/data_docs/local_site/index.html`); the project is generated from
`expectations/` on every run, so the code stays the source of truth.
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
    from collections.abc import Mapping, Sequence
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


SEVERITIES = ("error", "warn")
DBT_SUITE = "dbt"


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
    """The suite modules (expectations/<layer>__<model>.py). They import GX inside
    `build_suite`, so loading them to learn their TARGET is instant and the gate can read
    the warehouse and start dbt's tests before paying GX's import (about 2 s)."""
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


def freshness_frame(
    home: Home, sources: SourcesConfig, as_of: date, cfg: QualityConfig
) -> pd.DataFrame:
    """One row per source table: its latest delivery up to the as-of day, and the age in days
    of its newest record (by the cursor column) at the end of the as-of day, beside the
    configured maximum (None: not judged)."""
    from datetime import UTC, datetime, time, timedelta

    import pandas as pd

    from lifecycle.status import delivery_reports

    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
    by_table: dict[str, list[Any]] = {t.key: [] for t in sources.tables}
    for report in delivery_reports(home, sources, as_of):
        by_table[report.table].append(report)
    rows = []
    for key, reports in by_table.items():
        cursors = [r.newest_cursor for r in reports if r.newest_cursor]
        newest = max((datetime.fromisoformat(c) for c in cursors), default=None)
        rows.append(
            {"table_key": key,
             "latest_delivery": max((r.delivery_date for r in reports), default=None),
             "newest_record_at": newest.isoformat() if newest else None,
             "content_age_days": (end - newest) / timedelta(days=1) if newest else None,
             "max_age_days": cfg.freshness_max_age_days.get(key)}
        )  # fmt: skip
    return pd.DataFrame(rows)


def frame_for(
    target: str, home: Home, sources: SourcesConfig, as_of: date, cfg: QualityConfig
) -> pd.DataFrame:
    from lifecycle.io import raw_delivery_frame

    if target == "deliveries":
        return deliveries_frame(home, sources, as_of, cfg)
    if target == "freshness":
        return freshness_frame(home, sources, as_of, cfg)
    if target.startswith("raw:"):
        key = target.removeprefix("raw:")
        table = next(t for t in sources.tables if t.key == key)
        return raw_delivery_frame(home, table, as_of)
    if target.startswith("warehouse:"):
        # A query (`{as_of}` is the run's as-of date, ISO) or a bare `schema.table`.
        from lifecycle.warehouse import open_warehouse

        query = target.removeprefix("warehouse:").replace("{as_of}", as_of.isoformat())
        if not query.lstrip().lower().startswith(("select", "with")):
            query = f"select * from {query}"
        with open_warehouse(home, read_only=True) as wh:
            return wh.frame(query)
    raise ValueError(f"unknown expectation target {target!r}")


def _observed(result: dict[str, Any]) -> str:
    if "observed_value" in result:
        return json.dumps(result["observed_value"], default=str)[:200]
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list") or []
        return f"{result['unexpected_count']} unexpected, e.g. {sample[:3]}"[:200]
    return ""


def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def _checks_of(suite_name: str, severity: str, results: Any) -> list[CheckResult]:
    checks = []
    for res in results:
        config = res.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or ",".join(
            str(kwargs[k]) for k in ("column_A", "column_B") if kwargs.get(k)
        )
        name = config.type + (f"({column})" if column else "")
        own = (config.meta or {}).get("severity", severity)
        checks.append(CheckResult(suite_name, name, own, _observed(res.result), bool(res.success)))
    return checks


def validate_frame(suite: Any, frame: pd.DataFrame, severity: str = "error") -> list[CheckResult]:
    """Validate a pandas frame with GX (in memory, nothing kept); one CheckResult per
    expectation."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("lifecycle").add_dataframe_asset(suite.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    return _checks_of(suite.name, severity, batch.validate(suite).results)


class DataDocs:
    """The gate's GX project under `quality/gx/`: each suite is validated through a
    checkpoint that stores its result; `render` then updates the Data Docs site once, with
    the pages of this run's results and the index.

    Not GX's UpdateDataDocsAction on each checkpoint: it rebuilt the index, which reads every
    stored result of every night, once per suite, so the gate's GX part grew by about 0.04 s
    with each night on record (2.1 s to 4.3-4.6 s over 60 nights of eight small suites;
    decision 37)."""

    def __init__(self, home: Home) -> None:
        gx = _gx()
        self._gx = gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="file", project_root_dir=str(home.quality))
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        try:
            self.source = self.context.data_sources.get("lifecycle")
        except (KeyError, ValueError, LookupError):
            self.source = self.context.data_sources.add_pandas("lifecycle")
        self._validated: list[Any] = []  # this run's result and suite identifiers

    def validate(
        self, suite: Any, frame: pd.DataFrame, severity: str, run_name: str
    ) -> list[CheckResult]:
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        gx = self._gx
        try:
            asset = self.source.get_asset(suite.name)
        except LookupError:
            asset = self.source.add_dataframe_asset(suite.name)
        try:
            batches = asset.get_batch_definition("whole")
        except (KeyError, ValueError, LookupError):
            batches = asset.add_batch_definition_whole_dataframe("whole")
        stored = self.context.suites.add_or_update(suite)
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batches, suite=stored)
        )
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                actions=[],
                result_format="SUMMARY",
            )
        )
        result = checkpoint.run(
            batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name)
        )
        ((identifier, validation),) = result.run_results.items()
        self._validated += [identifier, ExpectationSuiteIdentifier(name=suite.name)]
        return _checks_of(suite.name, severity, validation.results)

    def render(self) -> Path:
        """Render this run's validation results and suites into the Data Docs site and
        rebuild its index; returns the index page."""
        if self._validated:
            self.context.build_data_docs(resource_identifiers=self._validated)
            self._validated = []
        return self.index

    @property
    def index(self) -> Path:
        from pathlib import Path

        url = self.context.get_docs_sites_urls()[0]["site_url"]
        return Path(str(url).removeprefix("file://"))


def apply_severity(checks: list[CheckResult], overrides: Mapping[str, str]) -> list[CheckResult]:
    """The configured severity of each check (`<suite>.<check>` before `<suite>`)."""
    from dataclasses import replace

    judged = []
    for c in checks:
        severity = overrides.get(f"{c.suite}.{c.check}", overrides.get(c.suite, c.severity))
        judged.append(replace(c, severity=severity))
    return judged


def check_overrides(overrides: Mapping[str, str], suites: Sequence[str]) -> None:
    """Every override names a known suite and a severity (a typo must not silently keep a
    check at its default)."""
    from lifecycle.config import ConfigError

    known = {DBT_SUITE, *suites}
    for key, severity in overrides.items():
        if severity not in SEVERITIES:
            raise ConfigError(
                f"config/lifecycle.yml quality.severity.{key}: {severity!r} is not one of"
                f" {SEVERITIES}"
            )
        if key.split(".", 1)[0] not in known:
            raise ConfigError(
                f"config/lifecycle.yml quality.severity.{key}: no suite {key.split('.', 1)[0]!r}"
                f" (suites: {', '.join(sorted(known))})"
            )


def dbt_checks(outcome: DbtOutcome) -> list[CheckResult]:
    checks = []
    for node in outcome.results:
        status = node["status"]
        observed = f"{node['failures']} failing rows" if node["failures"] else status
        checks.append(
            CheckResult(
                suite=DBT_SUITE,
                check=node["name"],
                severity="warn" if status == "warn" else "error",
                observed=observed,
                passed=status in ("pass", "success"),
            )
        )
    return checks


def store_results(home: Home, run_id: str, as_of: date, report: GateReport) -> Path:
    """Keep every check's result: a JSON file per run and rows in the warehouse."""
    from lifecycle.warehouse import open_warehouse

    home.quality.mkdir(parents=True, exist_ok=True)
    safe_run = run_id.replace(":", "_").replace("+", "_")
    path = home.quality / f"results_{as_of.isoformat()}_{safe_run}.json"
    payload = {"run_id": run_id, "as_of": as_of.isoformat(), "passed": report.passed,
               "checks": [asdict(c) for c in report.checks]}  # fmt: skip
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    rows = [
        (run_id, as_of, c.suite, c.check, c.severity, c.observed, c.passed) for c in report.checks
    ]
    with open_warehouse(home) as wh, wh.transaction():
        wh.create_table(RESULTS_TABLE, RESULTS_DDL)
        wh.execute(f"delete from {RESULTS_TABLE} where run_id = ?", [run_id])
        wh.append_rows(RESULTS_TABLE, RESULTS_DDL, rows)
    return path


def run_gate(
    home: Home, as_of: date, run_id: str, sources: SourcesConfig, cfg: QualityConfig
) -> GateReport:
    """Run every check, store the results, and return the verdict (the caller stops on it).

    dbt's data tests run in their own process while the GX suites validate here, so the
    two cost the longer of them, not their sum (decision 38). On DuckDB a process that
    opens the warehouse to write holds the file alone, and dbt opens it so even to test,
    so the suites' warehouse frames are read before dbt starts.
    """
    from concurrent.futures import ThreadPoolExecutor

    from lifecycle.config import load_lifecycle
    from lifecycle.dbt_runner import run_dbt
    from lifecycle.incremental import built_vars, record_tested, tested_vars

    modules = load_suite_modules()
    early = {
        m.TARGET: frame_for(m.TARGET, home, sources, as_of, cfg)
        for m in modules
        if m.TARGET.startswith("warehouse:")
    }
    # dbt's unit tests check the models' logic on fixed fixtures, not the night's data: they
    # run in `make test` (dbt build with tests), as dbt advises, not in every nightly gate.
    # Tests only query, so dbt need not list every relation first (0.3-0.4 s of `dbt test`).
    test = ["test", "--no-populate-cache", "--exclude", "resource_type:unit_test"]
    lookback = load_lifecycle().rules.late_data_lookback_days
    progress.emit("gate", "dbt tests (only those that do not pass are listed), GX suites ...")
    gx_checks: list[CheckResult] = []
    run_name = f"{as_of.isoformat()} {run_id}"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbt-test") as pool:
        dbt_test = pool.submit(run_dbt, test, as_of, home, stage="gate", quiet_passes=True,
                               dbt_vars=built_vars(home, as_of, lookback)
                               | tested_vars(home))  # fmt: skip
        # Building the suites imports GX (about 2 s), so it waits until dbt has started.
        suites = [module.build_suite(cfg) for module in modules]
        check_overrides(cfg.severity, [suite.name for suite in suites])
        docs = DataDocs(home)
        try:
            for module, suite in zip(modules, suites, strict=True):
                frame = early.get(module.TARGET)
                if frame is None:
                    frame = frame_for(module.TARGET, home, sources, as_of, cfg)
                severity = getattr(module, "SEVERITY", "error")
                results = docs.validate(suite, frame, severity, run_name=run_name)
                bad = sum(not r.passed for r in results)
                progress.emit(
                    "gate",
                    f"{suite.name}: {len(results) - bad}/{len(results)} passed"
                    f" ({len(frame):,} rows)",
                )
                gx_checks.extend(results)
        finally:
            index = docs.render()  # also the suites validated before one that raised
        checks = dbt_checks(dbt_test.result())
    progress.emit("gate", f"dbt: {sum(c.passed for c in checks)}/{len(checks)} tests passed")
    report = GateReport(tuple(apply_severity(checks + gx_checks, cfg.severity)))
    path = store_results(home, run_id, as_of, report)
    if checks and all(c.passed for c in checks):
        record_tested(home)  # the next gate tests only what later builds changed
    progress.emit("gate", f"{report.summary()} (results: {path}; Data Docs: {index})")
    return report
