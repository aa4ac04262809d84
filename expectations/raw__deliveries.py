"""Every table's delivery for the as-of day: how much of it had to be quarantined.

One row per source table (from the extract's counts). More quarantined rows than the
configured share of the delivery (at least the allowance) means the source sent something
systematically wrong: stop publication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import great_expectations as gx
import great_expectations.expectations as gxe

if TYPE_CHECKING:
    from lifecycle.config import QualityConfig

TARGET = "deliveries"


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="raw__deliveries__critical",
        expectations=[
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="quarantine_limit", column_B="quarantined", or_equal=True
            ),
            gxe.ExpectColumnValuesToBeUnique(column="table_key"),
        ],
    )
