import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.config import ConfigError, load_lifecycle, load_sources, raw_name
from lifecycle.paths import REPO_ROOT


def test_raw_name_snake_cases_and_flattens_nesting() -> None:
    assert raw_name("LastModifiedDate") == "last_modified_date"
    assert raw_name("customer.crm_contact_id") == "customer__crm_contact_id"
    assert raw_name("Id") == "id"


def test_load_sources_reads_the_four_systems() -> None:
    cfg = load_sources()
    assert [s.name for s in cfg.sources] == ["crm", "orders", "support", "app"]
    assert cfg.source("orders").tables[0].primary_key == "order_id"


def test_load_sources_names_file_and_key_when_a_key_is_missing(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yml"
    bad.write_text(
        "company_founded_year: 2015\nsources:\n  crm:\n    format: csv\n    tables: {}\n"
    )
    with pytest.raises(ConfigError, match=r"sources\.crm: missing key 'kind'"):
        load_sources(bad)


def test_dbt_vars_carry_as_of_and_thresholds() -> None:
    from datetime import date

    variables = load_lifecycle().dbt_vars(date(2026, 6, 30))
    assert variables["as_of_date"] == "2026-06-30"
    assert variables["lifecycle__churned_after_days"] == 90
    assert variables["lifecycle__activity_app_events"] == ["login", "session", "feature_used"]
    assert variables["lifecycle__stage_unit"] == "customer"
    assert variables["lifecycle__late_data_lookback_days"] == 7


def _lifecycle_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (REPO_ROOT / "config" / "lifecycle.yml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "lifecycle.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "stage_unit: customer",
            "stage_unit: household",
            r"lifecycle\.stage_unit: 'household' is not one of",
        ),
        (
            "late_data_lookback_days: 7",
            "late_data_lookback_days: -1",
            r"lifecycle\.late_data_lookback_days: expected a whole number of days",
        ),
        (
            "orders: true",
            "orders: yes please",
            r"lifecycle\.activity\.orders: expected true or false",
        ),
        (
            "app_events: [login, session, feature_used]",
            "app_events: [Login Event]",
            r"lifecycle\.activity\.app_events: expected a list of event names",
        ),
        (
            "volume_band: [0.1, 10]",
            "volume_band: [2, 10]",
            r"quality\.volume_band: expected \[low, high\]",
        ),
        ("orders: true", "orders: false\n    app_events_x: []", None),
    ],
)
def test_lifecycle_rules_name_file_and_key(
    tmp_path: Path, old: str, new: str, message: str | None
) -> None:
    path = _lifecycle_with(tmp_path, old, new)
    if message is None:
        assert load_lifecycle(path).rules.activity.orders is False
        return
    with pytest.raises(ConfigError, match=message) as raised:
        load_lifecycle(path)
    assert str(path) in str(raised.value)


def test_nothing_counting_as_activity_is_refused(tmp_path: Path) -> None:
    path = _lifecycle_with(tmp_path, "orders: true", "orders: false")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "app_events: [login, session, feature_used]", "app_events: []"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="nothing counts as activity"):
        load_lifecycle(path)


def test_dbt_vars_carry_the_churn_risk_rules_and_activation_windows() -> None:
    from datetime import date

    variables = load_lifecycle().dbt_vars(date(2026, 6, 30))
    risk = variables["lifecycle__churn_risk"]
    assert risk["backtest_horizon_days"] == 90
    assert risk["inactivity"][0] == {"days": 14, "points": 10}
    assert risk["activity_drop"]["min_drop_share"] == 0.5
    assert risk["low_csat"] == {"at_most": 2, "window_days": 30, "points": 15}
    assert variables["lifecycle__activation_login_window_days"] == 7
    assert variables["lifecycle__activation_churn_outcome_days"] == 180


def _lifecycle_file_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of config/lifecycle.yml with one change applied."""
    data = yaml.safe_load((REPO_ROOT / "config" / "lifecycle.yml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "lifecycle.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _set(section: str, *keys: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data[section]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _drop(section: str, key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[section][key]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("churn_risk", "inactivity", 1, "days", value="thirty"),
            r"churn_risk\.inactivity\[1\]\.days: expected a whole number >= 1, got 'thirty'",
        ),
        (
            _set("churn_risk", "inactivity", 1, "days", value=14),
            r"churn_risk\.inactivity\[1\]\.days: tiers must have increasing days",
        ),
        (_drop("churn_risk", "low_csat"), r"churn_risk: missing key 'low_csat'"),
        (
            _set("churn_risk", "activity_drop", "min_drop_shar", value=0.5),
            r"churn_risk\.activity_drop: unknown key 'min_drop_shar'",
        ),
        (
            _set("churn_risk", "spend_drop", "min_drop_share", value=1.5),
            r"churn_risk\.spend_drop\.min_drop_share: expected a share in \(0, 1\], got 1\.5",
        ),
        (
            _set("churn_risk", "low_csat", "at_most", value=6),
            r"churn_risk\.low_csat\.at_most: expected a whole number in 1\.\.5, got 6",
        ),
        (
            _set("churn_risk", "medium_from", value=80),
            r"churn_risk: expected medium_from <= high_from <= max_score, got 80, 50, 100",
        ),
        (
            _set("activation", "churn_outcome_days", value=7),
            r"activation\.churn_outcome_days: must be longer than login_window_days",
        ),
    ],
)
def test_load_lifecycle_names_file_and_key_of_a_bad_analytics_rule(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    path = _lifecycle_file_with(tmp_path, change)
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": " + message):
        load_lifecycle(path)


def _rfm_segments(value: Any) -> Callable[[dict[str, Any]], None]:
    """A change replacing the rfm_segments section (None removes it)."""

    def change(data: dict[str, Any]) -> None:
        if value is None:
            del data["rfm_segments"]
        else:
            data["rfm_segments"] = value

    return change


def test_dbt_vars_carry_the_rfm_segments_in_order() -> None:
    from datetime import date

    segments = load_lifecycle().dbt_vars(date(2026, 6, 30))["lifecycle__rfm_segments"]
    assert segments[0] == {"name": "champions", "r": [4, 5], "f": [4, 5], "m": [4, 5]}
    # A score left out of a rule matches 1-5.
    assert segments[1] == {"name": "loyal", "r": [3, 5], "f": [3, 5], "m": [1, 5]}
    assert segments[-1]["name"] == "lost"


def test_rfm_segment_takes_the_first_matching_rule() -> None:
    cfg = load_lifecycle()
    assert cfg.rfm_segment(5, 5, 5) == "champions"
    assert cfg.rfm_segment(5, 5, 1) == "loyal"  # champions needs m >= 4
    assert cfg.rfm_segment(1, 5, 5) == "cant_lose_them"
    assert cfg.rfm_segment(5, 1, 3) == "new_buyers"
    assert cfg.rfm_segment(1, 1, 1) == "lost"


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        (None, "missing key 'rfm_segments'"),
        ([], r"rfm_segments: expected a non-empty list"),
        (
            [{"name": "champions", "r": [4, 5]}],
            r"rfm_segments: no segment matches r=1, f=1, m=1",
        ),
        (
            [{"name": "all", "r": [1, 5]}, {"name": "odd", "f": [4, 2]}],
            r"rfm_segments\[1\]\.f: need 1 <= min <= max <= 5",
        ),
        (
            [{"name": "all", "r": [1, 2]}, {"name": "all"}],
            r"rfm_segments\[1\]\.name: segment 'all' is defined twice",
        ),
        ([{"name": "Top Buyers"}], r"rfm_segments\[0\]\.name: 'Top Buyers' is not"),
        ([{"name": "all", "rf": [1, 5]}], r"rfm_segments\[0\]: unknown key 'rf'"),
        ([{"name": "all", "m": [1, "5"]}], r"rfm_segments\[0\]\.m: expected \[min, max\]"),
    ],
)
def test_load_lifecycle_names_file_and_rule_of_bad_rfm_segments(
    tmp_path: Path, segments: Any, message: str
) -> None:
    path = _lifecycle_file_with(tmp_path, _rfm_segments(segments))
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": " + message):
        load_lifecycle(path)


def test_dbt_vars_carry_the_next_best_action_thresholds() -> None:
    from datetime import date

    variables = load_lifecycle().dbt_vars(date(2026, 6, 30))
    assert variables["lifecycle__next_best_action_high_value_deciles"] == 3
    assert variables["lifecycle__next_best_action_upsell_min_p_alive"] == 0.7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("next_best_action", "high_value_deciles", value=11),
            r"next_best_action\.high_value_deciles: expected a whole number in 1\.\.10, got 11",
        ),
        (
            _set("next_best_action", "high_value_deciles", value=True),
            r"next_best_action\.high_value_deciles: expected a whole number in 1\.\.10, got True",
        ),
        (
            _set("next_best_action", "upsell_min_p_alive", value=70),
            r"next_best_action\.upsell_min_p_alive: expected a probability in \[0, 1\], got 70",
        ),
        (
            _set("next_best_action", "upsell_min_palive", value=0.5),
            r"next_best_action: unknown key 'upsell_min_palive'",
        ),
        (
            _drop("next_best_action", "upsell_min_p_alive"),
            r"next_best_action: missing key 'upsell_min_p_alive'",
        ),
    ],
)
def test_load_lifecycle_names_file_and_key_of_a_bad_next_best_action_rule(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    path = _lifecycle_file_with(tmp_path, change)
    with pytest.raises(ConfigError, match=re.escape(str(path)) + ": " + message):
        load_lifecycle(path)
