"""fct_churn_risk_scores, one row per current customer: one row per key, scores within
0..churn_risk.max_score, a known level, and only current stages scored (prospects and
churned customers are not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

TARGET = (
    "warehouse:select customer_id, lifecycle_stage, risk_score, risk_level"
    " from marts.fct_churn_risk_scores"
)
SEVERITY = "error"
LEVELS = ["high", "medium", "low"]
SCORED_STAGES = ["new", "active", "reactivated", "at_risk"]


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="marts__churn_risk",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
            gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="risk_score"),
            gxe.ExpectColumnValuesToBeBetween(
                column="risk_score", min_value=0, max_value=cfg.max_risk_score
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="risk_level"),
            gxe.ExpectColumnValuesToBeInSet(column="risk_level", value_set=LEVELS),
            gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=SCORED_STAGES),
        ],
    )
