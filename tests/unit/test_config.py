from pathlib import Path

import pytest

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
