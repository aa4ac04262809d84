"""What a BI user relies on in the published role tables, checked on the dbt project's files
(no build needed): every role table is documented and has an enforced contract, and personal
data columns appear only in the tables of roles that contact people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.dbt_runner import DBT_PROJECT
from lifecycle.paths import ROLES

PUBLISH = DBT_PROJECT / "models" / "publish"
PERSONAL_COLUMNS = {"email", "phone", "first_name", "last_name"}
# Tables that may hold personal data: the roles that contact people, and of marketing only
# the audience of customers who consented.
MAY_HOLD_PERSONAL_DATA = {
    "rpt_sales__customer_priorities",
    "rpt_customer_service__customers_needing_care",
    "rpt_marketing__contactable_audience",
}


def _models() -> dict[str, tuple[Path, dict[str, Any]]]:
    models: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(PUBLISH.glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            models[model["name"]] = (path, model)
    return models


def _sql_models() -> dict[str, str]:
    return {p.stem: p.parent.name for p in sorted(PUBLISH.glob("*/*.sql"))}


def test_publish_folders_are_the_roles() -> None:
    assert sorted(p.name for p in PUBLISH.iterdir() if p.is_dir()) == sorted(ROLES)


def test_every_publish_model_is_documented_in_its_roles_folder() -> None:
    models = _models()
    sql = _sql_models()
    assert sorted(models) == sorted(sql)
    for name, role in sql.items():
        assert name.startswith(f"rpt_{role}__"), name
        assert models[name][0].parent.name == role, name


@pytest.mark.parametrize("name", sorted(_sql_models()))
def test_publish_model_has_an_enforced_contract_and_describes_every_column(name: str) -> None:
    _, model = _models()[name]
    assert model.get("config", {}).get("contract", {}).get("enforced") is True, name
    assert "One row" in " ".join(model.get("description", "").split()), (
        f"{name}: the description must state the grain ('One row per ...')"
    )
    columns = model.get("columns", [])
    assert columns, f"{name} declares no columns"
    undocumented = [c["name"] for c in columns if not str(c.get("description", "")).strip()]
    untyped = [c["name"] for c in columns if not c.get("data_type")]
    assert undocumented == [], f"{name}: columns without a description: {undocumented}"
    assert untyped == [], f"{name}: columns without a data_type: {untyped}"


def test_personal_data_columns_only_where_a_role_contacts_people() -> None:
    holding = {
        name
        for name, (_, model) in _models().items()
        if PERSONAL_COLUMNS & {c["name"] for c in model["columns"]}
    }
    assert holding == MAY_HOLD_PERSONAL_DATA
