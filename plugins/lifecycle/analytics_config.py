"""The analytics sections of `config/lifecycle.yml`: churn risk scoring, activation and
predictive CLV.

Read strictly (a wrong kind of value, an unknown key or an inconsistent pair fails at load,
naming the file and the key), because a typo in a weight would otherwise silently change
who customer service calls. `lifecycle.config.load_lifecycle` calls the two parsers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from lifecycle.config import ConfigError, _need

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class InactivityTier:
    """Points once this many days have passed since the last activity."""

    days: int
    points: int


@dataclass(frozen=True)
class ActivityDropRule:
    """A slow-down: at least one active day in the last `window_days`, but down by
    `min_drop_share` against the window before, which had `min_previous_active_days`."""

    window_days: int
    min_drop_share: float
    min_previous_active_days: int
    points: int


@dataclass(frozen=True)
class SpendDropRule:
    """Order value (USD) of the last `window_days` down by `min_drop_share` against the
    window before, which had at least `min_previous_spend_usd`."""

    window_days: int
    min_drop_share: float
    min_previous_spend_usd: float
    points: int


@dataclass(frozen=True)
class OpenTicketsRule:
    points_per_ticket: int
    max_points: int


@dataclass(frozen=True)
class LowCsatRule:
    """A satisfaction score of `at_most` or less given in the last `window_days`."""

    at_most: int
    window_days: int
    points: int


@dataclass(frozen=True)
class ChurnRiskConfig:
    """Points-based churn early warning (marts/risk); see config/lifecycle.yml."""

    max_score: int
    high_from: int
    medium_from: int
    max_reasons: int
    backtest_horizon_days: int
    inactivity: tuple[InactivityTier, ...]
    activity_drop: ActivityDropRule
    spend_drop: SpendDropRule
    open_tickets: OpenTicketsRule
    low_csat: LowCsatRule

    def as_dbt_var(self) -> dict[str, Any]:
        """The whole section as one dbt var (`lifecycle__churn_risk`), tiers as a list."""
        value = asdict(self)
        value["inactivity"] = [asdict(t) for t in self.inactivity]
        return value


@dataclass(frozen=True)
class ActivationConfig:
    """Activation funnel (marts/product): the early-login window and the churn outcome."""

    login_window_days: int
    churn_outcome_days: int


CLV_TIME_UNITS = ("days", "weeks")


@dataclass(frozen=True)
class ClvConfig:
    """Predictive CLV (lifecycle.predict): the models' time unit, horizon and discounting."""

    time_unit: Literal["days", "weeks"]
    horizon_months: int
    annual_discount_rate: float


def _section(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = _need(data, key, str(path))
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {key}: expected a mapping, got {value!r}")
    return value


def _only(mapping: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(mapping) - set(keys))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected: {', '.join(keys)})")


def _whole(
    mapping: dict[str, Any], key: str, where: str, minimum: int = 0, maximum: int | None = None
) -> int:
    value = _need(mapping, key, where)
    wrong = isinstance(value, bool) or not isinstance(value, int) or value < minimum
    if wrong or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ConfigError(f"{where}.{key}: expected a whole number {bounds}, got {value!r}")
    return int(value)


def _share(mapping: dict[str, Any], key: str, where: str) -> float:
    value = _need(mapping, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"{where}.{key}: expected a share in (0, 1], got {value!r}")
    return float(value)


def _rule(data: dict[str, Any], key: str, fields: tuple[str, ...], where: str) -> dict[str, Any]:
    rule = _need(data, key, where)
    if not isinstance(rule, dict):
        raise ConfigError(f"{where}.{key}: expected a mapping, got {rule!r}")
    _only(rule, fields, f"{where}.{key}")
    return rule


def _inactivity(data: dict[str, Any], where: str) -> tuple[InactivityTier, ...]:
    tiers = _need(data, "inactivity", where)
    if not isinstance(tiers, list) or not tiers:
        raise ConfigError(f"{where}.inactivity: expected a list of {{days, points}} tiers")
    parsed = []
    for index, tier in enumerate(tiers):
        at = f"{where}.inactivity[{index}]"
        if not isinstance(tier, dict):
            raise ConfigError(f"{at}: expected a mapping {{days, points}}, got {tier!r}")
        _only(tier, ("days", "points"), at)
        parsed.append(InactivityTier(_whole(tier, "days", at, 1), _whole(tier, "points", at)))
        if index and parsed[-1].days <= parsed[-2].days:
            raise ConfigError(f"{at}.days: tiers must have increasing days")
    return tuple(parsed)


def _churn_risk(data: dict[str, Any], where: str) -> ChurnRiskConfig:
    _only(data, tuple(ChurnRiskConfig.__dataclass_fields__), where)
    activity = _rule(data, "activity_drop", tuple(ActivityDropRule.__dataclass_fields__), where)
    spend = _rule(data, "spend_drop", tuple(SpendDropRule.__dataclass_fields__), where)
    tickets = _rule(data, "open_tickets", tuple(OpenTicketsRule.__dataclass_fields__), where)
    csat = _rule(data, "low_csat", tuple(LowCsatRule.__dataclass_fields__), where)
    min_spend = _need(spend, "min_previous_spend_usd", f"{where}.spend_drop")
    if isinstance(min_spend, bool) or not isinstance(min_spend, int | float) or min_spend <= 0:
        raise ConfigError(
            f"{where}.spend_drop.min_previous_spend_usd: expected an amount > 0, got {min_spend!r}"
        )
    cfg = ChurnRiskConfig(
        max_score=_whole(data, "max_score", where, 1),
        high_from=_whole(data, "high_from", where, 1),
        medium_from=_whole(data, "medium_from", where, 1),
        max_reasons=_whole(data, "max_reasons", where, 1),
        backtest_horizon_days=_whole(data, "backtest_horizon_days", where, 1),
        inactivity=_inactivity(data, where),
        activity_drop=ActivityDropRule(
            window_days=_whole(activity, "window_days", f"{where}.activity_drop", 1),
            min_drop_share=_share(activity, "min_drop_share", f"{where}.activity_drop"),
            min_previous_active_days=_whole(
                activity, "min_previous_active_days", f"{where}.activity_drop", 1
            ),
            points=_whole(activity, "points", f"{where}.activity_drop"),
        ),
        spend_drop=SpendDropRule(
            window_days=_whole(spend, "window_days", f"{where}.spend_drop", 1),
            min_drop_share=_share(spend, "min_drop_share", f"{where}.spend_drop"),
            min_previous_spend_usd=float(min_spend),
            points=_whole(spend, "points", f"{where}.spend_drop"),
        ),
        open_tickets=OpenTicketsRule(
            points_per_ticket=_whole(tickets, "points_per_ticket", f"{where}.open_tickets"),
            max_points=_whole(tickets, "max_points", f"{where}.open_tickets"),
        ),
        low_csat=LowCsatRule(
            at_most=_whole(csat, "at_most", f"{where}.low_csat", 1, 5),
            window_days=_whole(csat, "window_days", f"{where}.low_csat", 1),
            points=_whole(csat, "points", f"{where}.low_csat"),
        ),
    )
    if not cfg.medium_from <= cfg.high_from <= cfg.max_score:
        raise ConfigError(
            f"{where}: expected medium_from <= high_from <= max_score, got"
            f" {cfg.medium_from}, {cfg.high_from}, {cfg.max_score}"
        )
    return cfg


def _activation(data: dict[str, Any], where: str) -> ActivationConfig:
    _only(data, tuple(ActivationConfig.__dataclass_fields__), where)
    cfg = ActivationConfig(
        login_window_days=_whole(data, "login_window_days", where, 1),
        churn_outcome_days=_whole(data, "churn_outcome_days", where, 1),
    )
    if cfg.churn_outcome_days <= cfg.login_window_days:
        raise ConfigError(
            f"{where}.churn_outcome_days: must be longer than login_window_days"
            f" ({cfg.churn_outcome_days} <= {cfg.login_window_days})"
        )
    return cfg


def parse_churn_risk(data: dict[str, Any], path: Path) -> ChurnRiskConfig:
    """The `churn_risk` section of the lifecycle file."""
    return _churn_risk(_section(data, "churn_risk", path), f"{path}: churn_risk")


def parse_activation(data: dict[str, Any], path: Path) -> ActivationConfig:
    """The `activation` section of the lifecycle file."""
    return _activation(_section(data, "activation", path), f"{path}: activation")


def parse_clv(data: dict[str, Any], path: Path) -> ClvConfig:
    """The `clv` section of the lifecycle file."""
    where = f"{path}: clv"
    spec = _section(data, "clv", path)
    _only(spec, ("time_unit", "horizon_months", "annual_discount_rate"), where)
    unit = _need(spec, "time_unit", where)
    if unit not in CLV_TIME_UNITS:
        raise ConfigError(f"{where}.time_unit: {unit!r} is not one of {CLV_TIME_UNITS}")
    rate = _need(spec, "annual_discount_rate", where)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
        raise ConfigError(
            f"{where}.annual_discount_rate: expected a rate in [0, 1), e.g. 0.10, got {rate!r}"
        )
    return ClvConfig(
        time_unit=cast('Literal["days", "weeks"]', unit),
        horizon_months=_whole(spec, "horizon_months", where, minimum=1, maximum=120),
        annual_discount_rate=float(rate),
    )
