"""Every source table's content against the as-of date: its newest record (by the table's
cursor column, over all deliveries up to the as-of day) may be at most
`quality.freshness_max_age_days` days old at the end of the as-of day.

A source that keeps delivering files with nothing new in them (an exporter stuck on an old
snapshot) is caught here, not by the extract, which only sees that a file arrived. A warning
by default (a quiet day is possible); `quality.severity: {raw__freshness: error}` makes a
stale table stop publication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

TARGET = "freshness"
SEVERITY = "warn"


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="raw__freshness",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="latest_delivery"),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="max_age_days",
                column_B="content_age_days",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ],
    )
