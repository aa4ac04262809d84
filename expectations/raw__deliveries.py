"""Every table's delivery for the as-of day, from the extract's counts (one row per table).

- More quarantined rows than the configured share of the delivery (at least the allowance)
  means the source sent something systematically wrong: stop publication.
- A file with fields sources.yml does not declare (loaded without them), and a file with
  exactly the bytes of an earlier day's delivery (an exporter re-sending an old file: its
  records are versions staging already holds, so nothing is counted twice) are warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

SEVERITY = "error"
TARGET = "deliveries"


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name="raw__deliveries",
        expectations=[
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="quarantine_limit", column_B="quarantined", or_equal=True
            ),
            gxe.ExpectColumnValuesToBeUnique(column="table_key"),
            gxe.ExpectColumnValuesToBeNull(column="undeclared_columns", meta={"severity": "warn"}),
            gxe.ExpectColumnValuesToBeNull(column="repeat_of", meta={"severity": "warn"}),
        ],
    )
