"""Every table's delivery for the as-of day against its recent history: a day with far fewer
or far more rows than usual (config/lifecycle.yml `quality.volume_band`) is flagged.

A warning, not a stop: a holiday or a campaign moves volume for real, so the run publishes
and the data team sees the flag in its quality results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

    from lifecycle.config import QualityConfig

SEVERITY = "warn"
TARGET = "deliveries"


def build_suite(cfg: QualityConfig) -> gx.ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    low, high = cfg.volume_band
    return gx.ExpectationSuite(
        name="raw__volume",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="volume_ratio", min_value=low, max_value=high),
        ],
    )
