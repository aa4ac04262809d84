"""One typed loader for the project's configuration files.

`config/sources.yml` says what each system exports; `config/lifecycle.yml` holds the
business thresholds. Both are validated here once, so a typo fails at load with the
file and key named instead of deep inside a task.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from lifecycle.paths import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from lifecycle.action_config import NextBestActionConfig
    from lifecycle.analytics_config import ActivationConfig, ChurnRiskConfig, ClvConfig
    from lifecycle.rfm_config import RfmSegment

COLUMN_TYPES = ("string", "integer", "decimal", "timestamp", "boolean", "json", "currency")
SOURCE_KINDS = ("files", "sql", "rest")
FILE_FORMATS = ("csv", "jsonl")


class ConfigError(ValueError):
    """A configuration file is missing a key or holds a value of the wrong kind."""


def raw_name(source_field: str) -> str:
    """Raw-zone column name of a source field: snake_case, nesting as `__` (dlt's convention)."""
    parts = []
    for part in source_field.split("."):
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", part)
        snake = re.sub(r"[^0-9a-zA-Z]+", "_", snake).strip("_").lower()
        parts.append(snake)
    return "__".join(parts)


@dataclass(frozen=True)
class ColumnSpec:
    source_field: str
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] | None = None
    min_year: int | None = None
    # Where the value is in the source system when it differs from `source_field`: a
    # database column (sql) or a dotted JSON path (rest). Files name fields as declared.
    origin: str | None = None

    @property
    def name(self) -> str:
        return raw_name(self.source_field)

    @property
    def read_from(self) -> str:
        return self.origin or self.source_field


@dataclass(frozen=True)
class TableConfig:
    source: str
    name: str
    primary_key: str
    cursor: str
    columns: tuple[ColumnSpec, ...]
    kind: str = "files"
    # files: the export's path under the sources folder ({date} = delivery day) and format.
    path: str = ""
    format: str = ""
    # sql: the database table (`schema.table` or `table`); rest: the endpoint's path.
    location: str = ""

    @property
    def key(self) -> str:
        """`source.table`, the name used in logs, quarantine and quality results."""
        return f"{self.source}.{self.name}"

    def file_for(self, sources_dir: Path, day: date) -> Path:
        return sources_dir / self.path.format(date=day.isoformat())

    def column(self, source_field: str) -> ColumnSpec:
        for col in self.columns:
            if col.source_field == source_field:
                return col
        raise KeyError(source_field)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    tables: tuple[TableConfig, ...]
    # sql / rest: an Airflow connection id (also read from the environment variable
    # AIRFLOW_CONN_<ID>, as Airflow does), never a URL or credentials in the file.
    connection: str | None = None
    # sql / rest: the first day a first run pulls (each day is one cursor interval).
    start: date | None = None
    # rest: reader options (pagination, cursor parameters, retries), see lifecycle.readers.rest.
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourcesConfig:
    company_founded_year: int
    sources: tuple[SourceConfig, ...]
    max_clock_skew_minutes: int = 5

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources)
        raise ConfigError(f"unknown source {name!r} (configured: {known})")

    @property
    def tables(self) -> tuple[TableConfig, ...]:
        return tuple(t for s in self.sources for t in s.tables)


STAGE_UNITS = ("customer", "account")


@dataclass(frozen=True)
class ActivityRules:
    """What counts as a customer being active on a day."""

    orders: bool
    app_events: tuple[str, ...]
    support_tickets: bool


@dataclass(frozen=True)
class LifecycleRules:
    at_risk_after_days: int
    churned_after_days: int
    new_window_days: int
    reactivated_window_days: int
    activity: ActivityRules
    stage_unit: str
    late_data_lookback_days: int


@dataclass(frozen=True)
class QualityConfig:
    max_quarantine_share: float
    quarantine_allowance_rows: int
    currencies: tuple[str, ...]
    # The churn risk score's cap, `churn_risk.max_score` (its one home): the loader copies
    # it here so the churn-risk suite, which gets only this config, can check scores.
    max_risk_score: int
    volume_band: tuple[float, float] = (0.1, 10.0)
    volume_history_days: int = 14
    volume_min_history: int = 5
    # Per source table (`source.table`): how many days old its newest record may be.
    freshness_max_age_days: Mapping[str, int] = field(default_factory=dict)
    # Check severity overrides: `<suite>` or `<suite>.<check>` -> error | warn.
    severity: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LifecycleConfig:
    reporting_currency: str
    rules: LifecycleRules
    quality: QualityConfig
    churn_risk: ChurnRiskConfig
    activation: ActivationConfig
    clv: ClvConfig
    rfm_segments: tuple[RfmSegment, ...]
    next_best_action: NextBestActionConfig
    extra: dict[str, Any] = field(default_factory=dict)

    def rfm_segment(self, r: int, f: int, m: int) -> str:
        """The segment of a score triple: the first rule that matches (the loader
        guarantees one does)."""
        return next(s.name for s in self.rfm_segments if s.matches(r, f, m))

    def dbt_vars(self, as_of: date) -> dict[str, Any]:
        """Namespaced dbt vars; the as-of date is the only clock dbt ever sees."""
        return {
            "as_of_date": as_of.isoformat(),
            "lifecycle__reporting_currency": self.reporting_currency,
            "lifecycle__at_risk_after_days": self.rules.at_risk_after_days,
            "lifecycle__churned_after_days": self.rules.churned_after_days,
            "lifecycle__new_window_days": self.rules.new_window_days,
            "lifecycle__reactivated_window_days": self.rules.reactivated_window_days,
            "lifecycle__activity_orders": self.rules.activity.orders,
            "lifecycle__activity_app_events": list(self.rules.activity.app_events),
            "lifecycle__activity_support_tickets": self.rules.activity.support_tickets,
            "lifecycle__stage_unit": self.rules.stage_unit,
            "lifecycle__late_data_lookback_days": self.rules.late_data_lookback_days,
            "lifecycle__churn_risk": self.churn_risk.as_dbt_var(),
            "lifecycle__activation_login_window_days": self.activation.login_window_days,
            "lifecycle__activation_churn_outcome_days": self.activation.churn_outcome_days,
            "lifecycle__rfm_segments": [s.as_var() for s in self.rfm_segments],
            "lifecycle__next_best_action_high_value_deciles": (
                self.next_best_action.high_value_deciles
            ),
            "lifecycle__next_best_action_upsell_min_p_alive": (
                self.next_best_action.upsell_min_p_alive
            ),
        }


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _need(mapping: dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping:
        raise ConfigError(f"{where}: missing key {key!r}")
    return mapping[key]


def _days(mapping: dict[str, Any], key: str, where: str) -> int:
    value = _need(mapping, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}.{key}: expected a whole number of days >= 0, got {value!r}")
    return int(value)


def _minutes(mapping: dict[str, Any], key: str, where: str) -> int:
    value = _need(mapping, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {key}: expected a whole number of minutes >= 0, got {value!r}")
    return int(value)


def _band(mapping: dict[str, Any], key: str, where: str) -> tuple[float, float]:
    value = _need(mapping, key, where)
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < 1 < value[1]
    )
    if not ok:
        raise ConfigError(
            f"{where}.{key}: expected [low, high] with 0 <= low < 1 < high, got {value!r}"
        )
    return float(value[0]), float(value[1])


def _flag(mapping: dict[str, Any], key: str, where: str) -> bool:
    value = _need(mapping, key, where)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false, got {value!r}")
    return bool(value)


def _choice(mapping: dict[str, Any], key: str, choices: tuple[str, ...], where: str) -> str:
    value = _need(mapping, key, where)
    if value not in choices:
        raise ConfigError(f"{where}.{key}: {value!r} is not one of {choices}")
    return str(value)


def _activity(spec: Any, where: str) -> ActivityRules:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping")
    events = _need(spec, "app_events", where)
    if not isinstance(events, list) or not all(
        isinstance(e, str) and re.fullmatch(r"[a-z0-9_]+", e) for e in events
    ):
        raise ConfigError(
            f"{where}.app_events: expected a list of event names (lower_snake_case), got {events!r}"
        )
    activity = ActivityRules(
        orders=_flag(spec, "orders", where),
        app_events=tuple(events),
        support_tickets=_flag(spec, "support_tickets", where),
    )
    if not (activity.orders or activity.app_events or activity.support_tickets):
        raise ConfigError(f"{where}: nothing counts as activity; enable at least one kind")
    return activity


def _column(field_name: str, spec: dict[str, Any], where: str) -> ColumnSpec:
    ctype = _need(spec, "type", f"{where}.{field_name}")
    if ctype not in COLUMN_TYPES:
        raise ConfigError(f"{where}.{field_name}: type {ctype!r} is not one of {COLUMN_TYPES}")
    values = spec.get("values")
    return ColumnSpec(
        source_field=field_name,
        type=ctype,
        required=bool(spec.get("required", False)),
        min=spec.get("min"),
        max=spec.get("max"),
        values=tuple(str(v) for v in values) if values is not None else None,
        min_year=spec.get("min_year"),
        origin=str(spec["from"]) if spec.get("from") is not None else None,
    )


def sources_path() -> Path:
    return Path(os.environ.get("LIFECYCLE_SOURCES_CONFIG", REPO_ROOT / "config" / "sources.yml"))


def _source_table(
    sname: str, kind: str, fmt: str, tname: str, tdata: dict[str, Any], twhere: str
) -> TableConfig:
    columns = tuple(
        _column(f, spec, f"{twhere}.columns") for f, spec in _need(tdata, "columns", twhere).items()
    )
    table = TableConfig(
        source=sname,
        name=tname,
        primary_key=_need(tdata, "primary_key", twhere),
        cursor=_need(tdata, "cursor", twhere),
        columns=columns,
        kind=kind,
        path=_need(tdata, "path", twhere) if kind == "files" else "",
        format=fmt,
        location=str(_need(tdata, {"sql": "table", "rest": "endpoint"}[kind], twhere))
        if kind != "files"
        else "",
    )
    for keyed in (table.primary_key, table.cursor):
        if keyed not in {c.source_field for c in columns}:
            raise ConfigError(f"{twhere}: {keyed!r} is not a declared column")
    return table


def load_sources(path: Path | None = None) -> SourcesConfig:
    """The source configuration; each kind's own keys are checked here, so a missing
    `path` (files), `table` (sql), `endpoint` or `connection` (sql, rest) fails at load."""
    from datetime import date as date_type

    path = path or sources_path()
    data = _read_yaml(path)
    sources = []
    for sname, sdata in _need(data, "sources", str(path)).items():
        where = f"{path}: sources.{sname}"
        kind = _need(sdata, "kind", where)
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"{where}: kind {kind!r} is not one of {SOURCE_KINDS}")
        fmt = ""
        if kind == "files":
            fmt = _need(sdata, "format", where)
            if fmt not in FILE_FORMATS:
                raise ConfigError(f"{where}: format {fmt!r} is not one of {FILE_FORMATS}")
        connection = start = None
        if kind != "files":
            connection = str(_need(sdata, "connection", where))
            if "://" in connection:
                raise ConfigError(
                    f"{where}.connection: name an Airflow connection id, not a URL: credentials"
                    " never go into this file"
                )
            raw_start = sdata.get("start")
            if raw_start is not None and not isinstance(raw_start, date_type):
                raise ConfigError(f"{where}.start: expected a date (YYYY-MM-DD), got {raw_start!r}")
            start = raw_start
        tables = tuple(
            _source_table(sname, kind, fmt, tname, tdata, f"{where}.tables.{tname}")
            for tname, tdata in _need(sdata, "tables", where).items()
        )
        options = sdata.get("options") or {}
        if not isinstance(options, dict):
            raise ConfigError(f"{where}.options: expected a mapping")
        sources.append(
            SourceConfig(name=sname, kind=kind, tables=tables, connection=connection,
                         start=start, options=options)
        )  # fmt: skip
    return SourcesConfig(
        company_founded_year=int(_need(data, "company_founded_year", str(path))),
        sources=tuple(sources),
        max_clock_skew_minutes=_minutes(data, "max_clock_skew_minutes", str(path)),
    )


def load_lifecycle(path: Path | None = None) -> LifecycleConfig:
    # Imported here: these modules import ConfigError from this module.
    from lifecycle.action_config import parse_next_best_action
    from lifecycle.analytics_config import parse_activation, parse_churn_risk, parse_clv
    from lifecycle.rfm_config import parse_rfm_segments

    path = path or REPO_ROOT / "config" / "lifecycle.yml"
    data = _read_yaml(path)
    rules = _need(data, "lifecycle", str(path))
    quality = _need(data, "quality", str(path))
    where = f"{path}: lifecycle"
    churn_risk = parse_churn_risk(data, path)
    return LifecycleConfig(
        reporting_currency=str(_need(data, "reporting_currency", str(path))),
        rules=LifecycleRules(
            at_risk_after_days=_days(rules, "at_risk_after_days", where),
            churned_after_days=_days(rules, "churned_after_days", where),
            new_window_days=_days(rules, "new_window_days", where),
            reactivated_window_days=_days(rules, "reactivated_window_days", where),
            activity=_activity(_need(rules, "activity", where), f"{where}.activity"),
            stage_unit=_choice(rules, "stage_unit", STAGE_UNITS, where),
            late_data_lookback_days=_days(rules, "late_data_lookback_days", where),
        ),
        quality=QualityConfig(
            max_quarantine_share=float(_need(quality, "max_quarantine_share", f"{path}: quality")),
            quarantine_allowance_rows=int(
                _need(quality, "quarantine_allowance_rows", f"{path}: quality")
            ),
            currencies=tuple(_need(quality, "currencies", f"{path}: quality")),
            max_risk_score=churn_risk.max_score,
            volume_band=_band(quality, "volume_band", f"{path}: quality"),
            volume_history_days=_days(quality, "volume_history_days", f"{path}: quality"),
            volume_min_history=_days(quality, "volume_min_history", f"{path}: quality"),
            freshness_max_age_days={
                str(table): _days(ages, str(table), f"{path}: quality.freshness_max_age_days")
                for ages in [quality.get("freshness_max_age_days") or {}]
                for table in ages
            },
            severity={str(k): str(v) for k, v in (quality.get("severity") or {}).items()},
        ),
        churn_risk=churn_risk,
        activation=parse_activation(data, path),
        clv=parse_clv(data, path),
        rfm_segments=parse_rfm_segments(data, path),
        next_best_action=parse_next_best_action(data, path),
    )
