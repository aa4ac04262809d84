"""The marts suites agree with the real models: a small warehouse built with dbt (as the
nightly build does, predictions included) passes every check of every marts suite."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from lifecycle.build import build_warehouse
from lifecycle.config import load_lifecycle, load_sources
from lifecycle.quality import frame_for, load_suite_modules, validate_frame

if TYPE_CHECKING:
    from collections.abc import Callable

    from lifecycle.paths import Home

pytestmark = pytest.mark.slow
AS_OF = date(2026, 6, 30)
MARTS = ("marts__customers", "marts__stage_spans", "marts__customer_value", "marts__churn_risk")


@pytest.fixture(scope="module")
def home(load_home: Callable[..., tuple[Home, Any]]) -> Home:
    # 150 days: long enough for customers to churn (90 days without activity).
    built, _ = load_home("mart_suites", customers=300, days=150, seed=7, end=AS_OF)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIFECYCLE_HOME", str(built.root))
        outcome = build_warehouse(built, AS_OF)
    assert outcome.success, "\n".join(outcome.failures)
    return built


def test_every_marts_suite_passes_on_a_warehouse_built_by_dbt(home: Home) -> None:
    cfg = load_lifecycle().quality
    modules = [m for m in load_suite_modules() if m.__name__.startswith("expectations.marts__")]
    failed: list[tuple[str, str, str]] = []
    rows: dict[str, int] = {}
    for module in modules:
        suite = module.build_suite(cfg)
        frame = frame_for(module.TARGET, home, load_sources(), AS_OF, cfg)
        rows[suite.name] = len(frame)
        results = validate_frame(suite, frame)
        failed += [(r.suite, r.check, r.observed) for r in results if not r.passed]
    assert sorted(rows) == sorted(MARTS)
    assert all(count > 0 for count in rows.values()), rows
    assert failed == []
