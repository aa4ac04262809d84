from pathlib import Path

import pytest

from lifecycle.config import ConfigError, load_lifecycle, load_sources, raw_name


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
