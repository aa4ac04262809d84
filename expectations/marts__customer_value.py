"""fct_customer_value, one row per customer: one row per key, no negative value or count,
P(alive) a probability, and the fit's status either `fitted` or `not fitted: <reason>`.

Customers without a revenue order have no prediction (null), which these checks allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

NON_NEGATIVE = [
    "historical_clv_usd",
    "predicted_clv_usd",
    "total_clv_usd",
    "repeat_orders",
    "expected_orders",
    "expected_order_value_usd",
]
TARGET = (
    "warehouse:select customer_id, "
    + ", ".join(NON_NEGATIVE)
    + ", p_alive, clv_fit_status from marts.fct_customer_value"
)
SEVERITY = "error"
FIT_STATUS = r"^(?:fitted|not fitted: .+)$"


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="marts__customer_value",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
            gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
            *(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0) for name in NON_NEGATIVE),
            gxe.ExpectColumnValuesToBeBetween(column="p_alive", min_value=0, max_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="clv_fit_status"),
            gxe.ExpectColumnValuesToMatchRegex(column="clv_fit_status", regex=FIT_STATUS),
        ],
    )
