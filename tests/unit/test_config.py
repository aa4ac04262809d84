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


def _lifecycle_with(tmp_path: Path, **changes: Any) -> Path:
    """A copy of config/lifecycle.yml with top-level keys replaced (None removes one)."""
    data = yaml.safe_load((REPO_ROOT / "config" / "lifecycle.yml").read_text())
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    path = tmp_path / "lifecycle.yml"
    path.write_text(yaml.safe_dump(data))
    return path


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


def test_load_lifecycle_rejects_rfm_rules_that_leave_a_combination_unsegmented(
    tmp_path: Path,
) -> None:
    path = _lifecycle_with(tmp_path, rfm_segments=[{"name": "champions", "r": [4, 5]}])
    with pytest.raises(ConfigError, match=r"rfm_segments: no segment matches r=1, f=1, m=1"):
        load_lifecycle(path)


def test_load_lifecycle_names_the_file_and_rule_of_a_bad_rfm_range(tmp_path: Path) -> None:
    segments = [{"name": "all", "r": [1, 5]}, {"name": "odd", "f": [4, 2]}]
    path = _lifecycle_with(tmp_path, rfm_segments=segments)
    with pytest.raises(ConfigError, match=r"lifecycle\.yml: rfm_segments\[1\]\.f: need 1 <= min"):
        load_lifecycle(path)


def test_load_lifecycle_rejects_a_duplicate_rfm_segment_name(tmp_path: Path) -> None:
    segments = [{"name": "all", "r": [1, 2]}, {"name": "all"}]
    path = _lifecycle_with(tmp_path, rfm_segments=segments)
    with pytest.raises(ConfigError, match=r"rfm_segments\[1\]\.name: segment 'all' is defined"):
        load_lifecycle(path)


def test_load_lifecycle_requires_the_rfm_segments_section(tmp_path: Path) -> None:
    path = _lifecycle_with(tmp_path, rfm_segments=None)
    with pytest.raises(ConfigError, match=r"lifecycle\.yml: missing key 'rfm_segments'"):
        load_lifecycle(path)
