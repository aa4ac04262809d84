"""The `next_best_action` section of `config/lifecycle.yml`: the sales team's action rule.

The rule itself is SQL (`marts/sales/fct_customer_next_best_action`); its two business
choices live here, read strictly: what counts as high value (the top `high_value_deciles`
tenths of buyers by total CLV) and how likely to be alive a customer must be for an upsell
(`upsell_min_p_alive`). `lifecycle.config.load_lifecycle` calls the parser; dbt gets the
values as `lifecycle__next_best_action_*` vars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecycle.config import ConfigError, _need

if TYPE_CHECKING:
    from pathlib import Path

FIELDS = ("high_value_deciles", "upsell_min_p_alive")


@dataclass(frozen=True)
class NextBestActionConfig:
    """High value = value decile <= high_value_deciles (1 = the top tenth of buyers by
    historical + predicted CLV); upsell needs P(alive) >= upsell_min_p_alive."""

    high_value_deciles: int
    upsell_min_p_alive: float


def parse_next_best_action(data: dict[str, Any], path: Path) -> NextBestActionConfig:
    """The `next_best_action` section of the lifecycle file."""
    where = f"{path}: next_best_action"
    spec = _need(data, "next_best_action", str(path))
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping, got {spec!r}")
    unknown = sorted(set(spec) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected: {', '.join(FIELDS)})")
    deciles = _need(spec, "high_value_deciles", where)
    if isinstance(deciles, bool) or not isinstance(deciles, int) or not 1 <= deciles <= 10:
        raise ConfigError(
            f"{where}.high_value_deciles: expected a whole number in 1..10, got {deciles!r}"
        )
    p_alive = _need(spec, "upsell_min_p_alive", where)
    if isinstance(p_alive, bool) or not isinstance(p_alive, int | float) or not 0 <= p_alive <= 1:
        raise ConfigError(
            f"{where}.upsell_min_p_alive: expected a probability in [0, 1], got {p_alive!r}"
        )
    return NextBestActionConfig(high_value_deciles=deciles, upsell_min_p_alive=float(p_alive))
